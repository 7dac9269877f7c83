"""Pilot tests of the repair actions on entries: retry, discard, compare, multi-select, Re-Queue."""

from __future__ import annotations

import asyncio

from textual.widgets import Input, Static

from synctui.client_interface import AgentRefused
from synctui.model import QueueKind
from synctui.tui.screens.compare import CompareScreen
from synctui.tui.screens.entry_inspector import EntryInspectorScreen
from synctui.tui.widgets.queues.entry_rows import EntryRows
from synctui.tui.widgets.shared.action_result import ActionResultView
from tests.functional.repair_helpers import (
    calls,
    confirm_dialog,
    hint,
    open_browser,
    open_inspector,
    repair_app,
    text_of,
)
from tests.functional.tui_fakes import until

CON = QueueKind.CONFLICTS


async def test_inspector_retry_once_while_in_flight_then_shows_result() -> None:
    client, app = repair_app()
    async with app.run_test(size=(80, 24)) as pilot:
        inspector = await open_inspector(pilot)
        facts = text_of(inspector.query_one("#facts", Static))
        assert "Tries" in facts and "Queue       Conflicts" in facts
        rejection = text_of(inspector.query_one("#rejection", Static))
        assert "409" in rejection and "DUPLICATE_ENTITY" in rejection and "business rule" in rejection
        client.gate = asyncio.Event()
        await pilot.press("r", "r")
        await pilot.pause()
        assert len(calls(client, "retry")) == 1
        client.gate.set()
        result = inspector.query_one("#result", ActionResultView)
        await until(pilot, lambda: bool(result.text), "retry result")
        assert "conflicts-00000" in result.text and "queued again" in result.text
        await until(pilot, lambda: len(calls(client, "entry")) == 2, "entry reloaded")
    assert calls(client, "retry") == [("retry", "santedb", ["conflicts-00000"], None)]


async def test_discard_needs_the_word_and_the_pin() -> None:
    client, app = repair_app(pin_required=True)
    async with app.run_test(size=(80, 24)) as pilot:
        inspector = await open_inspector(pilot)
        await pilot.press("d")
        dialog = await confirm_dialog(pilot)
        body = text_of(dialog.query_one("#confirm-body", Static))
        assert (
            "what the server has stays as it is (it may have no copy). Archived first" in body
            and "1 entry" in body
        )
        assert "Leave Server Version" in text_of(dialog.query_one("#confirm-title", Static))
        assert dialog.query_one("#confirm-pin", Input).password
        await pilot.press("enter")  # nothing typed: not confirmed
        assert "Type DISCARD exactly" in hint(dialog) and app.screen is dialog
        await pilot.press(*"DISCARD", "enter")  # word ok, PIN missing
        assert "admin PIN" in hint(dialog) and app.screen is dialog
        dialog.query_one("#confirm-pin", Input).value = "0000"
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, EntryInspectorScreen), "back on the inspector")
        result = inspector.query_one("#result", ActionResultView)
        await until(pilot, lambda: bool(result.text), "refusal shown")
        assert "wrong PIN" in result.text and "0000" not in result.text
        await pilot.press("d")
        dialog = await confirm_dialog(pilot)
        dialog.query_one("#confirm-word", Input).value = "discard"
        dialog.query_one("#confirm-pin", Input).value = "2468"
        await pilot.press("enter")
        await until(pilot, lambda: "discarded" in result.text, "discarded")
    assert calls(client, "discard") == [
        ("discard", "santedb", CON, ["conflicts-00000"], "0000"),
        ("discard", "santedb", CON, ["conflicts-00000"], "2468"),
    ]


async def test_escape_cancels_the_confirmation() -> None:
    client, app = repair_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_inspector(pilot)
        await pilot.press("d")
        await confirm_dialog(pilot)
        await pilot.press("D", "escape")
        await until(pilot, lambda: isinstance(app.screen, EntryInspectorScreen), "cancelled")
    assert not calls(client, "discard")


async def test_refusals_are_shown_not_raised() -> None:
    client, app = repair_app()
    client.refusals["retry"] = AgentRefused(502, "the dCDR answered 500 Internal Server Error")
    client.refusals["compare"] = AgentRefused(501, "compare is not implemented for santedb")
    async with app.run_test(size=(80, 24)) as pilot:
        inspector = await open_inspector(pilot)
        await pilot.press("r")
        result = inspector.query_one("#result", ActionResultView)
        await until(pilot, lambda: bool(result.text), "refusal shown")
        assert "the backend failed: the dCDR answered 500" in result.text
        await pilot.press("c")
        await until(pilot, lambda: isinstance(app.screen, CompareScreen), "compare screen")
        reason = app.screen.query_one("#compare-reason", Static)
        await until(pilot, lambda: "not implemented" in text_of(reason), "501 shown")
        assert "cannot do that" in text_of(reason)


