"""One page of a queue as the queue browser shows it: the columns of its rows and each entry's cells,
the caption under them ("entries 51–100 of 120"), and the paging arithmetic (is there a next page,
which page holds entry N). Pure functions: no widget, no agent."""

from __future__ import annotations

from datetime import datetime

from rich.text import Text

from synctui.i18n import N_, _, number
from synctui.model import CATEGORY_WORDS, EntryPage, QueueEntry, Rejection
from synctui.tui.format import ago, one_line


def page_caption(page: EntryPage | None, shown: int) -> str:
    if page is None:
        return _("loading…")
    if shown == 0:
        return (
            _("no entries") if page.offset == 0 else _("no entries after {n}").format(n=number(page.offset))
        )
    first, last = page.offset + 1, page.offset + shown
    total = number(page.total) if page.total is not None else "?"
    if first == last:
        return _("entry {n} of {total}").format(n=number(first), total=total)
    return _("entries {first}–{last} of {total}").format(first=number(first), last=number(last), total=total)


def jump_offset(text: str, page_size: int, total: int | None) -> int:
    """The offset of the page holding entry number `text` (1-based; "500,001" and "500_001" read too);
    past the end: the last page. ValueError with a one-line reason for anything else."""
    cleaned = text.strip().replace(",", "").replace("_", "")
    if not cleaned.isdigit() or int(cleaned) < 1:
        raise ValueError(
            _("not an entry number: {text} (type e.g. 500001)").format(text=repr(one_line(text, 40)))
        )
    number = int(cleaned)
    if total is not None:
        number = min(number, max(total, 1))
    return (number - 1) // page_size * page_size


COLUMNS = (" ", N_("Type"), N_("Op"), N_("Age"), N_("Tries"), N_("Problem"), N_("Id"))
# Cut with "…" when the rows are wider than the screen: the line under the rows says the selected
# entry's problem and id whole, and the entry's details say everything (its record type too).
GIVING_WAY = (COLUMNS.index("Problem"), COLUMNS.index("Id"), COLUMNS.index("Type"))


def problem_text(rejection: Rejection, limit: int) -> str:
    """ "DUPLICATE_ENTITY: ADM patient with this identifier already exists" (the category when no code)."""
    code = one_line(rejection.code, 40) or CATEGORY_WORDS[rejection.category]
    return f"{code}: {one_line(rejection.message, limit)}"


def has_next(page: EntryPage | None) -> bool:
    if page is None:
        return False
    if page.total is not None:
        return page.offset + len(page.entries) < page.total
    return len(page.entries) >= page.limit


def entry_cells(entry: QueueEntry, now: datetime) -> list[Text]:
    """An entry's cells after its selection mark, in the order of COLUMNS[1:]."""
    problem = Text("")
    if entry.rejection is not None:
        problem = Text(problem_text(entry.rejection, 80), style="bold")
    return [
        Text(one_line(entry.record_type, 24) or "?"),
        Text(one_line(entry.operation, 10)),
        Text(ago(entry.created, now) if entry.created else "—"),
        Text(str(entry.attempts)),
        problem,
        Text(one_line(entry.id, 40), style="dim"),
    ]
