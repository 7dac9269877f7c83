"""The dashboard's command palette reaches every action of the selected backend by its name (issue 11,
item 5): queue-wide and backend actions run through their confirmation, the others open their screen
and say what to choose."""

from __future__ import annotations

import pytest

from synctui.actions import CATALOGUE
from synctui.model import QueueKind
from synctui.tui.screens.backend_details import BackendDetailsScreen
from synctui.tui.screens.queue_browser import QueueBrowserScreen
from tests.functional.repair_helpers import (
    calls,
    confirm_dialog,
    loaded,
    open_details,
    palette_prompts,
    repair_app,
)
from tests.functional.tui_fakes import until

# The catalogue titles offered on other screens than the dashboard's own keys.
ELSEWHERE = {
    "Retry": (QueueBrowserScreen, QueueKind.CONFLICTS),
    "Re-Queue Conflicted": (QueueBrowserScreen, QueueKind.CONFLICTS),
    "Leave Server Version": (QueueBrowserScreen, QueueKind.CONFLICTS),
    "Drop Unsent Change": (QueueBrowserScreen, QueueKind.OUTBOX),
    "Change Setting": (BackendDetailsScreen, None),
    "Check Connection": (BackendDetailsScreen, None),
}


def titles(prompts: list[str]) -> list[str]:
    return [prompt.split("\n")[0] for prompt in prompts]


async def test_the_dashboard_palette_lists_every_action_of_the_selected_backend() -> None:
    _, app = repair_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        prompts = " | ".join(titles(await palette_prompts(pilot)))
    for title in ELSEWHERE:
        assert title in prompts, title
    main_titles = {"Synchronize now", "Re-Submit To Server…", "Count remotes", "Reset sync log row"}
    assert all(title in prompts for title in main_titles)
    named = {spec.title for spec in CATALOGUE} - {"Restore", "Compare With Server", "Synchronize Now"}
    named -= {"Re-Submit To Server", "Count Remotes", "Reset", "Reset All"}  # under the dashboard key's name
    assert named == set(ELSEWHERE)


@pytest.mark.parametrize("title", sorted(ELSEWHERE))
async def test_each_action_is_found_by_its_name_and_opens_its_screen(title: str) -> None:
    client, app = repair_app()
    screen_type, queue = ELSEWHERE[title]
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        prompts = titles(await palette_prompts(pilot, title.lower()))
        assert prompts[0] == title
        await pilot.press("enter")
        if title == "Re-Queue Conflicted":  # the whole queue: its key's confirmation, then nothing sent
            dialog = await confirm_dialog(pilot)
            assert "Re-Queue Conflicted" in str(dialog.request.title)
            await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, screen_type), title)
        if queue is not None:
            assert app.screen.kind == queue
        if title == "Check Connection":
            await until(pilot, lambda: bool(calls(client, "check_connection")), "the probe")
        elif title != "Re-Queue Conflicted":
            await until(pilot, lambda: bool(app._notifications), "what to choose")
            told = " ".join(n.message for n in app._notifications)
            assert title in told and "then press" in told
    assert (
        not calls(client, "retry") and not calls(client, "discard") and not calls(client, "change_settings")
    )


async def test_a_read_only_agent_offers_only_what_changes_nothing() -> None:
    _, app = repair_app(readonly=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        prompts = titles(await palette_prompts(pilot))
    assert "Check Connection" in prompts
    assert not {"Retry", "Re-Queue Conflicted", "Leave Server Version", "Change Setting"} & set(prompts)


async def test_other_screens_palettes_keep_to_their_own_actions() -> None:
    _, app = repair_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_details(pilot)
        prompts = titles(await palette_prompts(pilot))
    assert "Check connection" in prompts  # the details screen's own binding
    assert "Leave Server Version" not in prompts and "Re-Queue Conflicted" not in prompts
