"""Strict parsing of OpenIZ disconnected-client answers (reference §8).

`GET /__app/queue?_queue=q&_offset&_count` answers an AmiCollection read as `Size` (the queue's total),
`CollectionItem` (the page) and `Offset`; with `&_id=<n>` it answers one entry whose `data` is the
payload in base64. Entries have the 2.x shape (wire_v2.parse_entry). Errors are
`{type, error, error_description, caused_by}`.
"""

from __future__ import annotations

import json
import zlib
from typing import Any

from synctui.model import EntryPage, QueueEntry, QueueKind

from .profiles import Profile
from .wire_fields import Where, as_object, kind_of, opt_count
from .wire_v2 import decode_base64, parse_entry

__all__ = ["decode_payload", "parse_collection", "parse_entry_detail", "parse_error", "parse_size"]

GZIP_MAGIC = b"\x1f\x8b"


def _items(obj: dict[str, Any], where: Where) -> list[Any]:
    items = obj.get("CollectionItem")
    if items is None:
        return []
    if not isinstance(items, list):
        raise where.fail(f"a queue listing whose CollectionItem is not a list ({kind_of(items)})")
    return items


def parse_collection(
    data: Any, queue: QueueKind, offset: int, limit: int, where: Where, profile: Profile
) -> EntryPage:
    obj = as_object(data, where, "a queue listing")
    entries = [parse_entry(item, queue, where, profile) for item in _items(obj, where)[: max(limit, 0)]]
    total = opt_count(obj, "Size", where, "a Size")
    answered = opt_count(obj, "Offset", where, "an Offset")
    if total is not None and total < len(entries) + (answered if answered is not None else offset):
        total = None  # Size was the page size, not the queue's
    return EntryPage(entries=entries, offset=offset, limit=limit, total=total)


def parse_size(data: Any, where: Where, profile: Profile) -> tuple[int, QueueEntry | None]:
    """A `_count=1` listing → (the queue's size, its first entry) for the queue tiles."""
    obj = as_object(data, where, "a queue listing")
    size = opt_count(obj, "Size", where, "a Size")
    if size is None:
        raise where.fail("no Size")
    items = _items(obj, where)
    first = parse_entry(items[0], QueueKind.OUTBOX, where, profile) if items else None
    return size, first


def decode_payload(value: Any, where: Where, limit: int) -> tuple[str, str, bool]:
    """`data` (base64, possibly gzip) → (text, content type, truncated); JSON is pretty-printed."""
    raw = decode_base64(value, where, "a data payload")
    if raw is None:
        return "", "application/octet-stream", False
    if raw.startswith(GZIP_MAGIC):
        inflater = zlib.decompressobj(wbits=31)
        try:
            raw = inflater.decompress(raw, limit + 1)
        except zlib.error:
            raise where.fail("a data payload that is not valid gzip") from None
    truncated = len(raw) > limit
    text = raw[:limit].decode("utf-8", errors="replace")
    if truncated:
        return text, "application/octet-stream", True
    stripped = text.lstrip()
    if stripped.startswith(("{", "[")):
        try:
            return json.dumps(json.loads(text), indent=2, ensure_ascii=False), "application/json", False
        except (ValueError, RecursionError):
            return text, "text/plain", False
    return text, "application/xml" if stripped.startswith("<") else "text/plain", False


def parse_entry_detail(
    data: Any, queue: QueueKind, where: Where, profile: Profile, limit: int
) -> tuple[QueueEntry, str, str, bool]:
    obj = as_object(data, where, "a queue entry")
    if "CollectionItem" in obj:  # some builds wrap even a single entry
        items = _items(obj, where)
        if len(items) != 1:
            raise where.fail(f"{len(items)} entries where one was asked for")
        obj = as_object(items[0], where, "a queue entry")
    entry = parse_entry(obj, queue, where, profile)
    text, content_type, truncated = decode_payload(obj.get("data"), where, limit)
    return entry, text, content_type, truncated


def parse_error(data: Any) -> str | None:
    """The human part of an OpenIZ error answer: error_description (else error), then its caused_by
    (text, or a nested error answer)."""
    parts: list[str] = []
    for _ in range(3):  # the answer itself and up to two causes
        if isinstance(data, str) and data.strip():
            parts.append(" ".join(data.split()))
            break
        if not isinstance(data, dict):
            break
        text = next(
            (v for k in ("error_description", "error") if isinstance(v := data.get(k), str) and v.strip()),
            None,
        )
        if text:
            parts.append(" ".join(text.split()))
        data = data.get("caused_by")
    return "; caused by: ".join(parts)[:200] or None
