"""Pilot tests of the dashboard against a fake agent client."""

from __future__ import annotations

from textual.command import CommandPalette
from textual.widgets import OptionList, Static

from synctui.model import AgentState, QueueKind
from synctui.tui.screens.entry_inspector import EntryInspectorScreen
from synctui.tui.screens.help import HelpScreen
from synctui.tui.screens.main import MainScreen
from synctui.tui.screens.queue_browser import QueueBrowserScreen
from synctui.tui.screens.sync_progress import SyncProgressScreen
from synctui.tui.widgets.header.status_banner import StatusBanner
from synctui.tui.widgets.queues.entry_rows import EntryRows
from synctui.tui.widgets.queues.queue_card import QueueCard
from synctui.tui.widgets.sync.all_synced_banner import AllSyncedBanner
from tests.functional.tui_fakes import FakeAgentClient, busy_state, make_app, until


def text_of(widget: Static) -> str:
    return str(widget.render())


async def loaded(pilot) -> None:
    await until(
        pilot,
        lambda: pilot.app.agent_state is not None and pilot.app.fully_composed,
        "first state, whole screen",
    )
    await pilot.pause()


def entry_calls(client: FakeAgentClient) -> list[tuple]:
    return [call for call in client.calls if call[0] == "entries"]


async def test_queue_browser_pages_never_loads_whole_queue() -> None:
    client = FakeAgentClient()
    app = make_app(client)
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        await pilot.click("#card-outbox")
        await until(pilot, lambda: isinstance(app.screen, QueueBrowserScreen), "queue browser")
        browser = app.screen
        await until(pilot, lambda: browser.page is not None, "first page")
        assert browser.query_one(EntryRows).row_count == 50
        await pilot.press("n")
        await until(pilot, lambda: browser.page.offset == 50, "second page")
        await pilot.press("n", "n", "n")
        await until(pilot, lambda: browser.page.offset == 200, "last page")
        assert browser.query_one(EntryRows).row_count == 12
        assert "201–212 of 212" in text_of(browser.query_one("#pager-caption", Static))
        await pilot.press("n")  # no page after the last: nothing is requested
        await pilot.press("p")
        await until(pilot, lambda: browser.page.offset == 150, "previous page")
    calls = entry_calls(client)
    assert [c[3] for c in calls] == [0, 50, 100, 150, 200, 150]
    assert all(c[2] == QueueKind.OUTBOX and c[4] == 50 for c in calls)


async def test_filter_goes_to_the_backend_and_inspector_opens() -> None:
    client = FakeAgentClient()
    app = make_app(client)
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        await pilot.press("4")
        await until(pilot, lambda: isinstance(app.screen, QueueBrowserScreen), "queue browser")
        browser = app.screen
        await until(pilot, lambda: browser.page is not None, "first page")
        await pilot.press("slash", *"immun", "enter")
        await until(
            pilot, lambda: browser.filter_text == "immun" and browser.page.total == 1, "filtered page"
        )
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, EntryInspectorScreen), "inspector")
        inspector = app.screen
        await until(pilot, lambda: inspector.detail is not None, "entry detail")
        payload = text_of(inspector.query_one("#payload", Static))
        assert '  "resourceType": "Patient"' in payload
        rejection = text_of(inspector.query_one("#rejection", Static))
        assert "DUPLICATE_ENTITY" in rejection and "Merge the two records" in rejection
        assert not inspector.query_one("#raw").has_class("-shown")
        await pilot.press("v")
        assert inspector.query_one("#raw").has_class("-shown")
        await pilot.press("escape")
        assert isinstance(app.screen, QueueBrowserScreen)
        await pilot.press("escape")
        assert isinstance(app.screen, MainScreen)
    assert ("entries", "santedb", QueueKind.CONFLICTS, 0, 50, "immun") in client.calls
    assert ("entry", "santedb", QueueKind.CONFLICTS, "conflicts-00000") in client.calls


async def test_synchronize_ends_in_data_synced() -> None:
    client = FakeAgentClient(sync_outcomes=["ok"])
    app = make_app(client)
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        await pilot.press("s")
        await until(pilot, lambda: isinstance(app.screen, SyncProgressScreen), "sync dialog")
        dialog = app.screen
        await until(pilot, lambda: dialog.phase == "done", "Data Synced")
        assert "Data Synced" in text_of(dialog.query_one("#sync-title", Static))
        assert "12 sent" in text_of(dialog.query_one("#sync-body", Static))
        assert not dialog.query_one("#retry").display
        await pilot.click("#close")
        await until(pilot, lambda: isinstance(app.screen, MainScreen), "back on the dashboard")
        card = app.screen.query_one("#card-outbox", QueueCard)
        assert card.stat.count == 0
    assert client.calls.count(("synchronize", "santedb")) == 1


async def test_synchronize_fails_then_retry_succeeds() -> None:
    client = FakeAgentClient(sync_outcomes=["fail", "ok"])
    app = make_app(client)
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        await pilot.press("s")
        await until(pilot, lambda: isinstance(app.screen, SyncProgressScreen), "sync dialog")
        dialog = app.screen
        await until(pilot, lambda: dialog.phase == "failed", "Sync Failed")
        body = text_of(dialog.query_one("#sync-body", Static))
        assert "Sync Failed" in text_of(dialog.query_one("#sync-title", Static))
        assert "refused the device credentials" in body and "re-enter the sync password" in body
        assert dialog.query_one("#retry").display
        await pilot.click("#retry")
        await until(pilot, lambda: dialog.phase == "done", "Data Synced after retry")
        await pilot.press("escape")
        assert isinstance(app.screen, MainScreen)
    assert client.calls.count(("synchronize", "santedb")) == 2


