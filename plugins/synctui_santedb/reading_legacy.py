"""Reading what SanteDB 2.x and OpenIZ answer differently from 3.x (reference §7–§8).

- OpenIZ has no counts endpoint: each queue's listing with `_count=1` gives its `Size` and its oldest
  entry (FIFO), so one request per queue fills both the tile's count and its age.
- 2.x lists have no id filter: an entry's metadata is found by paging through its queue (bounded).
- OpenIZ answers one entry with its payload inline (`&_id=<n>`, `data` in base64).
"""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING

from synctui.backend import BackendError
from synctui.model import Category, EntryDetail, QueueEntry, QueueKind

from .wire_openiz import parse_entry_detail, parse_size

if TYPE_CHECKING:
    from .dcdr_client import DcdrClient

QUEUE_ORDER = (QueueKind.OUTBOX, QueueKind.INBOX, QueueKind.ADMIN, QueueKind.CONFLICTS)
SCAN_PAGE = 100
SCAN_PAGES = 20  # 2.x: at most this many pages are read to find one entry's metadata


async def sizes(client: DcdrClient) -> dict[QueueKind, int]:
    """OpenIZ: every queue's Size (and its oldest entry, kept in the client's oldest cache)."""

    async def one(queue: QueueKind) -> tuple[int, QueueEntry | None]:
        path = client.profile.queue.format(q=client.profile.queue_names[queue])
        data, where = await client.get_json(path, params={"_offset": "0", "_count": "1"})
        return parse_size(data, where, client.profile)

    found = await asyncio.gather(*(one(queue) for queue in QUEUE_ORDER), return_exceptions=True)
    for result in found:
        if isinstance(result, BaseException):
            raise result
    counts: dict[QueueKind, int] = {}
    for queue, (size, first) in zip(QUEUE_ORDER, found, strict=True):  # type: ignore[misc]
        counts[queue] = size
        client.oldest_cache[queue] = (size, first.created if first else None, time.monotonic())
    return counts


async def scan_entry(client: DcdrClient, queue: QueueKind, id: str) -> QueueEntry | None:
    """2.x: the entry's metadata from the queue's pages, or None when not among the first pages."""
    from .reading import page  # reading imports this module

    for number in range(SCAN_PAGES):
        found = await page(client, queue, number * SCAN_PAGE, SCAN_PAGE)
        for entry in found.entries:
            if entry.id == id:
                return entry
        if len(found.entries) < SCAN_PAGE:
            return None
    return None


async def inline_entry(client: DcdrClient, queue: QueueKind, id: str, limit: int) -> EntryDetail:
    """OpenIZ: one entry and its payload in one call."""
    from .reading import gone

    path = client.profile.queue_entry.format(q=client.profile.queue_names[queue], id=id)
    try:
        data, where = await client.get_json(path)
    except BackendError as exc:
        if exc.rejection.category == Category.GONE:
            raise gone(client, queue, id) from None
        raise
    entry, text, content_type, truncated = parse_entry_detail(data, queue, where, client.profile, limit)
    if entry.id != id:
        raise gone(client, queue, id)
    return EntryDetail(entry=entry, payload=text, content_type=content_type, truncated=truncated)
