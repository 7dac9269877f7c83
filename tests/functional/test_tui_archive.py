"""The archive in the dashboard: discarded entries listed, and Restore through the catalogue's
confirmation (word and PIN), told counted; an entry restored once is not offered again."""

from __future__ import annotations

from textual.widgets import DataTable, Input, Static

from synctui.model import Capability
from synctui.tui.screens.archive import ArchiveScreen
from tests.functional.fake_actions import ADMIN_PIN
from tests.functional.repair_helpers import ALL_CAPS, calls, confirm_dialog, loaded, repair_app, text_of
from tests.functional.tui_fakes import until


async def open_archive(pilot) -> ArchiveScreen:
    await loaded(pilot)
    await pilot.press("u")
    await until(pilot, lambda: isinstance(pilot.app.screen, ArchiveScreen), "archive")
    screen = pilot.app.screen
    await until(pilot, lambda: bool(screen.records), "archived entries")
    await pilot.pause()
    return screen


def rows(screen: ArchiveScreen) -> list[list[str]]:
    table = screen.query_one(DataTable)
    return [[str(cell) for cell in table.get_row_at(i)] for i in range(table.row_count)]


async def test_restore_an_archived_entry_with_its_word_and_pin() -> None:
    client, app = repair_app(pin_required=True)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_archive(pilot)
        # The queue as the dashboard names it, not the archive's key
        assert [row[1:5] for row in rows(screen)] == [
            ["santedb", "Conflicts", "Patient Insert", "nurse"],
            ["santedb", "Outbox", "Patient Update", "nurse"],
        ]
        assert rows(screen)[0][5] == "no" and rows(screen)[1][5] != "no"
        caption = screen.query_one("#archive-caption", Static)
        assert text_of(caption) == "2 archived · R puts it back in its queue"
        await pilot.press("R")
        dialog = await confirm_dialog(pilot)
        assert text_of(dialog.query_one("#confirm-title", Static)) == (
            "Restore: archived Patient Insert from Conflicts of santedb?"
        )
        dialog.query_one("#confirm-word", Input).value = "RESTORE"
        dialog.query_one("#confirm-pin", Input).value = ADMIN_PIN
        await pilot.press("enter")
        await until(pilot, lambda: bool(calls(client, "restore")), "restore")
        assert calls(client, "restore") == [("restore", "ar-2", ADMIN_PIN)]
        result = screen.query_one("#action-result")
        await until(pilot, lambda: bool(result.text), "result")
        assert result.text.splitlines()[0] == "✔ Restore: 1 restored"
        await until(pilot, lambda: rows(screen)[0][5] != "no", "reloaded")
        assert screen.check_action("restore_archived", ()) is None  # restored: greyed, not offered again


async def test_an_entry_already_restored_is_not_restored_again() -> None:
    client, app = repair_app()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_archive(pilot)
        await pilot.press("down")
        assert screen.check_action("restore_archived", ()) is None
        caption = screen.query_one("#archive-caption", Static)
        assert text_of(caption) == "2 archived · this one was restored already"
        await pilot.press("R")
        await pilot.pause()
        assert app.screen is screen and calls(client, "restore") == []


async def test_restore_is_not_offered_where_the_backend_cannot_restore_or_the_agent_is_read_only() -> None:
    cases = [
        (
            {"caps": ALL_CAPS - {Capability.RESTORE}},
            "santedb cannot take an entry back: no restore in its plugin",
        ),
        ({"readonly": True}, "restoring is a change: this dashboard is read-only"),
    ]
    for changes, why in cases:
        client, app = repair_app(**changes)
        async with app.run_test(size=(80, 24)) as pilot:
            screen = await open_archive(pilot)
            assert screen.check_action("restore_archived", ()) is False
            assert text_of(screen.query_one("#archive-caption", Static)) == f"2 archived · {why}"
            await pilot.press("R")
            await pilot.pause()
            assert app.screen is screen and calls(client, "restore") == []


async def test_the_archive_says_so_when_nothing_was_discarded() -> None:
    client, app = repair_app()
    client.archive_records = []
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        await pilot.press("u")
        await until(pilot, lambda: isinstance(app.screen, ArchiveScreen), "archive")
        caption = app.screen.query_one("#archive-caption", Static)
        await until(pilot, lambda: "nothing archived" in text_of(caption), "empty archive")
        assert text_of(caption) == "nothing archived: no entry was discarded"
