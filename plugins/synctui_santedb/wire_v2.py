"""Strict parsing of SanteDB 2.x answers (reference §7); OpenIZ (wire_openiz.py) shares the entry shape.

2.x entries: `id`, `operation`, `type` (.NET type name), `creationTime`, `data` (blob key), `isRetry`;
outbound and admin add `retryCount`; dead entries add `originalQueue` (a table name such as
`outbound_queue`) and `tag` (the UTF-8 bytes of the exception text, base64 in JSON). Listings are plain
lists without a total. The sync log keys are `Uuid`, `ResourceType`, `Filter`, `LastETag`, `LastSync`.
Like wire.py, everything wrong in an answer raises BackendError via `where.fail`, nothing else.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any
from urllib.parse import unquote

from synctui.model import Capability, EntryPage, QueueEntry, QueueKind, SyncLogRow

from .profiles import Profile
from .rejections import parse_reason
from .wire import NO_REASON, LogRow, parse_counts
from .wire_fields import (
    MAX_TEXT,
    Where,
    as_count,
    as_object,
    kind_of,
    opt_bool,
    opt_count,
    opt_text,
    parse_time,
)

__all__ = [
    "decode_base64",
    "original_queue",
    "parse_counts",
    "parse_entry",
    "parse_entry_list",
    "parse_sync_log",
    "short_type",
]

OPERATIONS = {0: "Sync", 1: "Insert", 2: "Update", 3: "Obsolete"}
# originalQueue as the legacy clients write it: a table name, a queue name or an entry class name
_ORIGINAL = (
    ("outbound", QueueKind.OUTBOX),
    ("inbound", QueueKind.INBOX),
    ("admin", QueueKind.ADMIN),
    ("out", QueueKind.OUTBOX),
    ("in", QueueKind.INBOX),
)


def short_type(text: str) -> str:
    """`SanteDB.Core.Model.Collection.Bundle, SanteDB.Core.Model` → `Bundle`."""
    name = text.split(",")[0].strip()
    return name.rsplit(".", 1)[-1][:200]


def original_queue(name: str) -> QueueKind | None:
    lowered = name.strip().lower()
    for prefix, kind in _ORIGINAL:
        if lowered.startswith(prefix):
            return kind
    return None


def decode_base64(value: Any, where: Where, what: str, limit: int = 8 * 1024 * 1024) -> bytes | None:
    """A base64 field (.NET writes byte[] so) → bytes; None when absent."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise where.fail(f"{what} that is not base64 text ({kind_of(value)})")
    if len(value) > limit * 4 // 3 + 4:
        raise where.fail(f"{what} that is too large")
    try:
        return base64.b64decode(value.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise where.fail(f"{what} that is not valid base64") from None


def _operation(obj: dict[str, Any], where: Where) -> str:
    value = obj.get("operation")
    if isinstance(value, int) and not isinstance(value, bool):
        return OPERATIONS.get(value, str(value))[:100]
    return (opt_text(obj, "operation", where, "an operation") or "")[:100]


def parse_entry(data: Any, queue: QueueKind, where: Where, profile: Profile) -> QueueEntry:
    obj = as_object(data, where, "a queue entry")
    raw_id = obj.get("id")
    if isinstance(raw_id, bool) or not isinstance(raw_id, (int, str)) or raw_id == "":
        raise where.fail("a queue entry without a valid id")
    entry_id = str(as_count(raw_id, where, "an entry id")) if isinstance(raw_id, int) else raw_id
    if len(entry_id) > 100:
        raise where.fail("a queue entry id that is too long")
    retries = opt_count(obj, "retryCount", where, "a retryCount") or 0
    if not retries and opt_bool(obj, "isRetry", where, "an isRetry flag"):
        retries = 1
    original_name = opt_text(obj, "originalQueue", where, "an originalQueue")
    rejection = None
    tag = decode_base64(obj.get("tag"), where, "a tag", limit=MAX_TEXT)
    if tag is not None:
        text = tag[:MAX_TEXT].decode("utf-8", errors="replace")
        rejection = parse_reason(text, compare=Capability.COMPARE in profile.capabilities)
    elif queue == QueueKind.CONFLICTS:
        rejection = NO_REASON
    return QueueEntry(
        id=entry_id,
        queue=queue,
        record_type=short_type(opt_text(obj, "type", where, "a type") or ""),
        operation=_operation(obj, where),
        created=parse_time(obj.get("creationTime"), where, "a creationTime"),
        attempts=retries,
        rejection=rejection,
        original_queue=original_queue(original_name) if original_name else None,
    )


def parse_entry_list(
    data: Any, queue: QueueKind, offset: int, limit: int, where: Where, profile: Profile
) -> EntryPage:
    """`GET /app/Queue/{q}`: a plain list, so the total is not known."""
    if not isinstance(data, list):
        raise where.fail(f"a queue listing that is not a list ({kind_of(data)})")
    entries = [parse_entry(item, queue, where, profile) for item in data[: max(limit, 0)]]
    return EntryPage(entries=entries, offset=offset, limit=limit, total=None)


def parse_sync_log(data: Any, where: Where) -> list[LogRow]:
    if not isinstance(data, list):
        raise where.fail(f"a sync log that is not a list ({kind_of(data)})")
    rows = []
    for item in data:
        obj = as_object(item, where, "a sync log row")
        key = opt_text(obj, "Uuid", where, "a Uuid", required=True) or ""
        if not key:
            raise where.fail("a sync log row without a Uuid")
        resource = opt_text(obj, "ResourceType", where, "a ResourceType", required=True) or ""
        raw_filter = opt_text(obj, "Filter", where, "a Filter") or ""
        row = SyncLogRow(
            key=key[:100],
            record_type=resource[:200],
            filter=unquote(raw_filter, errors="replace"),
            last_success=parse_time(obj.get("LastSync"), where, "a LastSync"),
        )
        rows.append(LogRow(row=row, raw_filter=raw_filter))
    return rows
