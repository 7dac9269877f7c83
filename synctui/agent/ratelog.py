"""Log lines that cannot flood: a failure that repeats is logged once, then counted.

A backend down for a day, or a client opening connections in a loop, must leave a few lines that say
what happens and how often, not one line (or one traceback) per occurrence.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

from synctui.text import one_line as _one_line

MAX_REASON = 300  # characters of a reason in one log line


def one_line(text: object, limit: int = MAX_REASON) -> str:
    """`text` as one printable line: control characters and escape sequences shown as `\\x1b`."""
    return _one_line(text, limit)


class Streak:
    """A failure that may repeat: the first occurrence is logged at once (WARNING), then at most one
    line per `interval` says how many more happened; the end of the streak is logged once (INFO).

    Lines read "backend clinic: refresh failed: REASON", "backend clinic: refresh still failing: 12
    more failure(s) in the last 60 s; last: REASON", "backend clinic: refresh works again after 13
    failure(s) over 75 s"."""

    def __init__(
        self,
        logger: logging.Logger,
        subject: str,
        activity: str,
        *,
        interval: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.log = logger
        self.subject = subject
        self.activity = activity
        self.interval = interval
        self.clock = clock
        self.total = 0  # occurrences in the current streak
        self.unreported = 0  # occurrences since the last line
        self.started = 0.0
        self.reported = 0.0

    @property
    def active(self) -> bool:
        return self.total > 0

    def failed(self, reason: object) -> None:
        now = self.clock()
        self.total += 1
        if self.total == 1:
            self.started = self.reported = now
            self.log.warning("%s: %s failed: %s", self.subject, self.activity, one_line(reason))
            return
        self.unreported += 1
        if now - self.reported >= self.interval:
            self.log.warning(
                "%s: %s still failing: %d more failure(s) in the last %.0f s; last: %s",
                self.subject,
                self.activity,
                self.unreported,
                now - self.reported,
                one_line(reason),
            )
            self.unreported = 0
            self.reported = now

    def recovered(self) -> None:
        if not self.total:
            return
        self.log.info(
            "%s: %s works again after %d failure(s) over %.0f s",
            self.subject,
            self.activity,
            self.total,
            self.clock() - self.started,
        )
        self.total = self.unreported = 0


class Counter:
    """Something that may happen thousands of times a second (a refused connection): the first one is
    logged at once, then one line per `interval` with how many more happened, while they go on."""

    def __init__(
        self,
        logger: logging.Logger,
        first: str,
        more: str,
        *,
        interval: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """`first` is logged as it is; `more` takes the count and the seconds ("%d more in %.0f s")."""
        self.log = logger
        self.first = first
        self.more = more
        self.interval = interval
        self.clock = clock
        self.count = 0  # since the last line
        self.total = 0
        self.since: float | None = None  # when the last line was logged; None when quiet
        self._timer: asyncio.TimerHandle | None = None

    def add(self, n: int = 1) -> None:
        self.total += n
        now = self.clock()
        if self.since is None:
            self.log.warning(self.first)
            self.since = now
            self._schedule()
            return
        self.count += n
        if self._timer is None and now - self.since >= self.interval:
            self.flush()

    def flush(self) -> None:
        """Log the count since the last line (if any); a quiet interval ends the burst."""
        self._timer = None
        if not self.count:
            self.since = None
            return
        now = self.clock()
        self.log.warning(self.more, self.count, now - (self.since or now))
        self.count = 0
        self.since = now
        self._schedule()

    def _schedule(self) -> None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return  # no loop: the next add() after the interval logs the count
        self._timer = loop.call_later(self.interval, self.flush)

    def close(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
