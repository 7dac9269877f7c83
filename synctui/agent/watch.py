"""Refresh a backend the moment one of its local files changes.

The folders holding the files are watched (a database replaced by rename is still seen) and the
services whose files changed are woken. On Linux the agent blocks on inotify (`watch_inotify.py`): no
wake-up while nothing changes, a change handed over at once. Elsewhere, or where inotify cannot be had
(no instance left), watchfiles polls: it wakes every `step` ms even when idle, and its default 1.6 s
debounce would hold a burst of writes back, so both are set low but not to the extremes.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Protocol

log = logging.getLogger(__name__)


class Wakeable(Protocol):
    name: str

    def wake(self) -> None: ...


def wake_once(services: Iterable[Wakeable], woken: set[int]) -> None:
    """Wake each service not yet in `woken` (ids), once per batch of changes."""
    for service in services:
        if id(service) not in woken:
            woken.add(id(service))
            service.wake()


def watch_targets(paths: Mapping[Path, Sequence[Wakeable]]) -> dict[str, list[Wakeable]]:
    """Every file whose change means "refresh now" (a database, its WAL and journal) -> its services."""
    targets: dict[str, list[Wakeable]] = {}
    for path, services in paths.items():
        resolved = Path(path).expanduser().resolve()
        for name in (resolved.name, f"{resolved.name}-wal", f"{resolved.name}-journal"):
            targets.setdefault(str(resolved.parent / name), []).extend(services)
    return targets


async def watch_files(
    paths: Mapping[Path, Sequence[Wakeable]],
    *,
    debounce_ms: int = 200,
    step_ms: int = 25,
    stop: asyncio.Event | None = None,
    inotify: bool = True,
) -> None:
    """Wake services when their files change, until `stop` is set. `debounce_ms` and `step_ms` tune
    the polling fallback; inotify needs neither. `inotify=False` forces the fallback."""
    targets = watch_targets(paths)
    if not targets:
        return
    if inotify and sys.platform == "linux":
        try:
            from synctui.agent.watch_inotify import watch_inotify
        except ImportError as exc:
            log.warning("inotify is not available (%s); polling for file changes instead", exc)
        else:
            try:
                await watch_inotify(targets, stop)
                return
            except OSError as exc:  # e.g. fs.inotify.max_user_instances reached
                log.warning("cannot use inotify (%s); polling for file changes instead", exc)
    await _watch_polling(targets, debounce_ms=debounce_ms, step_ms=step_ms, stop=stop)


async def _watch_polling(
    targets: Mapping[str, Sequence[Wakeable]], *, debounce_ms: int, step_ms: int, stop: asyncio.Event | None
) -> None:
    from watchfiles import awatch  # imported here: only agents that poll pay for it

    folders = sorted({str(Path(p).parent) for p in targets if Path(p).parent.is_dir()})
    missing = sorted({str(Path(p).parent) for p in targets} - set(folders))
    for folder in missing:
        log.warning("cannot watch %s: the folder does not exist; refreshing on the interval only", folder)
    if not folders:
        return

    def wanted(_change: object, path: str) -> bool:
        return path in targets

    async for changes in awatch(
        *folders,
        watch_filter=wanted,
        debounce=debounce_ms,
        step=step_ms,
        stop_event=stop,
        recursive=False,
    ):
        woken: set[int] = set()
        for _change, path in changes:
            wake_once(targets.get(path, ()), woken)
