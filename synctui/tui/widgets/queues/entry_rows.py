"""One page of queue entries as rows under a header: a light stand-in for DataTable.

The browser shows one page (≤ 50 rows) at a time and replaces it whole on every page change. A
DataTable renders each cell through Rich's console on every change and re-measures its columns; for
one page that was most of the cost of paging a queue. Here a row is one precomputed strip of
segments, drawn only when it is on screen, and a page change redraws the rows without a relayout of
the screen when the page's size is unchanged.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from synctui.tui.widgets.shared.fitted_columns import given_way

SHORTEST_CUT = 9  # a cut cell keeps at least 8 characters and "…": "ff34dfa7…" still tells an id apart
GAP = 1  # blank cells before each column and after the last (one, not DataTable's two: 7 more cells at 80)


class EntryRows(ScrollView, can_focus=True):
    """Rows of text cells under a fixed header; a row cursor; Enter or a click selects the row."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "cursor_up", "Up", show=False),
        Binding("down", "cursor_down", "Down", show=False),
        Binding("pageup", "cursor_page_up", "Page up", show=False),
        Binding("pagedown", "cursor_page_down", "Page down", show=False),
        Binding("home", "cursor_first", "First", show=False),
        Binding("end", "cursor_last", "Last", show=False),
        Binding("enter", "select_cursor", "Select", show=False),
    ]
    COMPONENT_CLASSES: ClassVar[set[str]] = {"entry-rows--header", "entry-rows--cursor"}
    DEFAULT_CSS = """
    EntryRows {
        background: $surface;
        color: $foreground;
        & > .entry-rows--header { text-style: bold; background: $panel; color: $foreground; }
        & > .entry-rows--cursor {
            background: $block-cursor-blurred-background;
            color: $block-cursor-blurred-foreground;
            text-style: $block-cursor-blurred-text-style;
        }
        &:focus > .entry-rows--cursor {
            background: $block-cursor-background;
            color: $block-cursor-foreground;
            text-style: $block-cursor-text-style;
        }
    }
    """

    cursor_row: reactive[int] = reactive(0, always_update=True, repaint=False)

    class RowSelected(Message):
        """Enter, or a click, on row `row`."""

        def __init__(self, rows: EntryRows, row: int) -> None:
            super().__init__()
            self.rows = rows
            self.row = row

        @property
        def control(self) -> EntryRows:
            return self.rows

    def __init__(
        self, columns: Sequence[str], *, giving_way: Sequence[int] = (), id: str | None = None
    ) -> None:
        """`giving_way`: the columns (by index) that are cut first, with "…", when the rows are wider
        than the widget; the others are cut only when those are as narrow as they go."""
        super().__init__(id=id)
        self.columns = list(columns)
        self.giving_way = list(giving_way)
        self._rows: list[list[Text]] = []
        self._widths = [cell_len(label) for label in self.columns]
        self._strips: dict[tuple[int, bool], Strip] = {}  # (row, under the cursor); -1 is the header

    @property
    def rows(self) -> list[list[Text]]:
        return self._rows

    @property
    def row_count(self) -> int:
        return len(self._rows)

    def show_rows(self, rows: Sequence[Sequence[Text]]) -> None:
        """Replace every row (a new page): the cursor goes to the first row."""
        self._rows = [list(row) for row in rows]
        self._measure()
        self.set_reactive(EntryRows.cursor_row, 0)
        self.scroll_to(0, 0, animate=False, immediate=True)

    def update_cell(self, row: int, column: int, text: Text) -> None:
        """Change one cell (the selection mark); the columns are measured again only when it is wider."""
        self._rows[row][column] = text
        if cell_len(text.plain) > self._widths[column]:
            self._measure()
            return
        self._strips.pop((row, False), None)
        self._strips.pop((row, True), None)
        self._refresh_row(row)

    def _measure(self) -> None:
        if not self.size.width:
            return  # not laid out yet: `on_resize` measures, once, at the width the rows get
        self._widths = self._fitted(self._room())
        self._strips.clear()
        width = sum(self._widths) + GAP * (len(self._widths) + 1)
        size = Size(width, len(self._rows) + 1)
        if size != self.virtual_size:
            self.virtual_size = size  # a relayout only when the page's shape changed
        self.refresh()

    def _room(self) -> int:
        """The cells' room: the widget's width less the gaps, and less the scrollbar when the rows
        are taller than the widget."""
        scrollbar = self.styles.scrollbar_size_vertical if len(self._rows) + 1 > self.size.height else 0
        return self.size.width - scrollbar - GAP * (len(self.columns) + 1)

    def _fitted(self, room: int) -> list[int]:
        """Each column as wide as its widest cell, title included; when they do not fit in `room`, the
        widest of `giving_way` gives way first, down to its title (or SHORTEST_CUT), then the others."""
        titles = [cell_len(label) for label in self.columns]
        widths = [
            max([title, *(cell_len(row[i].plain) for row in self._rows)]) for i, title in enumerate(titles)
        ]
        least = [max(title, SHORTEST_CUT) for title in titles]
        return given_way(widths, least, room, (self.giving_way, range(len(widths))))

    def on_resize(self, event: events.Resize) -> None:
        self._measure()

    def move_cursor(self, *, row: int, animate: bool = False) -> None:
        self.cursor_row = row

    def validate_cursor_row(self, row: int) -> int:
        return max(0, min(row, len(self._rows) - 1))

    def watch_cursor_row(self, old: int, new: int) -> None:
        self._refresh_row(old)
        self._refresh_row(new)
        body = self.scrollable_content_region.height - 1  # rows under the header
        top = round(self.scroll_y)
        if new < top:
            self.scroll_to(y=new, animate=False, immediate=True)
        elif body > 0 and new >= top + body:
            self.scroll_to(y=new - body + 1, animate=False, immediate=True)

    def _refresh_row(self, row: int) -> None:
        # The header takes line 0, so row r is drawn on line r + 1 of the content.
        self.refresh_line(row + 1)

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._strips.clear()

    def _on_focus(self, event: events.Focus) -> None:
        super()._on_focus(event)
        self._strips.clear()
        self._refresh_row(self.cursor_row)

    def _on_blur(self, event: events.Blur) -> None:
        super()._on_blur(event)
        self._strips.clear()
        self._refresh_row(self.cursor_row)

    # --- drawing --------------------------------------------------------------------------------

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        width = self.scrollable_content_region.width
        if y == 0:
            strip = self._strip(-1, False)
        else:
            row = scroll_y + y - 1
            if row >= len(self._rows):
                return Strip.blank(width, self.rich_style)
            strip = self._strip(row, row == self.cursor_row)
        return strip.crop(scroll_x, scroll_x + width).extend_cell_length(width, self.rich_style)

    def _strip(self, row: int, cursor: bool) -> Strip:
        key = (row, cursor)
        strip = self._strips.get(key)
        if strip is None:
            strip = self._strips[key] = self._build(row, cursor)
        return strip

    def _build(self, row: int, cursor: bool) -> Strip:
        base = self.rich_style
        if row < 0:
            style = base + self.get_component_rich_style("entry-rows--header")
            cells = [Text(label) for label in self.columns]
        else:
            style = base + self.get_component_rich_style("entry-rows--cursor") if cursor else base
            cells = self._rows[row]
        gap = " " * GAP
        segments = []
        for text, width in zip(cells, self._widths, strict=True):
            cell_style = (
                style + Style.parse(text.style) if isinstance(text.style, str) else style + text.style
            )
            segments.append(Segment(gap + cut(text.plain, width), cell_style))
        segments.append(Segment(gap, style))
        return Strip(segments)

    # --- keys and mouse -------------------------------------------------------------------------

    def action_cursor_up(self) -> None:
        self.cursor_row -= 1

    def action_cursor_down(self) -> None:
        self.cursor_row += 1

    def action_cursor_page_up(self) -> None:
        self.cursor_row -= max(1, self.scrollable_content_region.height - 1)

    def action_cursor_page_down(self) -> None:
        self.cursor_row += max(1, self.scrollable_content_region.height - 1)

    def action_cursor_first(self) -> None:
        self.cursor_row = 0

    def action_cursor_last(self) -> None:
        self.cursor_row = len(self._rows) - 1

    def action_select_cursor(self) -> None:
        if self._rows:
            self.post_message(self.RowSelected(self, self.cursor_row))

    def _on_click(self, event: events.Click) -> None:
        row = round(self.scroll_y) + event.y - 1
        if event.y < 1 or not 0 <= row < len(self._rows):
            return
        self.cursor_row = row
        self.post_message(self.RowSelected(self, row))


def cut(text: str, width: int) -> str:
    """`text` in `width` cells: padded, or cut with "…" ("ff34dfa7-c6d…" for an id that does not fit)."""
    if cell_len(text) <= width:
        return set_cell_size(text, width)
    return set_cell_size(text, width - 1) + "…"
