"""The synchronization log: per record type, when it last synced, coloured by the backend's thresholds.

After Count Remotes, local and server counts stand side by side; mismatches are highlighted and a server
count above the local one gets a warning mark (records this device has not received).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from rich.text import Text
from textual.widgets import DataTable

from synctui.i18n import _, number
from synctui.model import SyncLogRow, Thresholds
from synctui.tui.format import ago, clock_time, count_text, one_line
from synctui.tui.look import glyphs, theme_style
from synctui.tui.widgets.shared.fitted_columns import fitted_widths, wrapped

WRAPPING = ("type", "error")  # the columns that wrap well: they give way first
# Below this width a filter's UUIDs are shortened (SanteDB's "classConcept=ff34dfa7-c6d3-…" wrapped each
# row to 3–4 lines); the selected row shows its filter whole.
NARROW = 100
UUID = re.compile(r"\b([0-9a-fA-F]{8})-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b")


def short_uuids(text: str) -> str:
    """Each UUID in `text` as its first 8 hex digits and "…"; every other character as it was."""
    return UUID.sub(r"\1…", text)


def matches(row: SyncLogRow, needle: str) -> bool:
    needle = needle.strip().lower()
    return not needle or needle in (row.record_type or "").lower() or needle in (row.filter or "").lower()


def merged(row: SyncLogRow, counted: Mapping[str, SyncLogRow]) -> tuple[int | None, int | None]:
    """(local, server) counts of a row, the Count Remotes answer winning over the snapshot."""
    found = counted.get(row.key)
    local = found.local_count if found is not None and found.local_count is not None else row.local_count
    remote = found.remote_count if found is not None else row.remote_count
    return local, remote


def column_titles(with_counts: bool) -> list[tuple[str, str]]:
    counts = [("local", _("Local")), ("server", _("Server"))] if with_counts else []
    return [("type", _("Record type")), *counts, ("success", _("Last success")), ("error", _("Last error"))]


class SyncLogTable(DataTable):
    DEFAULT_CSS = """
    SyncLogTable { height: 1fr; min-height: 3; overflow-x: hidden; }
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(cursor_type="row", zebra_stripes=False, **kwargs)
        self._rows: list[SyncLogRow] = []
        self._shown: list[SyncLogRow] = []
        self._counted: Mapping[str, SyncLogRow] = {}
        self._with_counts: bool | None = None
        self._thresholds = Thresholds()
        self._now: datetime | None = None
        self._signature: Any = None
        self._known = True
        self.filter_text = ""
        self.border_title = _("Sync log")

    def _columns(self, with_counts: bool, widths: list[int] | None = None) -> None:
        """The columns afresh, sized to this backend's rows: one backend's long record types must not
        keep another's "Last error" off screen."""
        self.clear(columns=True)
        self._with_counts = with_counts
        titles = column_titles(with_counts)
        for (key, title), width in zip(titles, widths or [None] * len(titles), strict=True):
            self.add_column(title, key=key, width=width)

    def on_mount(self) -> None:
        self._columns(False)

    def on_resize(self) -> None:
        self._signature = None
        self._redraw()

    def show(
        self,
        rows: list[SyncLogRow],
        thresholds: Thresholds | None,
        now: datetime,
        counted: Mapping[str, SyncLogRow] | None = None,
        known: bool = True,
    ) -> None:
        """`known=False`: the backend has not been read yet, so an empty log is not "no log"."""
        self._known = known
        self._rows = list(rows or [])
        self._counted = counted or {}
        self._thresholds = thresholds or Thresholds()
        self._now = now
        self._redraw()

    def set_filter(self, text: str) -> None:
        self.filter_text = text
        self._redraw()

    def on_data_table_row_highlighted(self) -> None:
        if self.size.width < NARROW and any(UUID.search(row.filter) for row in self._shown):
            self._redraw()  # the selected row's filter whole, the others' shortened again

    def selected_row(self) -> SyncLogRow | None:
        row = self.cursor_row
        return self._shown[row] if 0 <= row < len(self._shown) else None

    def count_cells(self, row: SyncLogRow) -> list[Text]:
        local, remote = merged(row, self._counted)
        if remote is None:
            return [Text(count_text(local) if local is not None else "—"), Text("—", style="dim")]
        g = glyphs(self.app)
        if local is not None and remote == local:
            return [Text(number(local)), Text(number(remote), style=theme_style(self.app, "success"))]
        style = theme_style(self.app, "warning", bold=True)
        mark = f" {g.warning}" if local is None or remote > local else ""
        return [
            Text(count_text(local) if local is not None else "?", style=style),
            Text(f"{number(remote)}{mark}", style=style),
        ]

    def _redraw(self) -> None:
        if self._now is None:
            return
        now = self._now
        g = glyphs(self.app)
        styles = {
            "error": theme_style(self.app, "error", bold=True),
            "warning": theme_style(self.app, "warning", bold=True),
        }
        marks = {"error": g.error, "warning": g.warning, "ok": " "}
        with_counts = any(merged(row, self._counted)[1] is not None for row in self._rows)
        shown = [row for row in self._rows if matches(row, self.filter_text)]
        cursor = self.cursor_row
        short = self.size.width < NARROW
        cells = [
            self._cells(row, now, styles, marks, with_counts, short and index != cursor)
            for index, row in enumerate(shown)
        ]
        widths = fitted_widths(
            column_titles(with_counts),
            cells,
            self.size.width - 2 - 2 * self.cell_padding * len(cells[0] if cells else ()),
            WRAPPING,
        )
        rows = [wrapped(row, widths, self.app.console) for row in cells]
        # Pushes mostly repeat the same log: rebuilding the table re-measures every cell.
        signature = (
            with_counts,
            widths,
            [
                (row.key, [(c.plain, str(c.style), tuple(c.spans)) for c in cs])
                for row, (cs, _height) in zip(shown, rows, strict=True)
            ],
        )
        if signature == self._signature and self.row_count:
            return
        self._signature = signature
        self._columns(with_counts, widths)
        self.clear()
        self._shown = shown
        for index, (row, (row_cells, height)) in enumerate(zip(shown, rows, strict=True)):
            self.add_row(*row_cells, key=f"{index}:{row.key}", height=height)
        if not self._shown:
            message = (
                _("no rows match the filter")
                if self._rows
                else _("the backend reports no sync log")
                if self._known
                else _("not known yet: the backend has not been read")
            )
            self.add_row(Text(message, style="dim"), *[Text("")] * (len(self.columns) - 1))
        if cursor and self.row_count:
            self.move_cursor(row=min(cursor, self.row_count - 1), animate=False)

    def _cells(
        self,
        row: SyncLogRow,
        now: datetime,
        styles: dict[str, Any],
        marks: dict[str, str],
        with_counts: bool,
        short: bool,
    ) -> list[Text]:
        """`short`: the filter's UUIDs shortened."""
        try:
            level = self._thresholds.level(row.last_success, now)
        except (TypeError, ValueError):
            level = "error"
        style = styles.get(level, "")
        name = Text(one_line(row.record_type, 120) or "?", style=style)
        if row.filter:
            shown = one_line(row.filter, 120)
            name.append(f" {short_uuids(shown) if short else shown}", style="dim")
        success = Text(f"{marks.get(level, ' ')} ", style=style)
        if row.last_success is None:
            success.append(_("never"), style=style)
        else:
            when = ago(row.last_success, now, minutes=True)  # by the minute: the table redraws whole
            success.append(f"{when} · {clock_time(row.last_success, now)}", style=style)
        error = Text(one_line(row.last_error, 60), style=styles["error"] if row.last_error else "")
        counts = self.count_cells(row) if with_counts else []
        return [name, *counts, success, error]
