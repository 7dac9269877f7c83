"""Pages and details of an mSupply site's conflicts queue: the failed sync first, then the records of
the site's sync_buffer that failed to integrate (when its database is readable)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from synctui.backend import BackendError
from synctui.model import Category, EntryDetail, EntryPage, QueueEntry, Rejection

from . import conflicts, database
from .wire import SyncStatus


def not_listable() -> BackendError:
    return BackendError(
        Rejection(
            Category.UNKNOWN,
            "An Open mSupply site reports only the size of this queue, not its records.",
            code="NOT_LISTABLE",
        )
    )


def gone(message: str) -> BackendError:
    return BackendError(Rejection(Category.GONE, message, code="NOT_FOUND"))


async def conflicts_page(
    sync_entry: QueueEntry | None, db: Path | None, offset: int, limit: int, filter: str | None
) -> EntryPage:
    head = [sync_entry] if sync_entry and conflicts.matches(sync_entry, filter) else []
    if db is None:
        return EntryPage(head[offset : offset + limit], offset, limit, total=len(head))
    db_offset = max(offset - len(head), 0)
    total, rows = await database.integration_errors(db, db_offset, limit + len(head))
    listed = head[offset:] + [
        conflicts.buffer_entry(r) for r in rows if filter is None or conflicts.matches_row(r, filter)
    ]
    return EntryPage(listed[:limit], offset, limit, total=total + len(head) if filter is None else None)


def sync_error_detail(sync_entry: QueueEntry | None, status: SyncStatus | None) -> EntryDetail:
    if sync_entry is None:
        raise gone("The failed sync is gone: the latest sync did not fail.")
    payload: dict[str, Any] = {"step": sync_entry.operation}
    if status and status.error:
        payload.update(variant=status.error.variant, fullError=status.error.full_error)
    if status and status.summary and status.summary.started:
        payload["started"] = status.summary.started.isoformat()
    return EntryDetail(sync_entry, json.dumps(payload, indent=2))


async def buffer_detail(db: Path, id: str) -> EntryDetail | None:
    _, rows = await database.integration_errors(db, record_id=id[len(conflicts.BUFFER_PREFIX) :])
    if rows:
        return EntryDetail(conflicts.buffer_entry(rows[0]), rows[0].data or "{}")
    return None
