"""A table of records the agent keeps (the audit log, the archive of discarded entries), newest first.

Read when the screen opens and on reload; a read that fails says why in the caption, never a stale or
empty table passed off as the answer. Subclasses say what to read and how to draw a row.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.content import Content
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import DataTable, Static

from synctui.i18n import _, number
from synctui.tui.changes import refusal_text
from synctui.tui.format import clock_time, one_line
from synctui.tui.widgets.shared.dashboard_footer import DashboardFooter
from synctui.tui.widgets.shared.fitted_columns import fitted_widths, wrapped

if TYPE_CHECKING:
    from synctui.tui.app import SyncTuiApp

LIMIT = 200


def when(value: Any, now: datetime) -> str:
    """A record's ISO time on the clock (as stored when it is not a time)."""
    try:
        return clock_time(datetime.fromisoformat(str(value)), now)
    except (TypeError, ValueError):
        return one_line(str(value or "—"), 16)


class RecordsScreen(Screen):
    PREFIX: ClassVar[str]  # of the widget ids: "audit" gives #audit-title, #audit-table, #audit-caption
    # HEADING, COLUMNS and WHAT are marked with N_() and translated where shown.
    HEADING: ClassVar[str]
    COLUMNS: ClassVar[tuple[str, ...]]
    WRAPPING: ClassVar[tuple[str, ...]] = ()  # keys of the columns that wrap first when the table is narrow
    WHAT: ClassVar[str]  # what is read, for "could not read the audit log: …"
    DEFAULT_CSS = """
    RecordsScreen .-title { height: 1; background: $panel; padding: 0 1; text-style: bold; }
    RecordsScreen .-table { height: 1fr; }
    RecordsScreen .-caption { height: 1; padding: 0 1; background: $boost; }
    """

    def __init__(self) -> None:
        super().__init__()
        self.records: list[dict[str, Any]] | None = None  # None until read

    @property
    def tui(self) -> SyncTuiApp:
        return self.app  # type: ignore[return-value]

    @property
    def caption(self) -> Static:
        return self.query_one(f"#{self.PREFIX}-caption", Static)

    def compose(self) -> ComposeResult:
        yield Static(_(self.HEADING), id=f"{self.PREFIX}-title", classes="-title")
        yield DataTable(cursor_type="row", id=f"{self.PREFIX}-table", classes="-table")
        yield from self.compose_below_table()
        yield Static(_("loading…"), id=f"{self.PREFIX}-caption", classes="-caption")
        yield DashboardFooter()

    def compose_below_table(self) -> Iterator[Widget]:
        yield from ()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        for name in self.COLUMNS:
            table.add_column(_(name), key=name.lower())
        table.focus()
        self.load()

    def on_resize(self) -> None:
        if self.records is not None:
            self.draw()

    async def read(self, limit: int) -> list[dict[str, Any]]:
        raise NotImplementedError

    def cells(self, record: dict[str, Any], now: datetime) -> list[Text]:
        """One row of the table, one cell per column."""
        raise NotImplementedError

    def show_caption(self) -> None:
        raise NotImplementedError

    def draw(self) -> None:
        """The rows, the columns fitted to the screen's width (cells wrap rather than run off it)."""
        table = self.query_one(DataTable)
        now = self.tui.now()
        rows = [self.cells(record, now) for record in self.records or []]
        titles = [(name.lower(), _(name)) for name in self.COLUMNS]
        room = self.app.size.width - 2 - 2 * table.cell_padding * len(titles)  # 2: the scrollbar
        widths = fitted_widths(titles, rows, room, self.WRAPPING)
        cursor = table.cursor_row
        table.clear(columns=True)
        for (key, title), width in zip(titles, widths, strict=True):
            table.add_column(title, key=key, width=width)
        for index, cells in enumerate(rows):
            fitted, height = wrapped(cells, widths, self.app.console)
            table.add_row(*fitted, key=str(index), height=height)
        if cursor and table.row_count:
            table.move_cursor(row=min(cursor, table.row_count - 1), animate=False)
        self.show_caption()

    @work(exclusive=True, group="records")
    async def load(self) -> None:
        self.caption.update(_("loading…"))
        try:
            records = await self.read(LIMIT)
        except Exception as exc:  # refused, unreachable or broken: say so
            self.caption.update(
                Content.assemble(
                    (
                        _("could not read {what}: {why}").format(what=_(self.WHAT), why=refusal_text(exc)),
                        "$error",
                    )
                )
            )
            return
        self.records = sorted(
            (r for r in records if isinstance(r, dict)), key=lambda r: str(r.get("time", "")), reverse=True
        )
        self.draw()

    def count_text(self, counted: str) -> str:
        """`counted` ("{n} records", by ngettext for len(records)) with its number, and the limit if reached."""
        count = len(self.records or [])
        limit = " " + _("(the last {limit})").format(limit=number(LIMIT)) if count >= LIMIT else ""
        return counted.format(n=number(count)) + limit

    def action_reload(self) -> None:
        self.load()

    def action_close(self) -> None:
        self.dismiss()
