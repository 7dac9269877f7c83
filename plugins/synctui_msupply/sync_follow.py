"""Synchronize Now on an mSupply site: trigger a sync, then follow the site's sync status until the
sync it started (or the one already running) succeeds, fails or hangs."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from synctui.backend import ProgressCallback
from synctui.model import Category, Rejection, SyncResult

from . import mapping
from .options import MSupplyOptions
from .parsers import SyncStatus


async def trigger_and_follow(
    status_now: Callable[[], Awaitable[SyncStatus | None]],
    trigger: Callable[[], Awaitable[str]],
    options: MSupplyOptions,
    hung_threshold: Callable[[], timedelta],
    progress: ProgressCallback,
) -> SyncResult:
    before = await status_now()
    previous = before.summary.started if before and before.summary else None
    await trigger()
    loop = asyncio.get_running_loop()
    grace_until = loop.time() + options.trigger_grace_seconds
    give_up = loop.time() + options.sync_timeout_seconds
    threshold = hung_threshold()
    following = bool(before and before.is_syncing)  # a running sync absorbs the trigger
    while True:
        status = await status_now()
        started = status.summary.started if status and status.summary else None
        if started is not None and started != previous:
            following = True
        if following and status is not None:
            verdict = mapping.assess(status, datetime.now(UTC), threshold)
            step_progress = mapping.progress(status, verdict)
            if step_progress is not None:
                progress(step_progress)
            if verdict.state == "succeeded":
                return SyncResult(True, "Data synced", counts=step_counts(status))
            if verdict.state in ("failed", "hung"):
                assert verdict.rejection is not None
                return SyncResult(False, verdict.rejection.message, verdict.rejection, step_counts(status))
        elif loop.time() > grace_until:
            return SyncResult(
                False,
                "The site did not start a sync.",
                Rejection(
                    Category.RETRYABLE,
                    "The site did not start a sync after the request.",
                    "A sync may already have been pending (the site logs 'Problem triggering sync'). "
                    "Wait for the next interval or try again.",
                    code="SYNC_NOT_STARTED",
                ),
            )
        if loop.time() > give_up:
            return SyncResult(
                False,
                "The sync is still running; synctui stopped following it.",
                Rejection(
                    Category.RETRYABLE,
                    "The sync is still running after the time synctui waits.",
                    "It goes on on the site; watch its progress on the dashboard.",
                    code="SYNC_STILL_RUNNING",
                ),
                step_counts(status) if status else {},
            )
        await asyncio.sleep(options.poll_seconds)


def step_counts(status: SyncStatus) -> dict[str, int]:
    """Records done per step of the sync, as SyncResult counts."""
    counts = {}
    for gql, key in (
        ("push", "pushed"),
        ("pushV6", "pushed_v6"),
        ("pullCentral", "pulled_central"),
        ("pullRemote", "pulled_remote"),
        ("pullV6", "pulled_v6"),
        ("integration", "integrated"),
    ):
        step = status.steps.get(gql)
        if step and step.done is not None:
            counts[key] = step.done
    return counts
