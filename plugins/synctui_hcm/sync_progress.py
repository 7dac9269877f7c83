"""Progress of a sync run, per entity type, as the SyncProgress the dashboard shows.

A row is worth two units of progress while unsent (send, confirm) and one while awaiting
confirmation; its units complete when it is confirmed.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from synctui.model import QueueKind, SyncProgress, SyncStep

from .oplog import OpRow
from .wire import order_index


class ProgressTracker:
    def __init__(self, max_attempts: int) -> None:
        self.max_attempts = max_attempts
        self.emit: Callable[[SyncProgress], None] = lambda p: None
        self._steps: dict[str, SyncStep] = {}
        self._units: dict[int, list[int]] = {}  # row id -> [units, units done]
        self._type_units: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        self._message = ""

    def reset(self, rows: Sequence[OpRow]) -> None:
        self._steps.clear()
        self._units.clear()
        self._type_units.clear()
        self.add(rows)
        self.publish()

    def add(self, rows: Sequence[OpRow]) -> None:
        for row in rows:
            queue = row.queue(self.max_attempts)
            if row.id not in self._units and queue in (QueueKind.OUTBOX, QueueKind.INBOX):
                self._count_units(row, 2 if queue == QueueKind.OUTBOX else 1)

    def _count_units(self, row: OpRow, units: int) -> list[int]:
        unit = self._units[row.id] = [units, 0]
        self._type_units[row.entity_type][0] += units
        return unit

    def advance(self, row: OpRow, confirmed: bool) -> None:
        unit = self._units.get(row.id) or self._count_units(row, 1 if confirmed else 2)
        done = unit[0] if confirmed else min(unit[1] + 1, unit[0])
        self._type_units[row.entity_type][1] += done - unit[1]
        unit[1] = done

    def advance_many(self, rows: Sequence[OpRow], confirmed: bool) -> None:
        units, type_units = self._units, self._type_units
        for row in rows:
            unit = units.get(row.id) or self._count_units(row, 1 if confirmed else 2)
            done = unit[0] if confirmed else min(unit[1] + 1, unit[0])
            type_units[row.entity_type][1] += done - unit[1]
            unit[1] = done

    def _refresh_steps(self, finish: bool = False) -> None:
        at = datetime.now(UTC)
        for etype, (total, done) in self._type_units.items():
            old = self._steps.get(etype)
            complete = finish or done >= total
            finished = (old.finished if old and old.finished else at) if complete else None
            self._steps[etype] = SyncStep(etype, total, done, old.started if old else at, finished)

    def finish(self, message: str) -> None:
        self._refresh_steps(finish=True)
        self._message = message
        self.publish(running=False)

    @property
    def message(self) -> str:
        return self._message

    def say(self, message: str) -> None:
        self._message = message
        self.publish()

    def publish(self, running: bool = True) -> None:
        self._refresh_steps()
        steps = sorted(self._steps.values(), key=lambda s: (order_index(s.name), s.name))
        self.emit(SyncProgress(steps=steps, message=self._message, running=running))
