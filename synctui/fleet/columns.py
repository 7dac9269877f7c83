"""The fleet table's columns, and which of them a terminal's width holds.

From the widest layout to the narrowest, the first whose columns all fit is drawn: every column, then
without the diagnosis (the line under the table says it for the highlighted device), then the same
columns under short headers, then the 80-column one: short headers, a level in one word, the oldest unsent entry's age beside the unsent count, ages in
their largest unit, and no data age (a device whose data is too old is "Not known" already). Measured
on the words in use, so a language with longer words falls back to a narrower layout sooner.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from rich.cells import cell_len
from rich.text import Text

from synctui.fleet.queries import DeviceRow
from synctui.fleet.table import age_level, age_or, diagnosis, full_sync_text, level_of, unknown
from synctui.i18n import N_, Words, _, number, pgettext
from synctui.model import Level
from synctui.text import visible
from synctui.tui.format import units
from synctui.verdict import LEVEL_WORDS

AGE_STYLES = {"ok": "", "amber": "bold yellow", "red": "bold red"}
LEVEL_STYLES = {
    Level.SAFE: "green",
    Level.WAITING: "yellow",
    Level.ATTENTION: "bold red",
    Level.UNKNOWN: "bold magenta",
}
SHORT_LEVEL_WORDS = Words(  # a level in one word, for the 80-column table
    {
        Level.SAFE: N_("Synced"),
        Level.WAITING: N_("Waiting"),
        Level.ATTENTION: N_("Attention"),
        Level.UNKNOWN: N_("Unknown"),
    }
)
CELL_PADDING = 2  # a DataTable cell's padding, one column each side
SCROLLBAR = 1  # the table's vertical scrollbar (#fleet's scrollbar-size-vertical)


@dataclass(frozen=True)
class Cells:
    """What a cell is drawn from: the device, the time, and when a device's data is too old."""

    row: DeviceRow
    now: datetime
    silent_after: timedelta


@dataclass(frozen=True)
class Column:
    header: Callable[[], str]  # in the language in use
    cell: Callable[[Cells], Text]


def short_age(moment: datetime, now: datetime) -> str:
    """How long ago in its largest unit only: "3d", "5h", "12m", "40s" (in the language's units)."""
    seconds = max(0, int((now - moment).total_seconds()))
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return units([(seconds // size, unit)])
    return units([(seconds, "s")])


def _count(value: int | None) -> Text:
    return Text(unknown() if value is None else number(value), style="dim" if value is None else "")


def _age(moment: datetime | None, now: datetime, short: bool, missing: str | None = None) -> Text:
    said = short_age(moment, now) if moment is not None and short else age_or(moment, now, missing)
    return Text(said, style=AGE_STYLES[age_level(moment, now)])


def _level(c: Cells, words: Words) -> Text:
    level = level_of(c.row, c.now, c.silent_after)
    return Text(words[level], style=LEVEL_STYLES[level])


def _oldest(c: Cells) -> str:
    return age_or(c.row.oldest_pending, c.now, "—" if c.row.unsent == 0 else None)


def _unsent_and_oldest(c: Cells) -> Text:
    """ "66 · 2d": the unsent count and how old the oldest of them is."""
    text = _count(c.row.unsent)
    if c.row.unsent and c.row.oldest_pending is not None:
        text.append(f" · {short_age(c.row.oldest_pending, c.now)}")
    return text


def _full_sync(c: Cells, short: bool) -> Text:
    row = c.row
    style = AGE_STYLES["red" if row.never_fully_synced else age_level(row.last_full_sync, c.now)]
    if short and row.last_full_sync is not None and not row.never_fully_synced:
        return Text(short_age(row.last_full_sync, c.now), style=style)
    return Text(full_sync_text(row, c.now), style=style)


SITE = Column(lambda: _("Site"), lambda c: Text(visible(c.row.labels.get("site", ""))))
CONFLICTS = Column(lambda: _("Conflicts"), lambda c: _count(c.row.conflicts))
WIDE = (
    Column(lambda: _("Device"), lambda c: Text(visible(c.row.device))),
    SITE,
    Column(lambda: _("Verdict"), lambda c: _level(c, LEVEL_WORDS)),
    Column(lambda: _("Unsent"), lambda c: _count(c.row.unsent)),
    CONFLICTS,
    Column(lambda: _("Oldest pending"), lambda c: Text(_oldest(c))),
    Column(lambda: _("Last contact"), lambda c: _age(c.row.last_contact, c.now, short=False)),
    Column(lambda: _("Last full sync"), lambda c: _full_sync(c, short=False)),
    Column(lambda: _("Data age"), lambda c: _age(c.row.last_seen, c.now, short=False, missing=_("never"))),
)
MEDIUM = (  # every column of WIDE under a short header
    Column(lambda: pgettext("narrow", "Device"), WIDE[0].cell),
    *WIDE[1:5],
    Column(lambda: pgettext("narrow", "Oldest"), WIDE[5].cell),
    Column(lambda: pgettext("narrow", "Contact"), WIDE[6].cell),
    Column(lambda: pgettext("narrow", "Full sync"), WIDE[7].cell),
    Column(lambda: pgettext("narrow", "Data age"), WIDE[8].cell),
)
FULL = (*WIDE, Column(lambda: _("Diagnosis"), lambda c: Text(diagnosis(c.row, c.now, c.silent_after))))
NARROW = (  # short headers: "narrow" is their context in the catalogs
    Column(lambda: pgettext("narrow", "Device"), lambda c: Text(visible(c.row.device))),
    SITE,
    Column(lambda: pgettext("narrow", "State"), lambda c: _level(c, SHORT_LEVEL_WORDS)),
    Column(lambda: pgettext("narrow", "Unsent"), _unsent_and_oldest),
    CONFLICTS,
    Column(lambda: pgettext("narrow", "Contact"), lambda c: _age(c.row.last_contact, c.now, short=True)),
    Column(lambda: pgettext("narrow", "Full sync"), lambda c: _full_sync(c, short=True)),
)
LAYOUTS = (FULL, WIDE, MEDIUM, NARROW)


def cells(layout: Sequence[Column], c: Cells) -> list[Text]:
    return [column.cell(c) for column in layout]


def layout_for(width: int, rows: Sequence[Cells]) -> tuple[Column, ...]:
    """The widest layout whose columns, sized to their header and cells, fit in `width` columns (the
    narrowest when none does: the table then scrolls sideways)."""
    for layout in LAYOUTS[:-1]:
        widths = [cell_len(column.header()) for column in layout]
        for c in rows:
            widths = [max(w, cell.cell_len) for w, cell in zip(widths, cells(layout, c), strict=True)]
        if sum(widths) + CELL_PADDING * len(layout) + SCROLLBAR <= width:
            return layout
    return LAYOUTS[-1]
