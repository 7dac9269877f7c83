"""What one sync run has done so far, and the failures that stop a call or the whole cycle."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from synctui.model import Category, Rejection


class Failure(Exception):
    def __init__(self, rejection: Rejection) -> None:
        super().__init__(rejection.message)
        self.rejection = rejection


class Abort(Failure):
    """Stops the whole cycle (auth refused, server unreachable)."""


@dataclass
class Outcome:
    counts: Counter[str] = field(default_factory=Counter)
    failures: list[tuple[str, int, Rejection]] = field(default_factory=list)  # (type, rows, why)
    transport_streak: int = 0
    successes: int = 0

    def fail(self, entity_type: str, rows: int, rejection: Rejection) -> None:
        self.failures.append((entity_type, rows, rejection))
        self.counts["failed_sends"] += rows

    def transport_failed(self, entity_type: str, rows: int, rejection: Rejection) -> None:
        """A call that failed; one that could not reach the server counts towards aborting the pass."""
        self.fail(entity_type, rows, rejection)
        if rejection.category in (Category.RETRYABLE, Category.SERVER):
            self.transport_streak += 1