async def test_compare_without_server_copy_shows_reason_not_a_diff() -> None:
    _client, app = repair_app()
    async with app.run_test(size=(80, 24)) as pilot:
        browser = await open_browser(pilot)
        browser.query_one(EntryRows).move_cursor(row=1)
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, EntryInspectorScreen), "inspector")
        await pilot.press("c")
        await until(pilot, lambda: isinstance(app.screen, CompareScreen), "compare")
        screen = app.screen
        await until(pilot, lambda: screen.comparison is not None, "comparison")
        reason = text_of(screen.query_one("#compare-reason", Static))
        assert "The server copy cannot be fetched: the server answered 404" in reason
        assert screen.rows == [] and screen.fields is None
        await pilot.press("escape")
        await pilot.press("escape")
        browser.query_one(EntryRows).move_cursor(row=0)
        await pilot.press("enter", "c")
        await until(pilot, lambda: isinstance(app.screen, CompareScreen) and app.screen.fields, "diff")
        summary = text_of(app.screen.query_one("#compare-summary", Static))
        assert summary.startswith(
            '2 fields differ: birthDate "1990-04-02" → "1990-02-04", active (absent) → true'
        )


async def test_browser_multi_select_retry_and_discard() -> None:
    client, app = repair_app()
    async with app.run_test(size=(80, 24)) as pilot:
        browser = await open_browser(pilot)
        await pilot.press("space", "space")
        assert browser.selected == {"conflicts-00000", "conflicts-00001"}
        await pilot.press("R")
        result = browser.query_one("#action-result", ActionResultView)
        await until(pilot, lambda: bool(result.text), "retry result")
        assert browser.selected == set()
        await pilot.press("space", "D")
        dialog = await confirm_dialog(pilot)
        assert "1 entry" in text_of(dialog.query_one("#confirm-body", Static))
        dialog.query_one("#confirm-word", Input).value = "DISCARD"
        await pilot.press("enter")
        await until(pilot, lambda: bool(calls(client, "discard")), "discard call")
    assert calls(client, "retry") == [("retry", "santedb", ["conflicts-00000", "conflicts-00001"], None)]
    assert calls(client, "discard")[0][3] == ["conflicts-00000"]


async def test_requeue_conflicted_states_count_and_needs_pin() -> None:
    client, app = repair_app(pin_required=True)
    async with app.run_test(size=(80, 24)) as pilot:
        browser = await open_browser(pilot)
        await pilot.press("A")
        dialog = await confirm_dialog(pilot)
        assert "3 entries" in text_of(dialog.query_one("#confirm-body", Static))
        dialog.query_one("#confirm-word", Input).value = "RETRY"
        dialog.query_one("#confirm-pin", Input).value = "2468"
        await pilot.press("enter")
        result = browser.query_one("#action-result", ActionResultView)
        await until(pilot, lambda: bool(result.text), "result")
        assert "rejected again" in result.text  # the per-entry result of the one that failed
    assert calls(client, "retry") == [("retry", "santedb", None, "2468")]


async def test_requeue_only_on_conflicts_and_actions_hidden_without_capability() -> None:
    from synctui.model import Capability

    client, app = repair_app(caps=frozenset({Capability.ENTRIES}))
    async with app.run_test(size=(80, 24)) as pilot:
        browser = await open_browser(pilot)
        for action in ("retry_selected", "discard_selected", "requeue_conflicted", "toggle_select"):
            assert browser.check_action(action, ()) is False
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, EntryInspectorScreen), "inspector")
        for action in ("retry_entry", "discard_entry", "compare_entry"):
            assert app.screen.check_action(action, ()) is False
        await pilot.press("r", "d")
    assert not calls(client, "retry") and not calls(client, "discard")


def test_large_payload_is_shown_in_part() -> None:
    from synctui.tui.entry_text import PREVIEW_LINES, payload_part

    text = "\n".join(str(i) for i in range(PREVIEW_LINES + 40))
    shown, hidden = payload_part(text, full=False)
    assert hidden == 40 and len(shown.splitlines()) == PREVIEW_LINES
    assert payload_part(text, full=True) == (text, 0)
