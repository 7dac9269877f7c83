"""The console theme (TERM=linux) draws only characters of the Linux console's default font (issue 11,
item 4): every screen read back from its screenshot holds nothing else, whatever the backend family."""

from __future__ import annotations

import pytest
from textual.command import CommandPalette

from synctui.tui.console_glyphs import drawable
from synctui.tui.screens.help import HelpScreen
from synctui.tui.screens.sync_progress import SyncProgressScreen
from tests.functional.fit_fakes import FAMILIES, family_state, screen_text
from tests.functional.repair_helpers import loaded, open_details, open_inspector, repair_state
from tests.functional.tui_fakes import FakeAgentClient, make_app, until


def undrawable(text: str) -> set[str]:
    return {char for char in text if char != "\n" and not drawable(char)}


@pytest.mark.parametrize("backends", [1, 3, 6])
@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_main_screen_80x24_console(snap_compare, family: str, backends: int):
    app = make_app(FakeAgentClient(family_state(family, backends)), theme="console")
    assert snap_compare(app, run_before=loaded, terminal_size=(80, 24))


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("backends", [1, 3, 6])
@pytest.mark.parametrize("family", sorted(FAMILIES))
async def test_the_main_screen_draws_only_console_characters(family: str, backends: int, size) -> None:
    app = make_app(FakeAgentClient(family_state(family, backends)), theme="console")
    async with app.run_test(size=size) as pilot:
        await loaded(pilot)
        text = screen_text(app)
    assert not undrawable(text), text


async def test_every_screen_draws_only_console_characters() -> None:
    app = make_app(FakeAgentClient(repair_state()), theme="console")
    seen = []
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        await pilot.press("question_mark")
        await until(pilot, lambda: isinstance(app.screen, HelpScreen), "help")
        await pilot.pause()
        seen.append(screen_text(app))
        await pilot.press("escape")
        await open_inspector(pilot)  # the queue browser, then an entry in it
        await pilot.pause()
        seen.append(screen_text(app))
        app.pop_screen()
        await pilot.pause()
        seen.append(screen_text(app))
        app.pop_screen()
        await open_details(pilot)
        seen.append(screen_text(app))
        app.pop_screen()
        await pilot.press("ctrl+p")
        await until(pilot, lambda: isinstance(app.screen, CommandPalette), "palette")
        await pilot.press(*"leave")
        await pilot.pause(0.3)
        seen.append(screen_text(app))
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("s")
        await until(pilot, lambda: isinstance(app.screen, SyncProgressScreen), "sync dialog")
        await pilot.pause()
        seen.append(screen_text(app))
    for text in seen:
        assert not undrawable(text), text


async def test_leaving_the_console_theme_brings_the_glyphs_back() -> None:
    app = make_app(FakeAgentClient(family_state("santedb", 1)), theme="console")
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        assert "╭" not in screen_text(app)
        app.theme = "synctui-dark"
        await pilot.pause()
        assert "╭" in screen_text(app)  # the cards' rounded corners
