"""Plain-text formatting of times, ages and counts for the dashboard (no Textual)."""

from __future__ import annotations

from datetime import datetime, timedelta

from synctui.i18n import SOURCE_LANGUAGE, _, adapter_text, clock, duration, language, number
from synctui.model import QUEUE_NAMES, QueueKind, QueueStat
from synctui.text import one_line as _one_line
from synctui.text import visible

DEFAULT_LABELS = QUEUE_NAMES  # a card's name when the backend does not name its queue
CARD_ORDER = (QueueKind.OUTBOX, QueueKind.INBOX, QueueKind.ADMIN, QueueKind.CONFLICTS)


def queue_label(stat: QueueStat | None, kind: QueueKind) -> str:
    if stat is not None and stat.label:
        return adapter_text(_one_line(stat.label, 200))  # the backend names it: drawn safe
    return QUEUE_NAMES.get(kind, str(kind).title())


def count_text(count: int | None, known: bool = True) -> str:
    """A queue's count: "?" when it is not known (yet), "n/a" when the backend has no such queue."""
    if not known:
        return "?"
    return _("n/a") if count is None else number(count)


def age(delta: timedelta, *, minutes: bool = False) -> str:
    """A short human age, floored: <10s, 40s, 12m, 2h 50m, 3d 4h. Coarser as it grows (steps of 10 s
    under a minute, 10 min from an hour), so that an age on screen seldom changes: each change is
    bytes sent to the terminal, and a table of ages redraws whole. `minutes`: "<1m" under a minute
    (the dashboard's --low-bandwidth)."""
    seconds = max(0, int(delta.total_seconds()))
    if minutes and seconds < 60:
        return "<" + units([(1, "m")])
    if seconds < 10:
        return "<" + units([(10, "s")])
    if seconds < 60:
        return units([(seconds // 10 * 10, "s")])
    minutes = seconds // 60
    if minutes < 60:
        return units([(minutes, "m")])
    hours, minutes = divmod(minutes // 10 * 10, 60)
    if hours < 24:
        return units([(hours, "h"), (minutes, "m")] if minutes else [(hours, "h")])
    days, hours = divmod(hours, 24)
    return units([(days, "d"), (hours, "h")] if hours else [(days, "d")])


def units(parts: list[tuple[int, str]]) -> str:
    """ "2h 50m" in English (the dashboard's own short form), Babel's narrow units in other languages."""
    if language() == SOURCE_LANGUAGE:
        return " ".join(f"{value}{unit}" for value, unit in parts)
    return duration(parts)


def ago(when: datetime | None, now: datetime, *, minutes: bool = False) -> str:
    """ "12m ago", "in 2h", "just now"; `minutes`: as `age`, with no "just now" either."""
    if when is None:
        return _("never")
    delta = now - when
    if delta < timedelta(0):
        return _("in {age}").format(age=age(-delta, minutes=minutes))
    if delta < timedelta(seconds=5) and not minutes:
        return _("just now")
    return _("{age} ago").format(age=age(delta, minutes=minutes))


def clock_time(when: datetime | None, now: datetime) -> str:
    """Absolute time in the clock's zone: 09:42 today, 03-10 09:42 this year, else the date."""
    if when is None:
        return "—"
    local = when.astimezone(now.tzinfo) if now.tzinfo and when.tzinfo else when
    if language() != SOURCE_LANGUAGE:
        if local.date() == now.date():
            return clock(local, "Hm")
        return f"{clock(local, 'Md')} {clock(local, 'Hm')}" if local.year == now.year else clock(local, "yMd")
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
