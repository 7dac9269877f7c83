"""The file watcher wakes the right service for every way a backend's file changes, and only then."""

from __future__ import annotations

import asyncio
import os
import shutil
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest

from synctui.agent.watch import watch_files
from synctui.agent.watch_inotify import SETTLE

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="inotify is Linux's")

QUIET = 0.3  # seconds in which a change that should not wake a service is given the chance to


class Service:
    def __init__(self, name: str) -> None:
        self.name = name
        self.woken = asyncio.Event()
        self.wakes = 0

    def wake(self) -> None:
        self.wakes += 1
        self.woken.set()

    async def wait(self) -> None:
        await asyncio.wait_for(self.woken.wait(), 5)
        self.woken.clear()

    async def stays_asleep(self) -> bool:
        await asyncio.sleep(QUIET)
        return not self.woken.is_set()


Start = Callable[..., Awaitable[None]]


@pytest.fixture
async def start() -> AsyncIterator[Start]:
    stop = asyncio.Event()
    tasks: list[asyncio.Task[None]] = []

    async def run(paths: dict[Path, list[Service]], **kw) -> None:
        tasks.append(asyncio.create_task(watch_files(paths, stop=stop, **kw)))
        await asyncio.sleep(0.1)  # the watches are placed

    yield run
    stop.set()
    for task in tasks:
        await asyncio.wait_for(task, 5)


async def test_a_write_in_place_wakes_the_files_service_only(tmp_path: Path, start: Start) -> None:
    db, other = tmp_path / "santedb.sqlite", tmp_path / "msupply.sqlite"
    db.write_bytes(b"1")
    other.write_bytes(b"1")
    santedb, msupply = Service("santedb"), Service("msupply")
    await start({db: [santedb], other: [msupply]})
    with db.open("ab") as f:
        f.write(b"2")
    await santedb.wait()
    assert await msupply.stays_asleep()


async def test_a_write_read_in_two_batches_wakes_once_when_the_file_is_closed(
    tmp_path: Path, start: Start
) -> None:
    """As the SanteDB simulator writes its state file in place: the loop reads the MODIFY events, then
    the rest with CLOSE_WRITE; one write is one wake (one refresh, one push), on the whole file."""
    db = tmp_path / "santedb.json"
    db.write_text('{"outbox": 10}')
    service = Service("santedb")
    await start({db: [service]})
    fd = os.open(db, os.O_WRONLY)
    try:
        os.pwrite(fd, b'{"outbox": 9}', 0)
        await asyncio.sleep(SETTLE / 5)  # the loop reads the MODIFY alone; the file is not closed yet
        assert service.wakes == 0
        os.ftruncate(fd, len(b'{"outbox": 9}'))
    finally:
        os.close(fd)
    await service.wait()
    assert await service.stays_asleep()
    assert service.wakes == 1


async def test_a_file_kept_open_wakes_once_its_writes_pause(tmp_path: Path, start: Start) -> None:
    db = tmp_path / "oplog.sqlite"
    db.write_bytes(b"page 1")
    service = Service("hcm")
    await start({db: [service]})
    with db.open("ab") as f:  # SQLite keeps its database open between transactions
        for page in (b"page 2", b"page 3"):
            f.write(page)
            f.flush()
        await service.wait()
        assert await service.stays_asleep()
    assert service.wakes == 1


async def test_the_wal_beside_the_database_wakes_it(tmp_path: Path, start: Start) -> None:
    db = tmp_path / "santedb.sqlite"
    service = Service("santedb")
    await start({db: [service]})
    (tmp_path / "santedb.sqlite-wal").write_bytes(b"page")
    await service.wait()


async def test_an_atomic_replace_wakes_and_the_next_one_too(tmp_path: Path, start: Start) -> None:
    db = tmp_path / "state.json"
    db.write_text("{}")
    service = Service("santedb")
    await start({db: [service]})
    for round_ in range(2):  # the second proves the watch survived the first rename over the file
        tmp = tmp_path / f".state.json.{round_}.tmp"
        tmp.write_text(f'{{"n": {round_}}}')
        os.replace(tmp, db)
        await service.wait()


async def test_a_file_that_does_not_exist_yet(tmp_path: Path, start: Start) -> None:
    service = Service("santedb")
    await start({tmp_path / "later.db": [service]})
    (tmp_path / "later.db").write_bytes(b"x")
    await service.wait()


async def test_other_files_in_the_folder_do_not_wake(tmp_path: Path, start: Start) -> None:
    service = Service("santedb")
    await start({tmp_path / "santedb.sqlite": [service]})
    (tmp_path / "notes.txt").write_text("x")
    (tmp_path / "sub").mkdir()
    assert await service.stays_asleep()


async def test_a_folder_that_does_not_exist_yet(tmp_path: Path, start: Start) -> None:
    folder = tmp_path / "data" / "dcdr"
    service = Service("santedb")
    await start({folder / "santedb.sqlite": [service]})
    (tmp_path / "unrelated").mkdir()
    assert await service.stays_asleep()
    (tmp_path / "data").mkdir()
    folder.mkdir()
    await service.wait()  # the folder appeared: woken once to look
    await asyncio.sleep(0.05)
    (folder / "santedb.sqlite").write_bytes(b"x")
    await service.wait()


async def test_a_folder_deleted_and_recreated(tmp_path: Path, start: Start) -> None:
    folder = tmp_path / "dcdr"
    folder.mkdir()
    db = folder / "santedb.sqlite"
    db.write_bytes(b"x")
    service = Service("santedb")
    await start({db: [service]})
    shutil.rmtree(folder)
    await service.wait()  # the database went with it: that is a change too
    folder.mkdir()
    await service.wait()
    await asyncio.sleep(0.05)
    db.write_bytes(b"y")
    await service.wait()


async def test_a_folder_moved_away_is_not_followed(tmp_path: Path, start: Start) -> None:
    folder = tmp_path / "dcdr"
    folder.mkdir()
    service = Service("santedb")
    await start({folder / "santedb.sqlite": [service]})
    folder.rename(tmp_path / "old")
    await service.wait()
    (tmp_path / "old" / "santedb.sqlite").write_bytes(b"x")  # no longer the watched path
    assert await service.stays_asleep()


async def test_the_polling_fallback_still_works(tmp_path: Path, start: Start) -> None:
    db = tmp_path / "santedb.sqlite"
    db.write_bytes(b"1")
    service = Service("santedb")
    await start({db: [service]}, inotify=False, debounce_ms=50, step_ms=10)
    db.write_bytes(b"2")
    await service.wait()


async def test_inotify_is_what_runs_on_linux(tmp_path: Path, start: Start, monkeypatch) -> None:
    import watchfiles

    def no_polling(*_a, **_k):
        raise AssertionError("watchfiles was used on Linux")

    monkeypatch.setattr(watchfiles, "awatch", no_polling)
    service = Service("santedb")
    await start({tmp_path / "santedb.sqlite": [service]})
    (tmp_path / "santedb.sqlite").write_bytes(b"x")
    await service.wait()
