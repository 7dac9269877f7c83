"""The synchronization log: per record type, when it last synced, coloured by the backend's thresholds."""

from __future__ import annotations

from datetime import datetime

from rich.text import Text
from textual.widgets import DataTable

from synctui.model import SyncLogRow, Thresholds
from synctui.tui.format import ago, clock_time, one_line
from synctui.tui.look import glyphs, theme_style


def matches(row: SyncLogRow, needle: str) -> bool:
    needle = needle.strip().lower()
    return not needle or needle in (row.record_type or "").lower() or needle in (row.filter or "").lower()


class SyncLogTable(DataTable):
    DEFAULT_CSS = """
    SyncLogTable { height: 1fr; min-height: 3; overflow-x: hidden; }
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(cursor_type="row", zebra_stripes=False, **kwargs)
        self._rows: list[SyncLogRow] = []
        self._thresholds = Thresholds()
        self._now: datetime | None = None
        self.filter_text = ""
        self.border_title = "Sync log"

    def on_mount(self) -> None:
        self.add_column("Record type", key="type")
        self.add_column("Last success", key="success")
        self.add_column("Last error", key="error")

    def show(self, rows: list[SyncLogRow], thresholds: Thresholds | None, now: datetime) -> None:
        self._rows = list(rows or [])
        self._thresholds = thresholds or Thresholds()
        self._now = now
        self._redraw()

    def set_filter(self, text: str) -> None:
        self.filter_text = text
        self._redraw()

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
        cursor = self.cursor_row
        self.clear()
        shown = [row for row in self._rows if matches(row, self.filter_text)]
        for index, row in enumerate(shown):
            try:
                level = self._thresholds.level(row.last_success, now)
            except (TypeError, ValueError):
                level = "error"
            style = styles.get(level, "")
            name = Text(one_line(row.record_type, 40) or "?", style=style)
            if row.filter:
                name.append(f" {one_line(row.filter, 30)}", style="dim")
            success = Text(f"{marks.get(level, ' ')} ", style=style)
            if row.last_success is None:
                success.append("never", style=style)
            else:
                success.append(
                    f"{ago(row.last_success, now)} · {clock_time(row.last_success, now)}", style=style
                )
            error = Text(one_line(row.last_error, 60), style=styles["error"] if row.last_error else "")
            self.add_row(name, success, error, key=f"{index}:{row.key}")
        if not shown:
            message = "no rows match the filter" if self._rows else "the backend reports no sync log"
            self.add_row(Text(message, style="dim"), Text(""), Text(""))
        if cursor and self.row_count:
            self.move_cursor(row=min(cursor, self.row_count - 1), animate=False)
