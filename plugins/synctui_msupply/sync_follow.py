"""Synchronize Now on an mSupply site: trigger a sync, then follow the site's sync status until the
sync it started (or the one already running) succeeds, fails or hangs.

Following is polling the site's status; one failed poll (a dropped connection, a timeout, a 500, an
answer of the wrong shape) says nothing about the sync, so it is retried, up to `poll_failures` in a
row with a pause that doubles, while the progress says "Lost contact, retrying (n)". Only the site
reporting the sync failed or hung, a refused login, or losing contact for good ends it as failed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import TypeVar

from synctui.backend import LostContact, ProgressCallback, poll_through_faults
from synctui.model import Category, Rejection, SyncProgress, SyncResult

from . import mapping
from .options import MSupplyOptions
from .wire import SyncStatus

T = TypeVar("T")


async def poll(
    call: Callable[[], Awaitable[T]], options: MSupplyOptions, lost: Callable[[int, Rejection], None]
) -> T:
    """One poll of a long action, through transient faults (synctui.backend.poll_through_faults)."""
    return await poll_through_faults(
        call, failures=options.poll_failures, backoff=options.poll_backoff_seconds, lost=lost
    )


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
    shown: SyncProgress | None = None
    status: SyncStatus | None = before

    def lost(failures: int, why: Rejection) -> None:
        steps = shown.steps if shown is not None else []
        progress(SyncProgress(steps=steps, message=f"Lost contact, retrying ({failures})", running=True))

    while True:
        try:
            status = await poll(status_now, options, lost)
        except LostContact as exc:
            return lost_contact(exc, status if following else None)
        started = status.summary.started if status and status.summary else None
        if started is not None and started != previous:
            following = True
        if following and status is not None:
            verdict = mapping.assess(status, datetime.now(UTC), threshold)
            step_progress = mapping.progress(status, verdict)
            if step_progress is not None:
                shown = step_progress
                progress(step_progress)
            if verdict.state == "succeeded":
                counts = step_counts(status)
                return SyncResult(True, f"Sync finished: {describe(counts)}", counts=counts)
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


def lost_contact(exc: LostContact, status: SyncStatus | None) -> SyncResult:
    last = exc.rejection
    rejection = Rejection(
        Category.RETRYABLE,
        f"Lost contact with the mSupply site while following the sync ({exc.failures} polls in a row "
        f"failed): {last.message}",
        "The sync may still be running on the site. Check the connection to the site, then look at "
        "its sync status before starting another.",
        status=last.status,
        code="LOST_CONTACT",
        raw=last.raw,
    )
    return SyncResult(False, rejection.message, rejection, step_counts(status) if status else {})


def step_counts(status: SyncStatus) -> dict[str, int]:
    """Records done per step of the sync, as SyncResult counts; `sent` and `received` sum them up."""
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
    pushed = [counts[k] for k in ("pushed", "pushed_v6") if k in counts]
    pulled = [counts[k] for k in ("pulled_central", "pulled_remote", "pulled_v6") if k in counts]
    if pushed:
        counts["sent"] = sum(pushed)
    if pulled:
        counts["received"] = sum(pulled)
    return counts


def describe(counts: dict[str, int]) -> str:
    """`6 pushed, 1237 pulled, 1237 integrated`: what the sync did, counted, from its steps."""
    parts = [
        f"{counts['sent']} pushed" if "sent" in counts else "push not reported",
        f"{counts['received']} pulled" if "received" in counts else "pull not reported",
    ]
    if "integrated" in counts:
        parts.append(f"{counts['integrated']} integrated")
    return ", ".join(parts)
