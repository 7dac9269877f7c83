"""Synchronize Now: start (or join) the dCDR's upstream sync job, follow the queues, say what happened.

Following a sync is polling; one failed poll (a dropped connection, a timeout, a 500, a garbled answer)
says nothing about the sync itself, so it is retried (`poll`): up to `sync_poll_failures` in a row, with
a growing pause, while the progress says "Lost contact, retrying (n)". Only the job failing, a refusal
(auth) or losing contact for good ends the run as failed.

The result is counted (`sent`, `received`, `rejected`, `waiting`); `ok` means the run itself completed
without a failure, not that everything reached the server: entries it left rejected or waiting are in
the counts and the message, and the dashboard judges the queues afterwards.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import datetime
from typing import TypeVar

from synctui.backend import BackendError, LostContact, ProgressCallback, poll_through_faults
from synctui.model import (
    Category,
    JobState,
    QueueKind,
    Rejection,
    SyncProgress,
    SyncResult,
    SyncStep,
    rejected_words,
)

from . import reading
from .dcdr_client import DcdrClient
from .rejections import first_message_line, parse_reason
from .wire import JobInfo

OUTGOING = (QueueKind.OUTBOX, QueueKind.ADMIN)
DONE_STATES = {"completed", "aborted", "cancelled", "canceled", "stopped"}
T = TypeVar("T")


async def poll(
    client: DcdrClient, call: Callable[[], Awaitable[T]], lost: Callable[[int, Rejection], None]
) -> T:
    """One poll while following a long action, through transient faults
    (synctui.backend.poll_through_faults with the `sync_poll_failures` / `sync_poll_backoff` options)."""
    return await poll_through_faults(
        call,
        failures=client.options["sync_poll_failures"],
        backoff=float(client.options["sync_poll_backoff"]),
        lost=lost,
    )


class StepTracker:
    """Turns falling queue counts into SyncSteps: total = the most ever waiting, done = total − now."""

    STEPS = (
        (QueueKind.OUTBOX, "Send outbox"),
        (QueueKind.ADMIN, "Send admin queue"),
        (QueueKind.INBOX, "Receive inbox"),
    )

    def __init__(self, baseline: dict[QueueKind, int], started: datetime) -> None:
        self.baseline = baseline
        self.started = started
        self.peak = {kind: baseline[kind] for kind, _ in self.STEPS}
        self.finished: dict[QueueKind, datetime] = {}

    def progress(self, counts: dict[QueueKind, int], message: str, running: bool) -> SyncProgress:
        steps = []
        for kind, name in self.STEPS:
            self.peak[kind] = max(self.peak[kind], counts[kind])
            if counts[kind] == 0 and kind not in self.finished and (self.peak[kind] or not running):
                self.finished[kind] = reading.now()
            elif counts[kind]:
                self.finished.pop(kind, None)
            total = self.peak[kind]
            steps.append(
                SyncStep(
                    name,
                    total=total,
                    done=total - counts[kind],
                    started=self.started,
                    finished=self.finished.get(kind) if not running or counts[kind] == 0 else None,
                )
            )
        return SyncProgress(
            steps=steps, message=message or ("Synchronizing" if running else ""), running=running
        )

    def counts(self, counts: dict[QueueKind, int]) -> dict[str, int]:
        sent = sum(max(self.peak[k] - counts[k], 0) for k in OUTGOING)
        return {
            "sent": sent,
            "received": max(self.peak[QueueKind.INBOX] - counts[QueueKind.INBOX], 0),
            "rejected": max(counts[QueueKind.CONFLICTS] - self.baseline[QueueKind.CONFLICTS], 0),
            "waiting": sum(counts[k] for k in OUTGOING),
        }


async def synchronize(client: DcdrClient, progress: ProgressCallback) -> SyncResult:
    if client.profile.sync_start is not None:
        from . import sync_legacy  # it builds on this module

        return await sync_legacy.synchronize(client, progress)
    start = reading.now()
    baseline = await reading.counts(client)
    job_id = client.profile.sync_job_id
    job = await reading.job(client, job_id)
    joined = job.job.state == JobState.RUNNING
    if not joined:
        body = {"parameter": [{"name": "mode", "value": "All"}, {"name": "push", "value": True}]}
        await client.request("POST", (client.profile.job_start or "").format(id=job_id), json_body=body)
    client.forget_cache()
    tracker = StepTracker(baseline, start)
    progress(tracker.progress(baseline, "Synchronizing" if joined else "Starting", running=True))
    deadline = time.monotonic() + float(client.options["sync_max_duration"])
    interval = float(client.options["sync_poll_interval"])
    seen_running, polls = joined, 0
    counts = baseline

    def lost(failures: int, why: Rejection) -> None:
        progress(tracker.progress(counts, f"Lost contact, retrying ({failures})", running=True))

    while True:
        polls += 1
        try:
            job = await poll(client, lambda: reading.job(client, job_id), lost)
            counts = await poll(client, lambda: reading.counts(client), lost)
        except LostContact as exc:
            return lost_contact(tracker, counts, exc)
        running = job.job.state == JobState.RUNNING
        seen_running = seen_running or running
        finished = not running and job.wire_state.lower() in DONE_STATES | {"notrun"}
        grace_over = polls > client.options["sync_start_grace"]
        this_run = seen_running or _after(job.job.last_start, start) or grace_over
        done = finished and this_run
        progress(tracker.progress(counts, job.job.message, running=not done))
        if done:
            break
        if time.monotonic() >= deadline:
            return sync_timeout(client, tracker, counts)
        await asyncio.sleep(interval)
    client.forget_cache()
    return await sync_result(client, job, baseline, counts, tracker)


def sync_timeout(client: DcdrClient, tracker: StepTracker, counts: dict[QueueKind, int]) -> SyncResult:
    seconds = int(float(client.options["sync_max_duration"]))
    rejection = Rejection(
        category=Category.RETRYABLE,
        message=f"The synchronization did not finish within {seconds} s",
        advice="It may still be running on the device: check Background Jobs, and the connection "
        "to the server, before starting it again.",
        code="TIMEOUT",
    )
    totals = tracker.counts(counts)
    return SyncResult(ok=False, message=_failed(rejection, totals), rejection=rejection, counts=totals)


def lost_contact(tracker: StepTracker, counts: dict[QueueKind, int], exc: LostContact) -> SyncResult:
    """Following the sync failed `exc.failures` times in a row: what is known so far, not a verdict
    on the sync (it may go on on the device)."""
    last = exc.rejection
    rejection = Rejection(
        category=Category.RETRYABLE,
        message=f"Lost contact with the dCDR while following the synchronization "
        f"({exc.failures} polls in a row failed): {last.message}",
        advice="The synchronization may still be running on the device. Check the connection to the "
        "dCDR, then look at the queues before starting it again.",
        status=last.status,
        code="LOST_CONTACT",
        raw=last.raw,
    )
    totals = tracker.counts(counts)
    return SyncResult(ok=False, message=_failed(rejection, totals), rejection=rejection, counts=totals)


def describe(totals: dict[str, int]) -> str:
    """`12 sent, 3 received, 2 rejected by the server, 4 still waiting`: what the run did, counted."""
    parts = [f"{totals['sent']} sent", f"{totals['received']} received"]
    if totals.get("rejected"):
        parts.append(f"{totals['rejected']} rejected by the server (in Conflicts)")
    if totals.get("waiting"):
        parts.append(f"{totals['waiting']} still waiting to be sent")
    return ", ".join(parts)


def _failed(rejection: Rejection, totals: dict[str, int]) -> str:
    return f"{rejection.message} ({describe(totals)} so far)"


async def sync_result(
    client: DcdrClient,
    job: JobInfo | None,
    baseline: dict[QueueKind, int],
    counts: dict[QueueKind, int],
    tracker: StepTracker,
) -> SyncResult:
    """What a finished run did; `job` is None where the dCDR has no job to ask (2.x, OpenIZ).

    `ok` is the run's own outcome: the job completed (3.x), or the queues it works on emptied (2.x,
    OpenIZ, where nothing else says the run is over). Entries it left rejected or still waiting are
    counted in the message and `counts`, and described in `rejection`, whatever `ok` is."""
    totals = tracker.counts(counts)
    state = job.wire_state.lower() if job else "completed"
    if job and state == "aborted":
        reason = parse_reason(job.job.message) if job.job.message else None
        detail = reason.message if reason and reason.category != Category.UNKNOWN else job.job.message
        rejection = Rejection(
            category=reason.category if reason else Category.UNKNOWN,
            message=f"The synchronization job stopped with an error: {first_message_line(detail or '')}"
            if detail
            else "The synchronization job stopped with an error",
            advice=(reason.advice if reason else "")
            or "Check the connection to the server, then synchronize again.",
            status=reason.status if reason else None,
            code=reason.code if reason else None,
            raw=job.job.message,
        )
        return SyncResult(ok=False, message=_failed(rejection, totals), rejection=rejection, counts=totals)
    if state in ("cancelled", "canceled"):
        rejection = Rejection(
            category=Category.UNKNOWN,
            message="The synchronization was cancelled",
            advice="Synchronize again when ready.",
        )
        return SyncResult(ok=False, message=_failed(rejection, totals), rejection=rejection, counts=totals)
    rejected = counts[QueueKind.CONFLICTS] - baseline[QueueKind.CONFLICTS]
    waiting = sum(counts[k] for k in OUTGOING)
    still = None
    if waiting:
        still = Rejection(
            category=Category.RETRYABLE,
            message=f"{waiting} {'record is' if waiting == 1 else 'records are'} still waiting to be sent after the "
            "synchronization",
            advice="Check the device's connection to the server (is it online?) and synchronize again.",
        )
    if job is None and still is not None:
        # No job says the run is over, and its queues did not empty: it did not complete.
        message = f"The synchronization stopped with records still queued: {describe(totals)}"
        return SyncResult(ok=False, message=message, rejection=still, counts=totals)
    rejection = await _rejected(client, rejected, counts) if rejected > 0 else still
    return SyncResult(
        ok=True, message=f"Sync finished: {describe(totals)}", rejection=rejection, counts=totals
    )


SAMPLE = 20  # newest dead letters read to say why they were rejected


async def _rejected(client: DcdrClient, rejected: int, counts: dict[QueueKind, int]) -> Rejection:
    """Why the newest dead letters were rejected, counted per reason. One reason's words and advice
    are given only when every entry read has that reason."""
    message = f"{rejected} {'entry was' if rejected == 1 else 'entries were'} rejected by the server"
    reasons: list[Rejection] = []
    try:
        sample = min(rejected, SAMPLE)
        newest = max(counts[QueueKind.CONFLICTS] - sample, 0)
        page = await reading.page(client, QueueKind.CONFLICTS, newest, sample)
        reasons = [e.rejection for e in page.entries if e.rejection]
    except BackendError:
        pass  # the count alone is still the answer
    if not reasons:
        return Rejection(
            category=Category.UNKNOWN,
            message=message,
            advice="Open the Conflicts queue to see why. Do not re-enter the data: it is not lost.",
            code="REJECTED",
        )
    groups = Counter((r.category, r.status) for r in reasons).most_common()
    read = f" (the {len(reasons)} newest)" if len(reasons) < rejected else ""
    if len(groups) == 1:
        example = reasons[0]
        return replace(example, message=f"{message}{read}: {example.message}")
    counted = ", ".join(rejected_words(n, category, [status]) for (category, status), n in groups)
    examples = [next(r for r in reasons if (r.category, r.status) == group) for group, _ in groups]
    return Rejection(
        category=Category.UNKNOWN,
        message=f"{message}{read}: {counted}",
        advice="Do not re-enter the data: it is not lost. Open Conflicts: each entry says why it was "
        "rejected and what to do about it.",
        code="REJECTED",
        raw="\n\n".join(r.raw for r in examples if r.raw),
    )


def _after(moment: datetime | None, start: datetime) -> bool:
    return moment is not None and (moment - start).total_seconds() > -2.0
