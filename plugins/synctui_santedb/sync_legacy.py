"""Synchronize Now on SanteDB 2.x and OpenIZ, which have no job to watch.

Synchronize Now (`POST /app/Sync` on 2.x, `POST /__app/queue` on OpenIZ) starts a push and pull; a 2.x
client already synchronizing refuses with "already synchronizing", which means "join it". Then only the
queue counts tell how it goes: the run is over when the outbox, admin queue and inbox are empty, or
when the counts have not moved for `sync_settle_polls` polls. The verdict is the 3.x one
(sync_now.sync_result without a job).
"""

from __future__ import annotations

import asyncio
import time

from synctui.backend import BackendError, LostContact, ProgressCallback
from synctui.model import Category, QueueKind, Rejection, SyncResult

from . import reading
from .dcdr_client import DcdrClient
from .sync_now import OUTGOING, StepTracker, lost_contact, poll, sync_result, sync_timeout

BUSY = "already synchroniz"  # SanteDB 2.x: InvalidOperationException "Already synchronizing"


async def _start(client: DcdrClient) -> bool:
    """Start the push and pull; True when one was already running (joined)."""
    call = client.profile.sync_start
    assert call is not None
    try:
        await client.request(call.method, call.path)
    except BackendError as exc:
        said = f"{exc.rejection.message} {exc.rejection.raw}".lower()
        if BUSY in said and exc.rejection.category != Category.AUTH:
            return True
        raise
    return False


async def synchronize(client: DcdrClient, progress: ProgressCallback) -> SyncResult:
    start = reading.now()
    baseline = await reading.counts(client)
    joined = await _start(client)
    client.forget_cache()
    tracker = StepTracker(baseline, start)
    progress(tracker.progress(baseline, "Synchronizing" if joined else "Starting", running=True))
    deadline = time.monotonic() + float(client.options["sync_max_duration"])
    interval = float(client.options["sync_poll_interval"])
    settle = max(int(client.options["sync_settle_polls"]), 1)
    counts, still = baseline, 0

    def lost(failures: int, why: Rejection) -> None:
        progress(tracker.progress(counts, f"Lost contact, retrying ({failures})", running=True))

    while True:
        await asyncio.sleep(interval)
        try:
            latest = await poll(client, lambda: reading.counts(client), lost)
        except LostContact as exc:
            return lost_contact(tracker, counts, exc)
        still = still + 1 if latest == counts else 0
        counts = latest
        idle = not any(counts[k] for k in (*OUTGOING, QueueKind.INBOX))
        done = (idle and still >= 1) or still >= settle
        progress(tracker.progress(counts, "" if done else "Synchronizing", running=not done))
        if done:
            break
        if time.monotonic() >= deadline:
            return sync_timeout(client, tracker, counts)
    client.forget_cache()
    return await sync_result(client, None, baseline, counts, tracker)
