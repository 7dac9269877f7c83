"""EntryRows, the browser's page of rows: header, cursor, scrolling within the page, selection."""

from __future__ import annotations

from rich.text import Text
from textual.app import App, ComposeResult

from synctui.tui.widgets.queues.entry_rows import EntryRows


class RowsApp(App):
    def __init__(self) -> None:
        super().__init__()
        self.selected: list[int] = []

    def compose(self) -> ComposeResult:
        yield EntryRows(("#", "Name"), id="rows")

    def on_entry_rows_row_selected(self, event: EntryRows.RowSelected) -> None:
        self.selected.append(event.row)


def page(n: int, name: str = "entry") -> list[list[Text]]:
    return [[Text(str(i)), Text(f"{name} {i}", style="bold")] for i in range(n)]


def focused_page(app: RowsApp, n: int) -> EntryRows:
    rows = app.query_one(EntryRows)
    rows.focus()
    rows.show_rows(page(n))
    return rows


def line(rows: EntryRows, y: int) -> str:
    return rows.render_line(y).text


async def test_header_rows_and_cursor_within_a_page_taller_than_the_screen() -> None:
    app = RowsApp()
    async with app.run_test(size=(30, 10)) as pilot:
        rows = focused_page(app, 50)
        await pilot.pause()
        assert line(rows, 0).split() == ["#", "Name"]
        assert line(rows, 1).split() == ["0", "entry", "0"]
        assert rows.row_count == 50 and rows.cursor_row == 0
        await pilot.press("end")
        await pilot.pause()
        assert rows.cursor_row == 49
        assert line(rows, 9).split() == ["49", "entry", "49"]  # scrolled so the cursor shows
        assert line(rows, 0).split() == ["#", "Name"]  # the header stays
        await pilot.press("down")
        assert rows.cursor_row == 49  # held at the last row
        await pilot.press("home", "down", "enter")
        assert app.selected == [1]
        rows.update_cell(1, 0, Text("*"))
        await pilot.pause()
        assert line(rows, 2).split() == ["*", "entry", "1"]
        rows.update_cell(1, 0, Text("OK"))  # wider than its column (the ASCII mark): measured again
        await pilot.pause()
        assert line(rows, 2).split() == ["OK", "entry", "1"]
        header = line(rows, 0)
        assert header.index("Name") - header.index("#") == len("OK") + 1  # its width, and the gap


async def test_a_new_page_replaces_the_rows_and_resets_cursor_and_scroll() -> None:
    app = RowsApp()
    async with app.run_test(size=(30, 10)) as pilot:
        rows = focused_page(app, 50)
        await pilot.press("end")
        await pilot.pause()
        rows.show_rows(page(3, "next"))
        await pilot.pause()
        assert rows.cursor_row == 0 and rows.scroll_y == 0
        assert [line(rows, y).split() for y in range(1, 5)] == [
            ["0", "next", "0"],
            ["1", "next", "1"],
            ["2", "next", "2"],
            [],
        ]


async def test_a_click_on_a_row_moves_the_cursor_and_selects_it() -> None:
    app = RowsApp()
    async with app.run_test(size=(30, 10)) as pilot:
        rows = app.query_one(EntryRows)
        rows.show_rows(page(5))
        await pilot.pause()
        await pilot.click(EntryRows, offset=(2, 3))
        assert rows.cursor_row == 2 and app.selected == [2]
        await pilot.click(EntryRows, offset=(2, 0))  # the header: nothing
        assert app.selected == [2]


async def test_wide_text_is_cut_to_its_column_and_an_empty_page_shows_the_header() -> None:
    app = RowsApp()
    async with app.run_test(size=(30, 6)) as pilot:
        rows = app.query_one(EntryRows)
        rows.show_rows([[Text("1"), Text("x" * 100)]])
        await pilot.pause()
        assert len(line(rows, 1)) == rows.scrollable_content_region.width
        rows.show_rows([])
        await pilot.pause()
        assert line(rows, 0).split() == ["#", "Name"] and line(rows, 1).strip() == ""
