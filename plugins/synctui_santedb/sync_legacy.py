"""Synchronize Now and Re-Submit To Server on SanteDB 2.x and OpenIZ, which have no job to watch.

Synchronize Now (`POST /app/Sync` on 2.x, `POST /__app/queue` on OpenIZ) starts a push and pull; a 2.x
client already synchronizing refuses with "already synchronizing", which means "join it". Then only the
queue counts tell how it goes: the run is over when the outbox, admin queue and inbox are empty, or
when the counts have not moved for `sync_settle_polls` polls. The verdict is the 3.x one
(sync_now.sync_result without a job).

Re-Submit To Server (OpenIZ, `PUT /__app/data/sync?creationTime=>…&creationTime=<…`) makes the client
queue again, as Update bundles, the records created in the range that the server lacks; KB005 warns it
can take 20–30 minutes. Progress is the outbox growing (queued) and draining (sent). Cancelling the
coroutine stops the wait and drops the request; a real client may finish the work regardless.
"""

from __future__ import annotations

import asyncio
import time
from datetime import datetime
from urllib.parse import urlencode

from synctui.backend import BackendError, ProgressCallback
from synctui.model import ActionResult, Category, QueueKind, SyncProgress, SyncResult, SyncStep

from . import reading
from .dcdr_client import DcdrClient
from .sync_now import OUTGOING, StepTracker, sync_result, sync_timeout

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
    while True:
        await asyncio.sleep(interval)
        latest = await reading.counts(client)
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


def resubmit_query(since: datetime, until: datetime) -> str:
    """`creationTime=>YYYY-MM-DDT00:00:00&creationTime=<YYYY-MM-DDT23:59:59` (whole days, as the UI)."""
    return urlencode(
        [
            ("creationTime", f">{since:%Y-%m-%d}T00:00:00"),
            ("creationTime", f"<{until:%Y-%m-%d}T23:59:59"),
        ]
    )


def _timed_out(exc: BaseException) -> bool:
    return isinstance(exc, BackendError) and exc.rejection.code == "UNREACHABLE" and "in time" in str(exc)


async def resubmit(
    client: DcdrClient, since: datetime, until: datetime, progress: ProgressCallback
) -> ActionResult:
    call = client.profile.resubmit
    assert call is not None
    if not isinstance(since, datetime) or not isinstance(until, datetime) or until.date() < since.date():
        raise client.config("the re-submit range must be two dates, the first not after the second")
    started = reading.now()
    baseline = (await reading.counts(client))[QueueKind.OUTBOX]
    client.forget_cache()
    request = asyncio.ensure_future(
        client.request(call.method, call.path, query=resubmit_query(since, until))
    )
    interval = float(client.options["sync_poll_interval"])
    settle = max(int(client.options["sync_settle_polls"]), 1)
    deadline = time.monotonic() + float(client.options["sync_max_duration"])
    queued, peak, previous, still = 0, baseline, baseline, 0
    answered: datetime | None = None
    note = ""
    try:
        while True:
            if request.done() and answered is None:
                answered = reading.now()
                failure = request.exception()
                if failure is not None and not _timed_out(failure):
                    raise failure
                if failure is not None:
                    note = " (the client did not answer in time and may still be working)"
            outbox = (await reading.counts(client))[QueueKind.OUTBOX]
            queued += max(outbox - previous, 0)
            still = still + 1 if outbox == previous else 0
            previous, peak = outbox, max(peak, outbox)
            finished = answered is not None and (outbox == 0 or still >= settle)
            progress(_progress(started, answered, queued, peak, outbox, running=not finished))
            if finished or time.monotonic() >= deadline:
                break
            await asyncio.sleep(interval)
    finally:
        if not request.done():
            request.cancel()  # cancelled or given up: do not leave the request behind
    client.forget_cache()
    if answered is None:
        return ActionResult(ok=False, message=f"Re-submit did not finish in time; {queued} records queued")
    span = f"{since:%Y-%m-%d} to {until:%Y-%m-%d}"
    return ActionResult(
        ok=True, message=f"{queued} records created {span} were queued again for the server{note}"
    )


def _progress(
    started: datetime, answered: datetime | None, queued: int, peak: int, outbox: int, running: bool
) -> SyncProgress:
    steps = [
        SyncStep(
            "Queue records the server lacks",
            total=queued if answered else None,
            done=queued,
            started=started,
            finished=answered,
        ),
        SyncStep("Send outbox", total=peak, done=peak - outbox, started=started),
    ]
    message = "Re-submitting to the server" if running else f"{queued} records queued again"
    return SyncProgress(steps=steps, message=message, running=running)
