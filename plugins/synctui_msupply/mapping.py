"""Open mSupply sync status → synctui's queues, sync log, job and progress."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from synctui.model import (
    Job,
    JobState,
    QueueKind,
    QueueStat,
    Rejection,
    SyncLogRow,
    SyncProgress,
    SyncStep,
)

from .rejections import explain
from .wire import StepStatus, SyncStatus

# (GraphQL field, log key, label) in the order a sync runs them (synchroniser.rs, reference §6)
STEPS: tuple[tuple[str, str, str], ...] = (
    ("prepareInitial", "prepare_initial", "Prepare initial"),
    ("pushV6", "push_v6", "Push v6"),
    ("push", "push", "Push"),
    ("pullCentral", "pull_central", "Pull central"),
    ("pullRemote", "pull_remote", "Pull remote"),
    ("pullV6", "pull_v6", "Pull v6"),
    ("integration", "integration", "Integrate"),
)
PULL_FIELDS = ("pullCentral", "pullRemote", "pullV6")
STEP_LABELS = {gql: label for gql, _, label in STEPS}


@dataclass(frozen=True)
class Assessment:
    """What the latest sync_log row means right now."""

    state: str  # never, running, hung, failed, succeeded
    rejection: Rejection | None  # failed or hung: why, in plain words
    failed_step: str | None  # GraphQL field of the step that failed or hangs
    age: timedelta | None  # since the start of the latest sync


def current_step(status: SyncStatus) -> str | None:
    """The step that started last and has not finished."""
    found = None
    for gql, _, _ in STEPS:
        step = status.steps.get(gql)
        if step and step.started and not step.finished:
            found = gql
    return found


def hung_after(interval_seconds: int | None, multiple: float, minimum_seconds: float) -> timedelta:
    base = (interval_seconds or 0) * multiple
    return timedelta(seconds=max(base, minimum_seconds))


def assess(status: SyncStatus | None, now: datetime, hung_threshold: timedelta) -> Assessment:
    if status is None or status.summary is None or status.summary.started is None:
        if status is not None and status.error is not None:  # failed before anything was logged
            return Assessment("failed", explain(status.error.variant, status.error.full_error), None, None)
        return Assessment("never", None, None, None)
    summary = status.summary
    age = now - summary.started if summary.started else None
    step = current_step(status)
    if status.error is not None:
        label = STEP_LABELS.get(step) if step else None
        return Assessment(
            "failed", explain(status.error.variant, status.error.full_error, step=label), step, age
        )
    if summary.finished is None and age is not None and age >= hung_threshold:
        rejection = explain("SYNC_APPEARS_HUNG")
        where = f" at step {STEP_LABELS[step]}" if step else ""
        rejection = Rejection(
            category=rejection.category,
            message=f"The sync appears hung{where}: it started {_ago(age)} ago and never finished or "
            "reported an error.",
            advice=rejection.advice,
            code="SYNC_APPEARS_HUNG",
            raw=f"started {summary.started.isoformat()}, no finish, no error; hung after {hung_threshold}",
        )
        return Assessment("hung", rejection, step, age)
    if status.is_syncing or summary.finished is None:
        return Assessment("running", None, step, age)
    return Assessment("succeeded", None, None, age)


def _ago(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 7200:
        return f"{seconds // 60} min"
    if seconds < 172800:
        return f"{seconds // 3600} h"
    return f"{seconds // 86400} days"


def remaining_to_pull(status: SyncStatus | None) -> int:
    """Records still to pull in the running sync: the started, unfinished pull steps."""
    if status is None or not status.is_syncing:
        return 0
    left = 0
    for gql in PULL_FIELDS:
        step = status.steps.get(gql)
        if step and step.started and not step.finished and step.total is not None:
            left += max(step.total - (step.done or 0), 0)
    return left


def queues(
    push_queue: int | None, status: SyncStatus | None, verdict: Assessment, integration_errors: int | None
) -> list[QueueStat]:
    syncing = verdict.state in ("running", "hung")
    failing = 1 if verdict.state in ("failed", "hung") else 0
    conflicts_detail = verdict.rejection.message if verdict.rejection else None
    if integration_errors is None:
        conflicts = failing
        extra = "record errors: set options.database to see them"
        conflicts_detail = f"{conflicts_detail} · {extra}" if conflicts_detail else extra
    else:
        conflicts = failing + integration_errors
        if integration_errors:
            text = f"{integration_errors} record{'s' if integration_errors != 1 else ''} failed to integrate"
            conflicts_detail = f"{conflicts_detail} · {text}" if conflicts_detail else text
    return [
        QueueStat(
            QueueKind.OUTBOX, push_queue, label="Push queue", detail="changes waiting to go to central"
        ),
        QueueStat(
            QueueKind.INBOX,
            remaining_to_pull(status),
            label="To pull",
            detail="left in the running sync" if syncing else "known only while a sync runs",
        ),
        QueueStat(QueueKind.ADMIN, None, label="Admin", detail="mSupply has no admin queue"),
        QueueStat(QueueKind.CONFLICTS, conflicts, label="Sync errors", detail=conflicts_detail),
    ]


def _progress_text(step: StepStatus, verdict: Assessment) -> str:
    counted = f"{step.done or 0}/{step.total}" if step.total is not None else ""
    if step.finished or not step.started:
        return counted or ("done" if step.finished else "")
    # started, not finished: running only while the sync runs; else it is where the sync stopped
    state = {"failed": "failed", "hung": "appears hung"}.get(verdict.state, "running")
    if state == "running" and verdict.state != "running":
        state = "did not finish"
    return f"{state} at {counted}" if counted else state


def log_rows(status: SyncStatus | None, verdict: Assessment) -> list[SyncLogRow]:
    """A row for the whole sync (last success beside last attempt) and one per step of the last sync."""
    last_success = status.last_successful_sync.finished if status and status.last_successful_sync else None
    summary = status.summary if status else None
    error_text = verdict.rejection.message if verdict.rejection else None
    rows = [
        SyncLogRow(
            key="sync",
            record_type="Whole sync",
            filter=f"last attempt {verdict.state}",
            last_success=last_success,
            last_attempt=summary.started if summary else None,
            last_error=error_text,
        )
    ]
    for gql, key, label in STEPS:
        step = status.steps.get(gql) if status else None
        if step is None or step.started is None:
            rows.append(
                SyncLogRow(
                    key=key, record_type=label, filter="not run in the last sync", last_success=last_success
                )
            )
            continue
        pending = max(step.total - (step.done or 0), 0) if step.total is not None else None
        rows.append(
            SyncLogRow(
                key=key,
                record_type=label,
                filter=_progress_text(step, verdict),
                last_success=step.finished or last_success,
                last_attempt=step.started,
                last_error=error_text if verdict.failed_step == gql else None,
                local_count=step.done,
                pending=pending,
            )
        )
    return rows


def progress(status: SyncStatus | None, verdict: Assessment) -> SyncProgress | None:
    if status is None or verdict.state == "never":
        return None
    steps = []
    for gql, _, label in STEPS:
        step = status.steps.get(gql)
        if step is None or step.started is None:
            continue
        stopped = verdict.state in ("failed", "hung") and gql == verdict.failed_step
        steps.append(
            SyncStep(
                label,
                total=step.total,
                done=step.done,
                started=step.started,
                finished=step.finished,
                failed=stopped,
            )
        )
    if verdict.state == "running":
        where = STEP_LABELS.get(verdict.failed_step or "") if verdict.failed_step else None
        message = f"{where}…" if where else "Starting…"
    elif verdict.state == "succeeded":
        message = "Sync finished without an error"
    else:
        message = verdict.rejection.message if verdict.rejection else ""
    return SyncProgress(
        steps=steps,
        message=message,
        running=verdict.state in ("running", "hung"),
        hung=verdict.state == "hung",
    )


def job(
    status: SyncStatus | None, verdict: Assessment, interval_seconds: int | None, paused: bool = False
) -> Job:
    """The site's sync job. `interval_seconds` None: not known, or `paused` (interval 0: nothing is
    scheduled, so the job is idle, not "scheduled")."""
    summary = status.summary if status else None
    started = summary.started if summary else None
    finished = summary.finished if summary else None
    prog = progress(status, verdict)
    state = {
        "never": JobState.SCHEDULED,
        "running": JobState.RUNNING,
        "hung": JobState.FAILED,
        "failed": JobState.FAILED,
        "succeeded": JobState.SCHEDULED,
    }[verdict.state]
    next_run = None
    if interval_seconds and verdict.state not in ("running", "hung"):
        anchor = finished or started
        next_run = anchor + timedelta(seconds=interval_seconds) if anchor else None
    if verdict.state == "never":
        message = "No sync has run yet" + ("" if interval_seconds else "; waiting for a manual sync")
    elif verdict.state == "running":
        message = prog.message if prog else "Syncing…"
    elif verdict.state == "succeeded":
        message = "Last sync succeeded"
    else:
        message = verdict.rejection.message if verdict.rejection else "Last sync failed"
    if paused:
        state = JobState.IDLE if state == JobState.SCHEDULED else state
        message += "; scheduled syncs paused (interval 0)"
    return Job(
        id="sync",
        name="Sync with central",
        state=state,
        progress=prog.fraction if prog and verdict.state == "running" else None,
        last_start=started,
        last_finish=finished,
        next_run=next_run,
        message=message,
    )
