"""Queue-depth history: a point only when a depth changes, downsampled as it ages.

Points are `[epoch_seconds, outbox, inbox, admin, conflicts]` (None for a queue the backend lacks).
The last hour is kept as it is; older points move into coarser levels (1 min, 15 min, 1 h buckets)
that keep the highest depth seen in each bucket (a peak is what matters when looking back at a stuck
queue). Points older than 90 days are dropped, so the size is bounded whatever the uptime: about 7k
points per backend at most.
"""

from __future__ import annotations

from datetime import UTC, datetime

from synctui.model import DepthPoint, QueueKind, QueueStat

KINDS = (QueueKind.OUTBOX, QueueKind.INBOX, QueueKind.ADMIN, QueueKind.CONFLICTS)
Point = list[int | None]

# (age from which a point belongs to this level in seconds, bucket width in seconds), newest first
LEVELS = ((0, 0), (3600, 60), (86400, 900), (30 * 86400, 3600))
KEEP_SECONDS = 90 * 86400
COMPACT_EVERY = 60  # seconds between moves of aged points into coarser levels


def point_from(stats: list[QueueStat], at: datetime) -> Point:
    by_kind = {s.kind: s.count for s in stats}
    return [int(at.timestamp()), *(by_kind.get(k) for k in KINDS)]


class History:
    def __init__(self, points: list[Point] | None = None) -> None:
        self.levels: list[list[Point]] = [[] for _ in LEVELS]
        valid = sorted((p for p in (points or []) if _valid(p)), key=lambda p: p[0])
        self.levels[0] = valid
        self._compacted_at = 0
        if valid:
            self.compact(valid[-1][0])

    @property
    def points(self) -> list[Point]:
        """All points, oldest first."""
        return [p for level in reversed(self.levels) for p in level]

    def last(self) -> Point | None:
        for level in self.levels:
            if level:
                return level[-1]
        return None

    def add(self, stats: list[QueueStat], at: datetime) -> bool:
        """Record depths; True when they differ from the last point (history changed)."""
        point = point_from(stats, at)
        last = self.last()
        if last is not None and last[1:] == point[1:]:
            return False
        raw = self.levels[0]
        if raw and point[0] <= raw[-1][0]:
            raw[-1] = [raw[-1][0], *point[1:]]  # same second (or a clock step back): newest depths win
        else:
            raw.append(point)
        if point[0] - self._compacted_at >= COMPACT_EVERY:
            self.compact(point[0])
        return True

    def compact(self, now: int) -> None:
        """Move points that aged past a level boundary into the next, coarser level."""
        self._compacted_at = now
        for i in range(len(LEVELS) - 1):
            src, dst = self.levels[i], self.levels[i + 1]
            min_age, width = LEVELS[i + 1]
            moved = 0
            for p in src:
                if now - p[0] < min_age:
                    break
                bucket = p[0] - p[0] % width
                if dst and dst[-1][0] == bucket:
                    dst[-1] = [bucket, *(_max(a, b) for a, b in zip(dst[-1][1:], p[1:], strict=True))]
                else:
                    dst.append([bucket, *p[1:]])
                moved += 1
            del src[:moved]
        oldest = self.levels[-1]
        expired = 0
        for p in oldest:
            if now - p[0] < KEEP_SECONDS:
                break
            expired += 1
        del oldest[:expired]

    def mark_gap(self, at: int) -> None:
        """A point of unknown depths: the agent was not watching before `at` (it was stopped), so no
        depth counts as unchanged across it."""
        last = self.last()
        if last is not None and any(v is not None for v in last[1:]):
            self.levels[0].append([max(at, last[0]), *(None for _ in KINDS)])

    def recent(self, limit: int = 60) -> list[DepthPoint]:
        tail: list[Point] = []
        for level in self.levels:
            tail[:0] = level[-(limit - len(tail)) :] if len(tail) < limit else []
            if len(tail) >= limit:
                break
        return [
            DepthPoint(
                at=datetime.fromtimestamp(p[0], UTC),
                counts={k: v for k, v in zip(KINDS, p[1:], strict=True) if v is not None},
            )
            for p in tail
        ]


def _max(a: int | None, b: int | None) -> int | None:
    if a is None:
        return b
    if b is None:
        return a
    return max(a, b)


def _valid(p: object) -> bool:
    return (
        isinstance(p, list)
        and len(p) == 1 + len(KINDS)
        and isinstance(p[0], int)
        and all(v is None or (isinstance(v, int) and not isinstance(v, bool)) for v in p[1:])
    )
