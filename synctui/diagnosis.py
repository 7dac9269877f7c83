"""One line per stuck or rejected queue: what is wrong, counted, and the next step.

"2 rejected: 1 business rule (422), 1 conflict (409) — press 4 to review". The breakdown is the
adapters' own explanation of each rejected entry (its category and HTTP status), tallied by the agent
(`tally`, served as `BackendView.rejected`). Each client adds its own way to take the step (a key on
the dashboard, a command in the CLI) and the line is fitted to the width without cutting a word.
"""

from __future__ import annotations

import textwrap
from collections import Counter
from collections.abc import Iterable
from datetime import datetime
from typing import NamedTuple

from synctui.i18n import _, labelled, ngettext, number
from synctui.model import BackendView, Category, QueueEntry, QueueKind, RejectedCount, rejected_words
from synctui.verdict import never_read, stuck_queues

DASH = " — "


class Diagnosis(NamedTuple):
    """`head` ("2 rejected"), then `parts` (count, words) that add up to it, then the step."""

    queue: QueueKind
    head: str
    action: str  # the step, named as a `Reason.action`: "synchronize" or "open-<queue>"
    parts: tuple[tuple[int, str], ...] = ()

    @property
    def step(self) -> str:
        return step_words(self.action)

    def action_when(self, can_sync: bool) -> str:
        """The step a client offers: where it cannot sync (read-only), opening the stuck queue."""
        return self.action if can_sync or self.action != "synchronize" else f"open-{self.queue.value}"

    def line(self, how: str, width: int = 80) -> str:
        """The whole line with `how` to take the step ("press 4 to review"), at most `width` columns:
        the breakdown loses its last parts first (counted as "N other"), then the head is shortened
        at a word."""
        tail = f"{DASH}{how}" if how else ""
        for shown in range(len(self.parts), -1, -1):
            items = [words for _, words in self.parts[:shown]]
            others = sum(n for n, _ in self.parts[shown:])
            if others and shown:
                items.append(ngettext("{n} other", "{n} others", others).format(n=number(others)))
            text = labelled(self.head, ", ".join(items)) if items else self.head
            if len(text) + len(tail) <= width:
                return text + tail
        room = width - len(tail)
        if room >= 12:
            return textwrap.shorten(self.head, room, placeholder=" …") + tail
        return textwrap.shorten(self.head + tail, width, placeholder=" …")


def step_words(action: str) -> str:
    """A step in words after "to": "synchronize", or "review" for "open-<queue>"."""
    return _("synchronize") if action == "synchronize" else _("review")


def tally(entries: Iterable[QueueEntry]) -> list[RejectedCount]:
    """Rejected entries by the adapter's explanation (an entry without one is UNKNOWN), most first."""
    counts = Counter(
        (e.rejection.category, e.rejection.status) if e.rejection else (Category.UNKNOWN, None)
        for e in entries
    )
    order = list(Category)
    return [
        RejectedCount(category, n, status)
        for (category, status), n in sorted(
            counts.items(), key=lambda item: (-item[1], order.index(item[0][0]), item[0][1] or 0)
        )
    ]


def diagnoses(view: BackendView, now: datetime) -> list[Diagnosis]:
    """A diagnosis for each stuck queue that a sync should move and for a non-empty Conflicts queue,
    in card order; none before the first good read."""
    snap = view.snapshot
    if never_read(snap):
        return []
    found = [
        Diagnosis(s.stat.kind, s.line(now), "synchronize")
        for s in stuck_queues(view, now)
        if s.stat.kind is not QueueKind.CONFLICTS
    ]
    conflicts = snap.queue(QueueKind.CONFLICTS)
    if conflicts.known and conflicts.count:
        found.append(
            Diagnosis(
                QueueKind.CONFLICTS,
                ngettext("{n} rejected", "{n} rejected", conflicts.count).format(n=number(conflicts.count)),
                "open-conflicts",
                tuple(_breakdown(view.rejected, conflicts.count)),
            )
        )
    return found


def _breakdown(rejected: list[RejectedCount] | None, count: int) -> list[tuple[int, str]]:
    if not rejected:
        return []
    read = sum(r.count for r in rejected)
    if read > count:  # the tally is older than the count: its numbers would not add up
        return []
    by_category: dict[Category, list[RejectedCount]] = {}
    for r in rejected:
        by_category.setdefault(r.category, []).append(r)
    parts = []
    for category, rows in by_category.items():
        n = sum(r.count for r in rows)
        parts.append((n, rejected_words(n, category, (r.status for r in rows))))
    parts.sort(key=lambda p: -p[0])
    if read < count:
        parts.append((count - read, _("{n} not read yet").format(n=number(count - read))))
    return parts
