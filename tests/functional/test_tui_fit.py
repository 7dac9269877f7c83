"""Every word readable at 80×24, 100×30 and 120×40 with 1, 3 and 6 backends (issue 11, item 1).

Snapshots of the main screen of each backend family at 80×24 (update with --snapshot-update, and look
at each one); the screen read back as text for what must be on it: every backend named in the header
with its verdict mark, nothing cut with "…" where there is room, results and refusals in view.
"""

from __future__ import annotations

import re
from dataclasses import replace

import pytest
from textual.widgets import Static

from synctui.tui.key_groups import grouped_bindings
from synctui.tui.screens.help import HelpScreen
from synctui.tui.widgets.header.backend_tabs import MIN_NAME
from synctui.tui.widgets.shared.action_result import ActionResultView
from tests.functional import tui_fakes
from tests.functional.fit_fakes import FAMILIES, family_state, screen_text
from tests.functional.repair_helpers import change_setting, loaded, open_details, open_inspector, repair_app
from tests.functional.tui_fakes import FakeAgentClient, make_app, until

SIZES = [(80, 24), (100, 30), (120, 40)]
MARKS = "●◐▲?"
# A backend's own words that end in "…" ("Pull central…": the step running now), not a cut.
BACKEND_ELLIPSES = ("Pull central…",)


def app_for(family: str, backends: int):
    return make_app(FakeAgentClient(family_state(family, backends)))


@pytest.mark.parametrize("backends", [1, 3, 6])
@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_main_screen_80x24(snap_compare, family: str, backends: int):
    assert snap_compare(app_for(family, backends), run_before=loaded, terminal_size=(80, 24))


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("backends", [1, 3, 6])
@pytest.mark.parametrize("family", sorted(FAMILIES))
async def test_every_backend_is_named_in_the_header_with_its_mark(family: str, backends: int, size) -> None:
    app = app_for(family, backends)
    async with app.run_test(size=size) as pilot:
        await loaded(pilot)
        header = screen_text(app).splitlines()[0]
        names = [view.snapshot.backend for view in app.agent_state.backends]
        selected = app.selected_view().snapshot.backend
    assert f" {selected} " in header  # the selected one whole
    for name in names:
        whole = re.search(rf" {re.escape(name)} [{MARKS}]", header)
        shortened = re.search(rf" {re.escape(name[: MIN_NAME - 1])}\S*… [{MARKS}]", header)
        assert whole or shortened, (name, header)
    assert header.count("│") == len(names) - 1


@pytest.mark.parametrize("backends", [1, 3, 6])
@pytest.mark.parametrize("family", sorted(FAMILIES))
async def test_nothing_is_cut_at_120x40(family: str, backends: int) -> None:
    app = app_for(family, backends)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        lines = screen_text(app).splitlines()
    if backends == 6:  # six site names are longer than a 120-column header: shortened, checked above
        lines = lines[1:]
    text = "\n".join(lines)
    for words in BACKEND_ELLIPSES:
        text = text.replace(words, "")
    assert "…" not in text, text


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
async def test_help_fits_the_screen_and_cuts_no_description(size) -> None:
    app = app_for("santedb", 1)
    async with app.run_test(size=size) as pilot:
        await loaded(pilot)
        await pilot.press("question_mark")
        await until(pilot, lambda: isinstance(app.screen, HelpScreen), "help")
        await pilot.pause()
        dialog = app.screen.query_one("#help-dialog")
        text = app.screen.query_one("#help-text", Static).render()
    assert dialog.region.right <= size[0]
    assert "…" not in str(text)
    words = set(str(text).split())
    for group, spec in grouped_bindings():
        if group.scope in ("app", "main", "browser"):
            assert set((spec.help or spec.description).split()) <= words, spec.id


async def test_job_names_are_whole_at_120() -> None:
    long_name = "Upstream Synchronization Of Everything"
    state = family_state("santedb", 1)
    view = state.backends[0]
    jobs = [replace(view.snapshot.jobs[0], name=long_name), *view.snapshot.jobs[1:]]
    state = replace(state, backends=[replace(view, snapshot=replace(view.snapshot, jobs=jobs))])
    app = make_app(FakeAgentClient(state))
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        text = screen_text(app)
    assert long_name in text


async def test_the_raw_reason_wraps_inside_the_screen(monkeypatch) -> None:
    raw = "HTTP/1.1 409 Conflict " + "detail " * 40 + "END-OF-RAW"
    monkeypatch.setattr(tui_fakes, "DUPLICATE", replace(tui_fakes.DUPLICATE, raw=raw))
    _, app = repair_app()
    async with app.run_test(size=(80, 24)) as pilot:
        inspector = await open_inspector(pilot)
        await pilot.press("v")
        await pilot.pause()
        box = inspector.query_one("#raw", Static)
        assert box.region.right <= 80
        assert box.size.height > 1  # wrapped, not one line running off screen


async def details_scrolled_down(pilot):
    """The details screen scrolled to its settings, below the health and the result line."""
    details = await open_details(pilot)
    body = details.query_one("#details-body")
    body.scroll_end(animate=False)
    await pilot.pause()
    assert body.scroll_y > 0
    return details, body


async def test_a_wrong_pin_in_the_settings_dialog_is_said_in_view() -> None:
    _, app = repair_app(pin_required=True)
    async with app.run_test(size=(80, 14)) as pilot:  # the details scroll: the result is above
        details, body = await details_scrolled_down(pilot)
        await change_setting(pilot, "600", "0000")
        result = details.query_one("#details-result", ActionResultView)
        await until(pilot, lambda: bool(result.text), "the refusal")
        await pilot.pause(0.2)
        assert "wrong PIN" in result.text
        assert body.region.contains_region(result.region), "the refusal is scrolled into view"
        assert any("wrong PIN" in n.message for n in app._notifications)


async def test_check_connection_shows_its_answer_in_view() -> None:
    _, app = repair_app()
    async with app.run_test(size=(80, 14)) as pilot:  # the details scroll: the health is above
        details, body = await details_scrolled_down(pilot)
        health = details.query_one("#details-health", Static)
        await pilot.press("k")
        await until(pilot, lambda: "probe-7" in str(health.render()), "the probe's answer")
        await pilot.pause(0.2)
        assert body.region.contains_region(health.region), "the answer is scrolled into view"
