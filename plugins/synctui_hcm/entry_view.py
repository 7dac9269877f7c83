"""An OpLog row as a queue entry, with why it sits where it does (blocked, not confirmed, given up)."""

from __future__ import annotations

from synctui.model import Category, QueueEntry, QueueKind, Rejection

from .oplog import OpRow, to_datetime
from .sync_rejections import not_confirmed


def queue_entry(row: OpRow, queue: QueueKind, max_attempts: int, blocker: OpRow | None = None) -> QueueEntry:
    return QueueEntry(
        id=str(row.id),
        queue=queue,
        record_type=row.entity_type,
        operation=row.operation,
        created=to_datetime(row.created_at),
        attempts=row.retries if row.synced_up else row.send_count,
        rejection=why(row, queue, max_attempts, blocker),
        correlation=row.cref,
        original_queue=(QueueKind.INBOX if row.synced_up else QueueKind.OUTBOX)
        if queue == QueueKind.CONFLICTS
        else None,
    )


def why(row: OpRow, queue: QueueKind, max_attempts: int, blocker: OpRow | None) -> Rejection | None:
    if queue == QueueKind.OUTBOX and blocker is not None:
        state = "awaiting confirmation" if blocker.synced_up else "not sent yet"
        if blocker.queue(max_attempts) == QueueKind.CONFLICTS:
            state = "in conflicts"
        return Rejection(
            category=Category.RETRYABLE,
            message=f"Blocked behind the {blocker.operation} of this {row.entity_type} "
            f"(row {blocker.id}, {state}).",
            advice="It is sent once that row is confirmed; resolve that row first if it is in conflicts.",
            code="BLOCKED",
        )
    if row.last_error is not None or queue != QueueKind.CONFLICTS:
        return row.last_error
    if row.synced_up and row.synced_down:
        return Rejection(
            category=Category.UNKNOWN,
            message="Given up by the HCM app: dumped to the error handler and marked synced, never confirmed.",
            advice="Compare with the server; retry (it is searched for first) or discard it.",
            code="DUMPED_BY_APP",
        )
    if row.synced_up:
        return not_confirmed(row.retries)
    return Rejection(
        category=Category.UNKNOWN,
        message="Marked non-recoverable by the HCM app.",
        advice="Inspect the entity; retry or discard it.",
        code="NON_RECOVERABLE",
    )


QUEUE_LABELS = {
    QueueKind.OUTBOX: "Data unsynced",
    QueueKind.INBOX: "Awaiting confirmation",
    QueueKind.CONFLICTS: "Not confirmed / errors",
}


def not_in_queue(row: OpRow, asked: QueueKind, actual: QueueKind | None) -> Rejection:
    """Asked for under a queue the row is not (or no longer) in: where it is now, never a rejection."""
    label = QUEUE_LABELS.get(asked, asked.value)
    if actual is not None:
        where = f"it is in {QUEUE_LABELS.get(actual, actual.value)} now"
    elif row.discarded:
        where = "it was discarded (it stays in the OpLog file, marked)"
    elif row.synced_down:
        where = "the server confirmed it"
    elif row.synced_up:
        where = "it was sent; the app awaits no confirmation for this entity type"
    else:
        where = f"a {row.operation} row is never queued"
    return Rejection(
        category=Category.GONE,
        message=f"OpLog row {row.id} is no longer in {label}: {where}.",
        advice="Refresh the list.",
        code="NOT_QUEUED",
        status=404,
    )
