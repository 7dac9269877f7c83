"""The Conflicts queue by reason, for the one-line diagnosis (`synctui.diagnosis`).

Read with the refresh, as one page of the queue, only when the count changed or the last read is a
minute old: a backend with rejected entries costs one more call a minute, one with none costs nothing.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from synctui.backend import BackendError
from synctui.diagnosis import tally
from synctui.model import EntryPage, QueueKind, RejectedCount, Snapshot

READ_EVERY = timedelta(minutes=1)
READ_LIMIT = 200  # entries tallied at most; the rest are "not read yet"


class RejectedTally:
    def __init__(self) -> None:
        self.counts: list[RejectedCount] | None = None  # None: not read
        self._read: tuple[int, datetime] | None = None  # the Conflicts count and time of the last read

    async def update(
        self,
        snap: Snapshot,
        listable: bool,
        read_page: Callable[[int], Awaitable[EntryPage]],
        now: datetime,
    ) -> None:
        """`read_page(limit)` lists the first entries of the Conflicts queue; `listable`: the backend
        can list entries."""
        stat = snap.queue(QueueKind.CONFLICTS)
        if not stat.known or not stat.count or not listable:
            self.counts = [] if stat.known and stat.count == 0 else None
            self._read = None
            return
        if self._read is not None and self._read[0] == stat.count and now - self._read[1] < READ_EVERY:
            return
        try:
            self.counts = tally((await read_page(READ_LIMIT)).entries)
        except BackendError:
            self.counts = None
        self._read = (stat.count, now)
