"""Plain-text formatting of times, ages and counts for the dashboard (no Textual)."""

from __future__ import annotations

from datetime import datetime, timedelta

from synctui.model import QueueKind, QueueStat
from synctui.text import one_line as _one_line
from synctui.text import visible

DEFAULT_LABELS = {
    QueueKind.OUTBOX: "Outbox",
    QueueKind.INBOX: "Inbox",
    QueueKind.ADMIN: "Admin",
    QueueKind.CONFLICTS: "Conflicts",
}
CARD_ORDER = (QueueKind.OUTBOX, QueueKind.INBOX, QueueKind.ADMIN, QueueKind.CONFLICTS)


def queue_label(stat: QueueStat | None, kind: QueueKind) -> str:
    if stat is not None and stat.label:
        return _one_line(stat.label, 200)  # the backend names it: drawn safe
    return DEFAULT_LABELS.get(kind, str(kind).title())


def count_text(count: int | None, known: bool = True) -> str:
    """A queue's count: "?" when it is not known (yet), "n/a" when the backend has no such queue."""
    if not known:
        return "?"
    return "n/a" if count is None else f"{count:,}"


def age(delta: timedelta, *, minutes: bool = False) -> str:
    """A short human age, floored: <10s, 40s, 12m, 2h 50m, 3d 4h. Coarser as it grows (steps of 10 s
    under a minute, 10 min from an hour), so that an age on screen seldom changes: each change is
    bytes sent to the terminal, and a table of ages redraws whole. `minutes`: "<1m" under a minute
    (the dashboard's --low-bandwidth)."""
    seconds = max(0, int(delta.total_seconds()))
    if minutes and seconds < 60:
        return "<1m"
    if seconds < 10:
        return "<10s"
    if seconds < 60:
        return f"{seconds // 10 * 10}s"
    minutes, _ = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes}m"
    hours, minutes = divmod(minutes // 10 * 10, 60)
    if hours < 24:
        return f"{hours}h {minutes}m" if minutes else f"{hours}h"
    days, hours = divmod(hours, 24)
    return f"{days}d {hours}h" if hours else f"{days}d"


def ago(when: datetime | None, now: datetime, *, minutes: bool = False) -> str:
    """ "12m ago", "in 2h", "just now"; `minutes`: as `age`, with no "just now" either."""
    if when is None:
        return "never"
    delta = now - when
    if delta < timedelta(0):
        return f"in {age(-delta, minutes=minutes)}"
    if delta < timedelta(seconds=5) and not minutes:
        return "just now"
    return f"{age(delta, minutes=minutes)} ago"


def clock_time(when: datetime | None, now: datetime) -> str:
    """Absolute time in the clock's zone: 09:42 today, 03-10 09:42 this year, else the date."""
    if when is None:
        return "—"
    local = when.astimezone(now.tzinfo) if now.tzinfo and when.tzinfo else when
    if local.date() == now.date():
        return local.strftime("%H:%M")
    if local.year == now.year:
        return local.strftime("%m-%d %H:%M")
    return local.strftime("%Y-%m-%d")


def one_line(text: str | None, limit: int = 200) -> str:
    """Backend text as one safe line: whitespace collapsed so it cannot break a table row, control
    characters and escape sequences shown as escapes (`\\x1b`) so the terminal never obeys them."""
    return _one_line(text, limit)


def safe(text: object, *, multiline: bool = False) -> str:
    """Backend text made safe to draw, uncut (`synctui.text.visible`); `multiline` keeps line breaks."""
    return visible(text, multiline=multiline)


def bar(fraction: float | None, width: int, full: str = "█", empty: str = "░") -> str:
    if fraction is None or width <= 0:
        return empty * max(width, 0)
    fraction = min(1.0, max(0.0, fraction))
    filled = round(fraction * width)
    return full * filled + empty * (width - filled)
