"""Pilot tests of the main-screen actions: count remotes, reset, details + settings, audit, read-only."""

from __future__ import annotations

from textual.widgets import DataTable, Input, Static

from synctui.tui.screens.audit import AuditScreen
from synctui.tui.screens.backend_details import BackendDetailsScreen
from synctui.tui.screens.entry_inspector import EntryInspectorScreen
from synctui.tui.screens.help import HelpScreen
from synctui.tui.screens.main import MainScreen
from synctui.tui.widgets.header.app_header import AppHeader
from synctui.tui.widgets.sync.sync_log_table import SyncLogTable
from tests.functional.repair_helpers import (
    calls,
    change_setting,
    confirm_dialog,
    loaded,
    open_browser,
    open_details,
    palette_prompts,
    repair_app,
    text_of,
)
from tests.functional.tui_fakes import until


async def test_count_remotes_then_reset_row_and_all() -> None:
    client, app = repair_app(pin_required=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        await pilot.press("c")
        table = app.screen.query_one(SyncLogTable)
        await until(pilot, lambda: "server" in table.columns, "server counts")
        cells = [str(c) for c in table.get_row_at(1)]
        assert cells[1] == "40" and cells[2].startswith("52 ")  # remote > local: warning mark
        assert [str(c) for c in table.get_row_at(0)][1:3] == ["120", "120"]
        table.focus()
        await pilot.press("x")
        dialog = await confirm_dialog(pilot)
        assert "no data is deleted" in text_of(dialog.query_one("#confirm-body", Static))
        dialog.query_one("#confirm-word", Input).value = "RESET"
        dialog.query_one("#confirm-pin", Input).value = "2468"
        await pilot.press("enter")
        await until(pilot, lambda: bool(calls(client, "reset")), "reset row")
        await until(pilot, lambda: isinstance(app.screen, MainScreen), "dialog closed")
        await pilot.press("X")
        dialog = await confirm_dialog(pilot)
        dialog.query_one("#confirm-word", Input).value = "reset"
        dialog.query_one("#confirm-pin", Input).value = "2468"
        await pilot.press("enter")
        await until(pilot, lambda: len(calls(client, "reset")) == 2, "reset all")
    assert calls(client, "count_remotes") == [("count_remotes", "santedb")]
    assert calls(client, "reset") == [
        ("reset", "santedb", ["patient"], "2468"),
        ("reset", "santedb", None, "2468"),
    ]


async def test_details_settings_change_and_audit() -> None:
    client, app = repair_app(pin_required=True)
    async with app.run_test(size=(80, 24)) as pilot:
        details = await open_details(pilot)
        assert "42 ms" in text_of(details.query_one("#details-health", Static))
        await change_setting(pilot, "600", "2468")
        await until(pilot, lambda: bool(calls(client, "change_settings")), "settings changed")
        await pilot.press("escape", "a")
        await until(pilot, lambda: isinstance(app.screen, AuditScreen), "audit")
        audit = app.screen
        await until(pilot, lambda: audit.records is not None, "audit records")
        table = audit.query_one(DataTable)
        assert table.row_count == 3
        first = [str(c) for c in table.get_row_at(0)]
        # What a person calls the action and its phase, not the audit file's "discard" and "after"
        assert " ".join(first[3].split()) == "Leave Server Version"
        assert " ".join(first[5].split()).startswith("failed: wrong PIN"), first  # wraps at 80
        assert first[4] in {"asked", "ended", "refusal"}, first
    assert calls(client, "change_settings") == [("change_settings", "santedb", {"interval": "600"}, "2468")]


async def test_check_connection_from_the_details_screen() -> None:
    client, app = repair_app(readonly=True)  # a read-only probe: allowed even on a read-only agent
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        await pilot.press("i")
        await until(pilot, lambda: isinstance(app.screen, BackendDetailsScreen), "details")
        await pilot.press("k")
        health = app.screen.query_one("#details-health", Static)
        await until(pilot, lambda: "probe-7" in text_of(health), "probe result")
        assert health.border_title == "Health (checked just now)"
    assert calls(client, "check_connection") == [("check_connection", "santedb")]


async def test_readonly_hides_every_change() -> None:
    client, app = repair_app(readonly=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        await pilot.pause()
        assert "read-only" in text_of(app.screen.query_one(AppHeader).query_one("#agent-status", Static))
        main = app.screen
        assert main.check_action("reset_row", ()) is False and main.check_action("count_remotes", ())
        await pilot.press("question_mark")
        await until(pilot, lambda: isinstance(app.screen, HelpScreen), "help")
        help_text = text_of(app.screen.query_one("#help-text", Static))
        assert (
            "reset_row" not in help_text and "retry_entry" not in help_text and "compare_entry" in help_text
        )
        await pilot.press("escape")
        browser = await open_browser(pilot)
        assert browser.check_action("requeue_conflicted", ()) is False
        await pilot.press("space", "R", "A", "enter")
        await until(pilot, lambda: isinstance(app.screen, EntryInspectorScreen), "inspector")
        await pilot.press("r", "d")
        prompts = " | ".join(await palette_prompts(pilot))
        assert "Compare with server" in prompts and "Audit log" in prompts
        assert "Retry this entry" not in prompts and "Discard" not in prompts
    assert not calls(client, "retry") and not calls(client, "discard")


async def test_palette_lists_inspector_actions() -> None:
    client, app = repair_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_browser(pilot)
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, EntryInspectorScreen), "inspector")
        prompts = " | ".join(await palette_prompts(pilot))
        for title in (
            "Retry this entry",
            "Compare with server",
            "Discard this entry",
            "Audit log",
        ):
            assert title in prompts, title
        await pilot.press(*"retry", "enter")
        await until(pilot, lambda: bool(calls(client, "retry")), "retry from the palette")


async def test_resubmit_asks_for_a_range_runs_with_progress_and_can_be_cancelled() -> None:
    from synctui.model import Capability
    from synctui.tui.screens.sync_progress import SyncProgressScreen
    from tests.functional.repair_helpers import ALL_CAPS

    client, app = repair_app(ALL_CAPS, pin_required=True)
    assert Capability.RESUBMIT in ALL_CAPS
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        await pilot.press("S")
        dialog = await confirm_dialog(pilot)
        assert "20-30 minutes" in text_of(dialog.query_one("#confirm-body", Static))
        dialog.query_one("#confirm-value", Input).value = "2026-11-01..2026-11-03"
        dialog.query_one("#confirm-word", Input).value = "RESUBMIT"
        dialog.query_one("#confirm-pin", Input).value = "2468"
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, SyncProgressScreen), "progress dialog")
        progress = app.screen
        await until(pilot, lambda: progress.phase == "running", "running")
        assert "Re-submitting" in text_of(progress.query_one("#sync-title", Static))
        await pilot.click("#cancel")
        await until(pilot, lambda: progress.phase == "failed", "cancelled")
        assert "cancelled" in text_of(progress.query_one("#sync-body", Static))
    assert calls(client, "resubmit") == [
        ("resubmit", "santedb", "2026-11-01T00:00:00+00:00", "2026-11-03T23:59:59+00:00", "2468")
    ]
    assert calls(client, "cancel") == [("cancel", "santedb", "rs-1")]


async def test_resubmit_is_hidden_without_the_capability() -> None:
    from synctui.model import Capability
    from tests.functional.repair_helpers import ALL_CAPS

    client, app = repair_app(ALL_CAPS - {Capability.RESUBMIT})
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        await pilot.press("S")
        await pilot.pause()
        assert isinstance(app.screen, MainScreen)
    assert calls(client, "resubmit") == []
