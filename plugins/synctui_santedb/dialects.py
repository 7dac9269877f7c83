"""The parsers of each dCDR generation, picked by profile name (the paths are in profiles.py)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from synctui.model import EntryPage, QueueKind

from . import wire, wire_openiz, wire_v2
from .profiles import Profile
from .wire import LogRow
from .wire_fields import Where


@dataclass(frozen=True)
class Dialect:
    parse_counts: Callable[[Any, Where, Profile], dict[QueueKind, int]]
    parse_entry_page: Callable[[Any, QueueKind, int, int, Where, Profile], EntryPage]
    parse_sync_log: Callable[[Any, Where], list[LogRow]]


DIALECTS: dict[str, Dialect] = {
    "santedb3": Dialect(wire.parse_counts, wire.parse_entry_page, wire.parse_sync_log),
    "santedb2": Dialect(wire.parse_counts, wire_v2.parse_entry_list, wire_v2.parse_sync_log),
    # OpenIZ has neither a counts endpoint nor a sync log: reading.py asks each queue for its Size.
    "openiz": Dialect(wire.parse_counts, wire_openiz.parse_collection, wire_v2.parse_sync_log),
}
