"""The conflicts queue of an mSupply site: the failing sync with its error, and the records that failed
to integrate (from the site's sync_buffer, when its database is readable).

What mSupply supports for them: listing, inspecting, and retry (which is a new sync: mSupply retries the
failed step and re-integrates every buffered record on each sync; it has no per-record retry). It has no
discard, compare, reset or resubmit through its API, so synctui offers none (see the README).
"""

from __future__ import annotations

from dataclasses import replace

from synctui.model import QueueEntry, QueueKind, Rejection

from . import database, mapping
from .rejections import explain
from .wire import SyncStatus

SYNC_ENTRY_ID = "sync-error"
BUFFER_PREFIX = "buffer:"


def sync_error_entry(status: SyncStatus | None, verdict: mapping.Assessment) -> QueueEntry | None:
    if verdict.rejection is None:
        return None
    return QueueEntry(
        id=SYNC_ENTRY_ID,
        queue=QueueKind.CONFLICTS,
        record_type="Sync",
        operation=mapping.STEP_LABELS.get(verdict.failed_step or "", "sync"),
        created=status.summary.started if status and status.summary else None,
        attempts=1,
        rejection=verdict.rejection,
    )


def buffer_entry(row: database.BufferError) -> QueueEntry:
    return QueueEntry(
        id=BUFFER_PREFIX + row.record_id,
        queue=QueueKind.CONFLICTS,
        record_type=row.table_name,
        operation=row.action,
        created=row.received,
        attempts=1,
        rejection=integration_rejection(row),
        correlation=row.record_id,
        original_queue=QueueKind.INBOX,
    )


def integration_rejection(row: database.BufferError) -> Rejection:
    """The record's own reason in the message (first line), the whole text in `raw`."""
    rejection = explain("INTEGRATION_ERROR", row.integration_error)
    if rejection.code != "INTEGRATION_ERROR":
        return rejection  # e.g. central data: the ownership explanation says it better
    first = (row.integration_error.strip().splitlines() or ["no reason given"])[0]
    if len(first) > 200:
        first = first[:199] + "…"
    return replace(rejection, message=f"This {row.table_name} record could not be integrated: {first}")


def matches(entry: QueueEntry, text: str | None) -> bool:
    return not text or text.lower() in f"{entry.record_type} {entry.operation}".lower()


def matches_row(row: database.BufferError, text: str) -> bool:
    return text.lower() in f"{row.table_name} {row.action} {row.record_id}".lower()
