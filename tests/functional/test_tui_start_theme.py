"""The theme the dashboard starts with styles it exactly as Textual's own theme switch would, whether it
was set before the first parse (same dark and ANSI as Textual's start) or through `App.theme`."""

from __future__ import annotations

import pytest

from synctui.tui.themes import load_themes
from tests.functional.tui_fakes import make_app

THEMES = load_themes().names
THEME_CLASSES = ("-dark-mode", "-light-mode")


def looks(app) -> tuple:
    screen, card = app.screen, app.screen.query_one("#card-outbox")
    themed = sorted(c for c in app.classes if c.startswith("-theme-") or c in THEME_CLASSES)
    filters = [(type(f).__name__, getattr(f, "enabled", None)) for f in app._filters]
    return (
        app.theme,
        themed,
        app.native_ansi_color,
        filters,
        screen.styles.background,
        screen.styles.color,
        card.styles.border,
        dict(app.theme_variables),
    )


@pytest.mark.parametrize("name", THEMES)
async def test_a_theme_given_at_start_looks_as_when_switched_to(name: str) -> None:
    started = make_app(theme=name)
    async with started.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        at_start = looks(started)
    other = THEMES[(THEMES.index(name) + 1) % len(THEMES)]
    switched = make_app(theme=other)
    async with switched.run_test(size=(80, 24)) as pilot:
        switched.theme = name
        await pilot.pause()
        await pilot.pause()
        assert looks(switched) == at_start
