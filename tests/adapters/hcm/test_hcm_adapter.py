"""The OpLog as queues: counts, paging, inspection, retry, discard, settings and file problems."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from synctui_hcm.adapter import HCMBackend

from synctui.backend import BackendError, BackendSettings
from synctui.model import BackendView, Category, Level, QueueKind
from synctui.verdict import judge

from .conftest import counts, raw_rows, sync_until_settled


async def test_fresh_oplog_counts_and_sync_log(make_backend, worker):
    worker.register_household(members=2)  # 1 + 2 + 2 + 1 + 1 = 7 rows
    cref = worker.households[0]
    worker.update_household(cref)
    backend = make_backend()
    snap = await backend.snapshot()
    assert snap.backend == "device-1" and snap.kind == "hcm" and snap.capabilities == HCMBackend.capabilities
    assert counts(snap) == {"outbox": 8, "inbox": 0, "admin": None, "conflicts": 0}
    outbox = snap.queue(QueueKind.OUTBOX)
    assert outbox.label == "Data unsynced" and outbox.detail == "7 entities · 1 blocked"
    assert outbox.oldest is not None
    info = {i.key: i.value for i in snap.info}
    assert info["hcm_unsynced"] == "8" and info["entities"] == "7"
    assert [r.record_type for r in snap.log] == [
        "household",
        "individual",
        "projectBeneficiary",
        "householdMember",
        "task",
    ]
    assert snap.log[0].pending == 2 and snap.log[0].last_success is None
    assert snap.health.online and snap.health.auth_ok
    assert snap.jobs[0].state.value == "idle"
    assert judge(BackendView(snap), datetime.now(UTC)).level is not Level.SAFE


async def test_safe_after_sync(make_backend, worker, server):
    worker.register_household(members=1)
    backend = make_backend()
    snap = await sync_until_settled(backend, server)
    assert judge(BackendView(snap), datetime.now(UTC)).level is Level.SAFE
    assert snap.jobs[0].state.value == "completed" and snap.jobs[0].message == "5 sent, 5 confirmed"
    assert all(r.last_success is not None and r.pending == 0 for r in snap.log)


async def test_entries_are_paged_and_filtered(make_backend, worker):
    for _ in range(6):
        worker.register_household(members=1)  # 5 rows each
    backend = make_backend()
    first = await backend.entries(QueueKind.OUTBOX, 0, 10)
    second = await backend.entries(QueueKind.OUTBOX, 10, 10)
    assert first.total == 30 and len(first.entries) == 10 and len(second.entries) == 10
    assert not {e.id for e in first.entries} & {e.id for e in second.entries}
    created = [e.created for e in first.entries + second.entries]
    assert created == sorted(created)
    tasks = await backend.entries(QueueKind.OUTBOX, 0, 50, filter="task")
    assert tasks.total == 6 and {e.record_type for e in tasks.entries} == {"task"}
    assert (await backend.entries(QueueKind.ADMIN)).entries == []
    detail = await backend.entry(QueueKind.OUTBOX, first.entries[0].id)
    assert json.loads(detail.payload)["clientReferenceId"] == first.entries[0].correlation
    with pytest.raises(BackendError):
        await backend.entry(QueueKind.OUTBOX, "999999")
    with pytest.raises(BackendError):
        await backend.entry(QueueKind.OUTBOX, "not-a-number")


async def test_rows_the_app_dumped_are_shown_and_can_be_retried(make_backend, worker, oplog, server):
    cref = worker.register_household(members=0)
    conn = sqlite3.connect(oplog)
    conn.execute(  # what the HCM app does with an exhausted row: dump it, mark it synced both ways
        "UPDATE oplog SET syncedUp = 1, syncedDown = 1, nonRecoverableError = 1, syncDownRetryCount = 3 "
        "WHERE clientReferenceId = ?",
        (cref,),
    )
    conn.commit()
    conn.close()
    backend = make_backend()
    snap = await backend.snapshot()
    assert counts(snap)["conflicts"] == 1
    assert {i.key: i.value for i in snap.info}["hcm_unsynced"] == "2"  # the app's count hides it
    (entry,) = (await backend.entries(QueueKind.CONFLICTS)).entries
    assert entry.rejection is not None and entry.rejection.code == "DUMPED_BY_APP"

    result = await backend.retry([entry.id, "12345"])
    assert not result.ok and [r.ok for r in result.results] == [False, True]
    assert counts(await backend.snapshot())["conflicts"] == 0
    snap = await sync_until_settled(backend, server)
    assert counts(snap)["conflicts"] == 0 and cref in server.store["household"]


async def test_discard_keeps_the_row_but_stops_counting_it(make_backend, worker, oplog, server):
    worker.register_household(members=1, tenant_id="nope")
    backend = make_backend(max_attempts=1)
    await sync_until_settled(backend, server)
    (entry,) = (await backend.entries(QueueKind.CONFLICTS)).entries
    inbox_row = (await backend.entries(QueueKind.OUTBOX)).entries
    assert inbox_row == []
    result = await backend.discard(QueueKind.CONFLICTS, [entry.id])
    assert result.ok
    assert counts(await backend.snapshot())["conflicts"] == 0
    assert len(raw_rows(oplog)) == 5  # still there
    refused = await backend.discard(QueueKind.CONFLICTS, [entry.id])
    assert not refused.ok


async def test_restore_undoes_a_discard(make_backend, worker, server):
    worker.register_household(members=1, tenant_id="nope")
    backend = make_backend(max_attempts=1)
    await sync_until_settled(backend, server)
    (entry,) = (await backend.entries(QueueKind.CONFLICTS)).entries
    detail = await backend.entry(QueueKind.CONFLICTS, entry.id)
    assert (await backend.discard(QueueKind.CONFLICTS, [entry.id])).ok
    assert counts(await backend.snapshot())["conflicts"] == 0
    restored = await backend.restore(QueueKind.CONFLICTS, entry, detail.payload)
    assert restored.ok, restored.message
    assert counts(await backend.snapshot())["conflicts"] == 1  # visible again, as before the discard
    again = await backend.restore(QueueKind.CONFLICTS, entry, detail.payload)
    assert not again.ok and "not discarded" in again.message


async def test_retry_all_conflicts(make_backend, worker, server):
    worker.register_household(members=0, tenant_id="nope")
    backend = make_backend(max_attempts=1)
    await sync_until_settled(backend, server)
    assert counts(await backend.snapshot())["conflicts"] == 1
    result = await backend.retry(None)
    assert result.ok and len(result.results) == 1
    assert counts(await backend.snapshot())["outbox"] == 1


async def test_missing_oplog_and_bad_options_are_clear_errors(tmp_path: Path, make_backend):
    backend = make_backend(oplog=str(tmp_path / "absent.sqlite"))
    with pytest.raises(BackendError) as err:
        await backend.snapshot()
    assert err.value.rejection.category == Category.FIX_DATA and "oplog" in err.value.rejection.advice.lower()
    (tmp_path / "junk.sqlite").write_text("this is not sqlite" * 100)
    with pytest.raises(BackendError):
        await make_backend(oplog=str(tmp_path / "junk.sqlite")).snapshot()
    async with httpx.AsyncClient() as http:
        bad = HCMBackend(BackendSettings(name="x", kind="hcm", options={"batch_size": "ten"}), http)
        with pytest.raises(BackendError) as err:
            await bad.snapshot()
        assert "oplog" in err.value.rejection.message
        bad = HCMBackend(
            BackendSettings(name="x", kind="hcm", options={"oplog": "/x", "batch_size": 0}), http
        )
        with pytest.raises(BackendError, match="batch_size"):
            await bad.snapshot()
        assert bad.watch_paths() == []


async def test_offline_server_keeps_local_counts_fresh(oplog, worker):
    worker.register_household(members=0)

    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    settings = BackendSettings(name="d", kind="hcm", url="http://x", options={"oplog": str(oplog)})
    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as http:
        backend = HCMBackend(settings, http)
        snap = await backend.snapshot()
        result = await backend.synchronize(lambda p: None)
        await backend.aclose()
    assert counts(snap)["outbox"] == 3 and not snap.health.online
    assert snap.health.error is not None and snap.health.error.category == Category.RETRYABLE
    assert not result.ok and result.rejection is not None and "Cannot reach" in result.rejection.message


async def test_settings_and_watch_paths(make_backend, oplog):
    backend = make_backend(batch_size=5)
    assert backend.watch_paths() == [oplog, oplog.with_name(oplog.name + "-wal")]
    values = {s.key: s.value for s in await backend.settings_list()}
    assert values["batch_size"] == "5" and values["oplog"] == str(oplog)


async def test_a_new_local_save_changes_a_watched_file(worker, make_backend):
    import asyncio

    import watchfiles

    backend = make_backend()
    paths = backend.watch_paths()
    stop = asyncio.Event()

    async def first_change():
        async for changes in watchfiles.awatch(paths[0].parent, stop_event=stop, step=20, debounce=200):
            return {Path(p) for _, p in changes}

    waiter = asyncio.create_task(first_change())
    await asyncio.sleep(0.1)
    worker.register_household(members=0)
    changed = await asyncio.wait_for(waiter, 3)
    stop.set()
    assert changed & set(paths)
