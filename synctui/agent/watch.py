"""Refresh a backend the moment one of its local files changes.

Watches the parent folders (a database replaced by rename is still seen) and wakes the services
whose files changed. The step and debounce are set low but not to the extremes: watchfiles wakes
every `step` ms even when idle, and its default 1.6 s debounce would hold a burst of writes back.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Protocol

log = logging.getLogger(__name__)


class Wakeable(Protocol):
    name: str

    def wake(self) -> None: ...


async def watch_files(
    paths: Mapping[Path, Sequence[Wakeable]],
    *,
    debounce_ms: int = 200,
    step_ms: int = 25,
    stop: asyncio.Event | None = None,
) -> None:
    from watchfiles import awatch  # imported here: only agents that watch pay for it

    targets: dict[str, list[Wakeable]] = {}
    for path, services in paths.items():
        resolved = Path(path).expanduser().resolve()
        for name in (resolved.name, f"{resolved.name}-wal", f"{resolved.name}-journal"):
            targets.setdefault(str(resolved.parent / name), []).extend(services)
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
            for service in targets.get(path, ()):
                if id(service) not in woken:
                    woken.add(id(service))
                    service.wake()
