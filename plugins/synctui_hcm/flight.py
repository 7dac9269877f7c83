"""One sync per OpLog file at a time: a second trigger joins the running one and follows its progress."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from synctui.backend import ProgressCallback
from synctui.model import SyncProgress, SyncResult


@dataclass
class SharedRun:
    task: asyncio.Task[SyncResult]
    loop: asyncio.AbstractEventLoop
    started: float = field(default_factory=time.time)
    listeners: list[ProgressCallback] = field(default_factory=list)
    progress: SyncProgress | None = None


_RUNS: dict[str, SharedRun] = {}


def running(key: str) -> SharedRun | None:
    run = _RUNS.get(key)
    if run is None or run.task.done():
        return None
    try:
        if run.loop is not asyncio.get_running_loop():
            return None
    except RuntimeError:
        return None
    return run


async def single_flight(
    key: str,
    start: Callable[[Callable[[SyncProgress], None]], Awaitable[SyncResult]],
    progress: ProgressCallback,
) -> SyncResult:
    """Run `start` unless a run for `key` is under way; either way, follow it to its result."""
    run = running(key)
    if run is None:
        holder: list[SharedRun] = []

        def emit(p: SyncProgress) -> None:
            shared = holder[0]
            shared.progress = p
            for listener in list(shared.listeners):
                with contextlib.suppress(Exception):  # a broken listener must not break the sync
                    listener(p)

        task = asyncio.ensure_future(start(emit))
        run = SharedRun(task=task, loop=asyncio.get_running_loop())
        holder.append(run)
        _RUNS[key] = run

        def done(t: asyncio.Task[SyncResult], key: str = key, run: SharedRun = run) -> None:
            if _RUNS.get(key) is run:
                del _RUNS[key]
            if not t.cancelled():
                t.exception()  # retrieved: a caller that went away must not leave a warning

        task.add_done_callback(done)
    run.listeners.append(progress)
    if run.progress is not None:
        progress(run.progress)
    try:
        return await asyncio.shield(run.task)
    finally:
        if progress in run.listeners:
            run.listeners.remove(progress)
