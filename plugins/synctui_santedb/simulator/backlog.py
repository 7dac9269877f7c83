"""A large outbox backlog (`--backlog N`, up to millions) that costs no memory until an entry is touched.

A dCDR left offline for months holds its outbound queue in SQLite and pages it with `_offset`/`_count`
like any other. Here the N oldest outbound entries (ids 1..N, created before everything else) are
computed from their position: the type cycles through `TYPES`, the correlation key and data file are
GUIDs that carry the position (so a filter on them is a lookup, not a scan), creation times are spaced
evenly up to `end`. An entry read by id is kept (`overrides`), so what is done to it sticks; one that
leaves the queue (sent, dead-lettered, deleted) leaves a hole. Entries leave mostly from the head (a
sync sends the oldest first), so holes stay few.

Paging and the single-field filters the dashboard sends (`id`, `correlation`, `dataFile`, `type`) are
arithmetic; any other filter is answered by a scan (correct, slow at a million).
"""

from __future__ import annotations

import bisect
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from . import payloads
from .queue_model import Entry

# The queued object's type: a Bundle (of one Patient) or a bare record, as the dCDR queues them.
TYPES = ("Bundle", "Patient", "SubstanceAdministration", "QuantityObservation")
SPACING = timedelta(seconds=7)  # between two backlog entries: a busy clinic, offline for a long time


@dataclass(frozen=True)
class Progression:
    """Positions start, start + step, … below stop (before holes are taken out)."""

    start: int
    step: int
    stop: int

    def __contains__(self, index: int) -> bool:
        return self.start <= index < self.stop and (index - self.start) % self.step == 0


class Backlog:
    def __init__(self, size: int, end: datetime, seed: int = 0) -> None:
        self.size = size
        self.end = end
        self.prefix = f"{seed & 0xFFFFFFFF:08x}"
        self.head = 0  # positions below it have all left the queue
        self.holes: list[int] = []  # sorted positions at or above head that left the queue
        self.overrides: dict[int, Entry] = {}

    # --- one entry ------------------------------------------------------------------------------

    @property
    def count(self) -> int:
        return self.size - self.head - len(self.holes)

    def present(self, index: int) -> bool:
        if not self.head <= index < self.size:
            return False
        at = bisect.bisect_left(self.holes, index)
        return at == len(self.holes) or self.holes[at] != index

    def entry(self, index: int) -> Entry:
        kept = self.overrides.get(index)
        if kept is not None:
            return kept
        return Entry(
            id=index + 1,
            queue="out",
            correlation_key=self._guid("c", index),
            creation_time=self.end - SPACING * (self.size - index),
            resource_type=TYPES[index % len(TYPES)],
            data_file=self._guid("d", index),
            operation="Insert",
        )

    def get(self, entry_id: int) -> Entry | None:
        """The entry (kept from now on, so changes to it stick), or None if it is not in the backlog."""
        index = entry_id - 1
        if not self.present(index):
            return None
        return self.overrides.setdefault(index, self.entry(index))

    def remove(self, entry_id: int) -> bool:
        index = entry_id - 1
        if not self.present(index):
            return False
        self.overrides.pop(index, None)
        if index == self.head:
            self.head += 1
            while self.holes and self.holes[0] == self.head:
                self.holes.pop(0)
                self.head += 1
        else:
            bisect.insort(self.holes, index)
        return True

    def payload(self, data_file: str) -> dict[str, Any] | None:
        """The object queued under a backlog data file (a new record), the same every time; None for a
        data file that is not the backlog's. Kept by the dead-letter row of an entry that moved there."""
        index = self._index_of_guid("d", data_file)
        if index is None:
            return None
        made = self.entry(index)
        rng = random.Random(index)
        if made.resource_type in ("Bundle", "Patient"):
            record = payloads.patient(rng, made.correlation_key, 1, made.creation_time)
        else:
            record = payloads.act(rng, made.correlation_key, 1, made.creation_time, made.resource_type)
        return payloads.bundle([record]) if made.resource_type == "Bundle" else record

    def record_types(self) -> dict[str, int]:
        """How many local records of each type the backlog's entries carry (all are new records)."""
        per_type: dict[str, int] = {}
        for residue, type_ in enumerate(TYPES):
            record_type = "Patient" if type_ == "Bundle" else type_
            per_type[record_type] = per_type.get(record_type, 0) + len(range(residue, self.size, len(TYPES)))
        return per_type

    def _guid(self, kind: str, index: int) -> str:
        tag = "c0" if kind == "c" else "d0"
        return f"{self.prefix}-5eed-4{tag}0-8000-{index:012x}"

    def _index_of_guid(self, kind: str, text: str) -> int | None:
        try:
            index = int(text[-12:], 16)
        except ValueError:
            return None
        return index if 0 <= index < self.size and self._guid(kind, index) == text.lower() else None

    # --- pages ----------------------------------------------------------------------------------

    def select(self, filters: dict[str, str]) -> Progression | None:
        """The positions matching one filter the backlog can answer without a scan; None otherwise
        (several filters, or one on another field). Values are compared case-insensitively."""
        everything = Progression(self.head, 1, self.size)
        if not filters:
            return everything
        if len(filters) != 1:
            return None
        ((name, value),) = filters.items()
        value = value.lower()
        index: int | None = None
        if name == "id":
            index = int(value) - 1 if value.isdigit() else None
        elif name == "correlation":
            index = self._index_of_guid("c", value)
        elif name == "dataFile":
            index = self._index_of_guid("d", value)
        elif name == "type":
            names = [t.lower() for t in TYPES]
            if value not in names:
                return Progression(0, 1, 0)
            residue = names.index(value)
            first = self.head + (residue - self.head) % len(TYPES)
            return Progression(first, len(TYPES), self.size)
        else:
            return None
        if index is None or not self.head <= index < self.size:
            return Progression(0, 1, 0)
        return Progression(index, 1, index + 1)

    def total(self, positions: Progression) -> int:
        listed = len(range(positions.start, positions.stop, positions.step))
        return listed - sum(1 for h in self.holes if h in positions)

    def page(self, positions: Progression, offset: int, count: int) -> list[Entry]:
        """Entries offset … offset + count - 1 of `positions` that are still queued, in id order."""
        holes = [h for h in self.holes if h in positions]
        index = positions.start + offset * positions.step
        for hole in holes:  # each hole at or before the wanted position moves it one step on
            if hole <= index:
                index += positions.step
            else:
                break
        entries: list[Entry] = []
        at = bisect.bisect_left(holes, index)
        while len(entries) < count and index < positions.stop:
            if at < len(holes) and holes[at] == index:
                at += 1
            else:
                entries.append(self.entry(index))
            index += positions.step
        return entries

    def scan(self) -> Iterator[Entry]:
        """Every queued entry in id order (for the filters `select` cannot answer)."""
        holes = set(self.holes)
        for index in range(self.head, self.size):
            if index not in holes:
                yield self.entry(index)
