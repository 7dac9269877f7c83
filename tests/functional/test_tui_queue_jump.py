"""The queue browser goes to an entry number: the page holding it is asked for, nothing more."""

from __future__ import annotations

import pytest
from textual.widgets import Static

from synctui.tui.screens.queue_browser import QueueBrowserScreen
from synctui.tui.screens.queue_page import jump_offset
from tests.functional.repair_helpers import open_browser
from tests.functional.test_tui_dashboard import entry_calls, text_of
from tests.functional.tui_fakes import FakeAgentClient, make_app, until


@pytest.mark.parametrize(
    ("text", "total", "offset"),
    [
        ("1", 1_000_000, 0),
        ("50", 1_000_000, 0),
        ("51", 1_000_000, 50),
        ("500,001", 1_000_000, 500_000),
        ("500_050", 1_000_000, 500_000),
        (" 1000000 ", 1_000_000, 999_950),
        ("2000000", 1_000_000, 999_950),  # past the end: the last page
        ("2000000", None, 1_999_950),  # total unknown: asked for as typed
        ("7", 0, 0),
    ],
)
def test_jump_offset(text: str, total: int | None, offset: int) -> None:
    assert jump_offset(text, 50, total) == offset


@pytest.mark.parametrize("text", ["", "0", "-5", "abc", "1e6", "12.5"])
def test_jump_offset_refuses_what_is_not_an_entry_number(text: str) -> None:
    with pytest.raises(ValueError, match="not an entry number"):
        jump_offset(text, 50, 100)


async def test_go_to_an_entry_then_bad_input_then_escape() -> None:
    client = FakeAgentClient()
    app = make_app(client)
    async with app.run_test(size=(80, 24)) as pilot:
        browser = await open_browser(pilot, "1")  # the Outbox
        caption = browser.query_one("#pager-caption", Static)
        await pilot.press("g", *"160", "enter")
        await until(pilot, lambda: browser.page.offset == 150, "the page of entry 160")
        assert "151–200 of 212" in text_of(caption)
        await pilot.press("g", *"x1", "enter")
        await pilot.pause()
        assert "not an entry number: 'x1'" in text_of(caption)
        await pilot.press("escape")  # closes the box, the caption says where we are again
        await pilot.pause()
        assert "151–200 of 212" in text_of(caption)
        assert isinstance(app.screen, QueueBrowserScreen)
    assert [c[3] for c in entry_calls(client)] == [0, 150]