async def test_synchronize_hidden_without_capability() -> None:
    client = FakeAgentClient()
    app = make_app(client)
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        await pilot.press("right")  # msupply: no SYNCHRONIZE capability
        assert app.selected_view().snapshot.backend == "msupply"
        assert app.screen.check_action("synchronize", ()) is False
        await pilot.press("s")
        await pilot.pause()
        assert isinstance(app.screen, MainScreen)
    assert ("synchronize", "msupply") not in client.calls


async def test_help_lists_bindings_with_current_keys() -> None:
    app = make_app(keymap={"synchronize": "ctrl+s", "nonsense": "x"})
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        text = text_of(app.screen.query_one("#help-text", Static))
        for binding_id in ("synchronize", "refresh", "open_outbox", "next_page", "sync_retry", "toggle_raw"):
            assert binding_id in text
        assert "^s" in text
        await pilot.press("escape")
        assert isinstance(app.screen, MainScreen)
        await pilot.press("ctrl+s")  # the remapped key starts a sync
        await until(pilot, lambda: isinstance(app.screen, SyncProgressScreen), "sync dialog via remapped key")


async def test_a_keymap_naming_no_binding_is_told() -> None:
    app = make_app(keymap={"synchronize": "ctrl+s", "nonsense": "x", "refresh": " "})
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        await until(pilot, lambda: bool(app._notifications), "the keymap warning")
        told = " ".join(n.message for n in app._notifications)
    assert "nonsense" in told and "refresh" in told  # unknown, and no keys
    assert "synchronize" not in told


async def test_command_palette_lists_the_actions() -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        await pilot.press("ctrl+p")
        await until(pilot, lambda: isinstance(app.screen, CommandPalette), "palette")
        options = app.screen.query_one(OptionList)
        await until(pilot, lambda: options.option_count > 10, "palette entries")
        prompts = " | ".join(str(options.get_option_at_index(i).prompt) for i in range(options.option_count))
        for title in (
            "Synchronize now",
            "Refresh",
            "Open Outbox",
            "Open Inbox",
            "Open Admin queue",
            "Open Conflicts",
            "Next backend",
            "Filter sync log",
            "Help",
            "Quit",
            "Show backend msupply",
            "Theme: synctui-sunlight",
        ):
            assert title in prompts, title
        await pilot.press(*"open conf", "enter")
        await until(pilot, lambda: isinstance(app.screen, QueueBrowserScreen), "queue browser from palette")
        assert app.screen.kind == QueueKind.CONFLICTS


async def test_offline_backend_shows_reason_and_broken_plugin_is_visible() -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        banner = app.screen.query_one(StatusBanner)
        assert "plugin synctui_acme failed to load: ImportError" in text_of(banner)
        await pilot.press("right")
        verdict = text_of(app.screen.query_one(AllSyncedBanner))
        assert "Not known: Cannot refresh msupply: cannot reach https://msupply.example:8000" in verdict
        assert "msupply offline" not in text_of(banner)  # said once, by the verdict banner
        card = app.screen.query_one("#card-inbox", QueueCard)
        assert card.stat.count is None and "n/a" in str(card.render())


async def test_agent_unreachable_keeps_last_data_marked_stale() -> None:
    client = FakeAgentClient()
    app = make_app(client)
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        client.disconnect("cannot reach the agent at /run/x.sock: connection refused")
        await until(pilot, lambda: app.agent_error is not None, "agent error")
        banner = text_of(app.screen.query_one(AllSyncedBanner))
        assert "Not known (last data just now): The agent does not answer (cannot reach the agent" in banner
        assert "showing the last data it sent" in banner
        assert app.screen.query_one("#card-outbox", QueueCard).stat.count == 12  # last data kept
        await until(pilot, lambda: client.update_streams >= 3, "retries with backoff")
        client.unavailable = None
        await until(pilot, lambda: app.agent_error is None, "reconnected")


async def test_odd_data_does_not_crash() -> None:
    from synctui.model import BackendView, Health, Snapshot

    odd = AgentState(
        backends=[
            BackendView(
                snapshot=Snapshot(backend="odd", kind="?", queues=[], health=Health(online=True)),
                history=[],
            )
        ]
    )
    client = FakeAgentClient(AgentState(backends=[]))
    app = make_app(client)
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        client.push(odd)
        await until(pilot, lambda: app.agent_state is odd, "odd state")
        await pilot.press("1")  # no such queue: a warning, not a crash
        await pilot.pause()
        assert isinstance(app.screen, MainScreen)
        client.push(busy_state())
        await until(pilot, lambda: app.agent_state.backends[0].snapshot.backend == "santedb", "normal state")


async def test_quit_closes_the_client_when_owned() -> None:
    client = FakeAgentClient()
    app = make_app(client, close_client=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        await pilot.press("q")
    assert client.closed


async def test_a_drawing_bug_is_told_and_not_fatal(monkeypatch) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)

        def broken(self) -> None:
            raise ValueError("broken widget")

        monkeypatch.setattr(MainScreen, "show_state", broken)
        app.apply_state(app.agent_state)  # the next push: every screen on the stack redraws
        await until(
            pilot,
            lambda: any("could not draw some data: broken widget" in n.message for n in app._notifications),
            "the drawing error told",
        )
        assert app.is_running
        assert isinstance(app.screen, MainScreen)
