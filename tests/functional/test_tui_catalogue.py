"""The dashboard obeys the action catalogue (synctui.actions), and a confirmation is consumed once.

For every catalogue action: it is offered (check_action, help, palette) exactly when `offered` says so
for the backend's capabilities, the read-only state and the queue; its confirmation asks for the word
and the PIN the catalogue declares; the test fakes refuse what the catalogue refuses.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from textual.widgets import Input, Static

from synctui.actions import CATALOGUE, ActionSpec, discard_action, offered
from synctui.client_interface import AgentRefused
from synctui.model import Capability, QueueKind
from synctui.tui.key_groups import grouped_bindings
from synctui.tui.screens.archive import ArchiveScreen
from synctui.tui.screens.backend_details import BackendDetailsScreen
from synctui.tui.screens.confirm import ConfirmScreen
from synctui.tui.screens.entry_inspector import EntryInspectorScreen
from synctui.tui.screens.help import help_text
from synctui.tui.screens.main import MainScreen
from synctui.tui.screens.queue_browser import QueueBrowserScreen
from tests.functional.fake_actions import ADMIN_PIN
from tests.functional.repair_helpers import (
    ALL_CAPS,
    calls,
    confirm_dialog,
    loaded,
    open_browser,
    open_inspector,
    repair_app,
    repair_state,
    text_of,
)
from tests.functional.tui_fakes import FakeAgentClient, make_app, make_entry, until

MODES = [  # (readonly, readonly_allows_sync)
    (False, False),
    (True, False),
    (True, True),
]
OUT, CON = QueueKind.OUTBOX, QueueKind.CONFLICTS


def bindings_of(spec: ActionSpec):
    """The dashboard's bindings that run `spec` (both discards share the "discard" bindings: the queue
    decides which one they run)."""
    name = "discard" if spec.name == "discard-unsent" else spec.name
    return [(group.scope, b) for group, b in grouped_bindings() if b.catalogue == name]


async def screen_for(pilot, scope: str, kind: QueueKind | None):
    """The screen a binding of `scope` lives on, opened on santedb (and `kind`)."""
    app = pilot.app
    while len(app.screen_stack) > 1:
        app.pop_screen()
        await pilot.pause()
    if scope == "main":
        return app.screen
    if scope == "browser":
        stat = app.selected_view().snapshot.queue(kind)
        screen = QueueBrowserScreen("santedb", kind, stat)
        app.push_screen(screen)
        await until(pilot, lambda: screen.page is not None, "page")
    elif scope == "inspector":
        screen = EntryInspectorScreen("santedb", kind, make_entry(kind, 0))
        app.push_screen(screen)
        await until(pilot, lambda: screen.detail is not None, "entry")
    elif scope == "archive":
        screen = ArchiveScreen()
        app.push_screen(screen)
        await until(pilot, lambda: bool(screen.records), "archive")
    else:
        assert scope == "details", scope
        screen = BackendDetailsScreen("santedb")
        app.push_screen(screen)
        await pilot.pause()
        if Capability.SETTINGS in app.selected_view().snapshot.capabilities:
            await until(pilot, lambda: screen.settings is not None, "settings")
    await pilot.pause()
    return screen


def queues_for(scope: str) -> list[QueueKind | None]:
    return list(QueueKind) if scope in ("browser", "inspector") else [None]


STATES = [(caps, readonly, allows) for caps in ("all", "without") for readonly, allows in MODES]


@pytest.mark.parametrize("spec", CATALOGUE, ids=lambda spec: spec.name)
async def test_the_dashboard_offers_each_action_exactly_when_the_catalogue_does(spec: ActionSpec) -> None:
    bindings = bindings_of(spec)
    assert bindings, f"the catalogue action {spec.name} has no binding in the dashboard"
    client = FakeAgentClient(repair_state(ALL_CAPS))
    app = make_app(client)

    async def apply(which: str, readonly: bool, allows_sync: bool) -> frozenset[Capability]:
        caps = ALL_CAPS if which == "all" else ALL_CAPS - {spec.capability}
        state = repair_state(caps, readonly=readonly, readonly_allows_sync=allows_sync)
        client.current = state
        app.apply_state(state)  # as the update stream does, without waiting for it
        return caps

    async with app.run_test(size=(100, 30)) as pilot:
        await loaded(pilot)
        for scope, binding in bindings:
            for kind in queues_for(scope):
                if spec.name.startswith("discard") and kind is not None and discard_action(kind) is not spec:
                    continue  # the one binding runs the other discard in this queue: tested there
                screen = await screen_for(pilot, scope, kind)
                for which, readonly, allows_sync in STATES:
                    caps = await apply(which, readonly, allows_sync)
                    expected = offered(
                        spec, caps, readonly=readonly, readonly_allows_sync=allows_sync, queue=kind
                    )
                    got = bool(screen.check_action(binding.action.split("(")[0], ()))
                    assert got == expected, (binding.id, kind, which, readonly, allows_sync)
                    if expected:
                        continue
                    # not offered, and running it anyway (a remapped key, a stale palette) does nothing
                    before = len(client.calls)
                    await app.run_action(binding.action, screen)
                    await pilot.pause()
                    assert not isinstance(app.screen, ConfirmScreen), binding.id
                    changes = [
                        c for c in client.calls[before:] if c[0] not in ("entry", "entries", "settings")
                    ]
                    assert changes == [], (binding.id, changes)
        for which, readonly, allows_sync in STATES:
            await apply(which, readonly, allows_sync)
            listed = {
                b.id
                for _, b in bindings
                if re.search(rf" {b.id}$", help_text(app, app.size.width).plain, re.MULTILINE)
            }
            shown = not readonly or spec.allowed_readonly(readonly_allows_sync=allows_sync)
            assert listed == ({b.id for _, b in bindings} if shown else set()), (which, readonly, allows_sync)


@pytest.mark.parametrize("pin_required", [True, False])
@pytest.mark.parametrize("spec", CATALOGUE, ids=lambda s: s.name)
async def test_confirmation_asks_what_the_catalogue_declares(spec: ActionSpec, pin_required: bool) -> None:
    client = FakeAgentClient(repair_state(ALL_CAPS, pin_required=pin_required))
    app = make_app(client)
    async with app.run_test(size=(100, 30)) as pilot:
        await loaded(pilot)
        for scope, binding in bindings_of(spec):
            kind = {"discard": CON, "discard-unsent": OUT}.get(spec.name, CON)
            screen = await screen_for(pilot, scope, kind if scope in ("browser", "inspector") else None)
            await app.run_action(binding.action, screen)
            await pilot.pause()
            if spec.confirm_word is None and spec.name != "resubmit":
                assert not isinstance(app.screen, ConfirmScreen), binding.id
                continue
            dialog = await confirm_dialog(pilot)
            request = dialog.request
            assert request.word == spec.confirm_word, binding.id
            assert request.pin == (spec.pin and pin_required), binding.id
            assert request.title.startswith(f"{spec.title}: "), request.title
            assert request.lines[0].rstrip(".") == spec.what.rstrip("."), request.lines
            assert (
                dialog.query("#confirm-pin").first().display
                if request.pin
                else not dialog.query("#confirm-pin")
            )
            await pilot.press("escape")
            await until(pilot, lambda dialog=dialog: app.screen is not dialog, "cancelled")


async def test_outbox_browser_offers_drop_unsent_change_not_dead_letter_retry() -> None:
    client, app = repair_app()
    async with app.run_test(size=(80, 24)) as pilot:
        browser = await open_browser(pilot, "1")
        assert browser.kind == OUT
        assert browser.check_action("retry_selected", ()) is False
        assert browser.check_action("requeue_conflicted", ()) is False
        assert browser.check_action("discard_selected", ()) is True
        await pilot.press("space")
        assert "D drop unsent change" in text_of(browser.query_one("#pager-keys", Static))
        await pilot.press("R", "A")
        await pilot.pause()
        assert not calls(client, "retry")
        await pilot.press("D")
        dialog = await confirm_dialog(pilot)
        title = text_of(dialog.query_one("#confirm-title", Static))
        body = text_of(dialog.query_one("#confirm-body", Static))
        assert title.startswith("Drop Unsent Change: 1 Outbox entry")
        assert "the server never receives them" in body
        assert "server keeps" not in body and "Leave Server Version" not in body
        dialog.query_one("#confirm-word", Input).value = "DISCARD"
        await pilot.press("enter")
        await until(pilot, lambda: bool(calls(client, "discard")), "discard")
        result = browser.query_one("#action-result")
        await until(pilot, lambda: bool(result.text), "result")
        assert "Drop Unsent Change: 1 dropped (archived first)" in result.text
    assert calls(client, "discard") == [("discard", "santedb", OUT, ["outbox-00000"], None)]


async def test_requeue_result_is_counted() -> None:
    _client, app = repair_app()
    async with app.run_test(size=(80, 24)) as pilot:
        browser = await open_browser(pilot)
        await pilot.press("A")
        dialog = await confirm_dialog(pilot)
        dialog.query_one("#confirm-word", Input).value = "RETRY"
        await pilot.press("enter")
        result = browser.query_one("#action-result")
        await until(pilot, lambda: bool(result.text), "result")
        first = result.text.splitlines()[0]
        assert first.startswith("✖ Re-Queue Conflicted: 2 re-queued, 1 still rejected")
        assert "done" not in first


# --- a confirmation is consumed once ----------------------------------------------------------------


@pytest.mark.parametrize("enters", [2, 3])
@pytest.mark.parametrize("where", ["reset-all", "discard-browser", "discard-inspector"])
async def test_enter_burst_after_typing_the_word_confirms_once(where: str, enters: int) -> None:
    """Typing RESET then Enter Enter used to kill the dashboard ("ScreenStackError: Can't pop screen")
    or open a queue browser / an inspector with the extra Enter."""
    client, app = repair_app()
    async with app.run_test(size=(80, 24)) as pilot:
        if where == "reset-all":
            await loaded(pilot)
            app.screen.query_one("#card-conflicts").focus()  # Enter on a card opens its queue
            expected = app.screen
            key, word = "X", "RESET"
        elif where == "discard-browser":
            expected = await open_browser(pilot)
            key, word = "D", "DISCARD"
        else:
            expected = await open_inspector(pilot)
            key, word = "d", "DISCARD"
        depth = len(app.screen_stack)
        await pilot.press(key)
        await confirm_dialog(pilot)
        await pilot.press(*word, *["enter"] * enters)
        name = "reset" if where == "reset-all" else "discard"
        # Under load the dialog may still be leaving after a fixed pause: wait for the call and for the
        # stack to be back at its depth, then give a stray Enter time to act before judging.
        await until(pilot, lambda: len(calls(client, name)) >= 1, "the call")
        await until(pilot, lambda: len(app.screen_stack) <= depth, "the dialog gone")
        await pilot.pause(0.1)
        assert app.is_running and app.return_value is None
        assert app.screen is expected and len(app.screen_stack) == depth, app.screen_stack
        assert len(calls(client, name)) == 1


async def test_two_confirms_before_the_dialog_is_gone_confirm_once() -> None:
    """Both Enters of a burst can reach the dialog before it leaves the screen stack: the second must
    not dismiss again (that popped the dashboard itself: "ScreenStackError: Can't pop screen")."""
    client, app = repair_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        main = app.screen
        await pilot.press("X")
        dialog = await confirm_dialog(pilot)
        dialog.query_one("#confirm-word", Input).value = "RESET"
        dialog.try_confirm()
        dialog.try_confirm()
        dialog.action_cancel()
        await pilot.pause(0.1)
        assert app.is_running and app.screen is main and len(app.screen_stack) == 1
        await until(pilot, lambda: len(calls(client, "reset")) == 1, "one reset")


async def test_a_deliberate_enter_after_the_burst_still_works() -> None:
    _client, app = repair_app()
    app.KEY_BURST = 0.05
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        app.screen.query_one("#card-conflicts").focus()
        await pilot.press("X")
        await confirm_dialog(pilot)
        await pilot.press(*"RESET", "enter")
        await until(pilot, lambda: isinstance(app.screen, MainScreen), "dialog closed")
        await pilot.pause(0.1)
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, QueueBrowserScreen), "Conflicts opened")


async def test_escape_burst_cancels_once() -> None:
    client, app = repair_app()
    async with app.run_test(size=(80, 24)) as pilot:
        browser = await open_browser(pilot)
        await pilot.press("D")
        await confirm_dialog(pilot)
        await pilot.press("escape", "escape")
        await pilot.pause(0.1)
        assert app.screen is browser  # the second Escape did not close the browser
    assert not calls(client, "discard")


# --- the fakes obey the catalogue -------------------------------------------------------------------


def fake_call(client: FakeAgentClient, name: str):
    since, until_ = datetime(2025, 3, 1, tzinfo=UTC), datetime(2025, 3, 9, tzinfo=UTC)
    return {
        "synchronize": lambda: client.synchronize("santedb"),
        "retry": lambda: client.retry("santedb", ["conflicts-00000"]),
        "retry-all": lambda: client.retry("santedb", None, pin=ADMIN_PIN),
        "discard": lambda: client.discard("santedb", CON, ["conflicts-00000"], pin=ADMIN_PIN),
        "discard-unsent": lambda: client.discard("santedb", OUT, ["outbox-00000"], pin=ADMIN_PIN),
        "reset": lambda: client.reset("santedb", ["patient"], pin=ADMIN_PIN),
        "reset-all": lambda: client.reset("santedb", None, pin=ADMIN_PIN),
        "resubmit": lambda: client.resubmit("santedb", since, until_, pin=ADMIN_PIN),
        "change-settings": lambda: client.change_settings("santedb", {"interval": "600"}, pin=ADMIN_PIN),
        "count-remotes": lambda: client.count_remotes("santedb"),
        "compare": lambda: client.compare("santedb", CON, "conflicts-00000"),
        "check-connection": lambda: client.check_connection("santedb"),
        "restore": lambda: client.restore("ar-2", pin=ADMIN_PIN),
    }[name]


@pytest.mark.parametrize("readonly, allows_sync", MODES)
@pytest.mark.parametrize("spec", CATALOGUE, ids=lambda spec: spec.name)
async def test_the_fake_agent_refuses_what_the_catalogue_refuses(spec, readonly, allows_sync) -> None:
    client = FakeAgentClient(
        repair_state(ALL_CAPS, readonly=readonly, readonly_allows_sync=allows_sync, pin_required=True)
    )
    call = fake_call(client, spec.name)
    if readonly and not spec.allowed_readonly(readonly_allows_sync=allows_sync):
        with pytest.raises(AgentRefused) as refused:
            await call()
        assert refused.value.status == 403
    else:
        await call()
    without = FakeAgentClient(repair_state(ALL_CAPS - {spec.capability}))
    with pytest.raises(AgentRefused) as refused:
        await fake_call(without, spec.name)()
    assert refused.value.status == 501
    if spec.pin:
        needs_pin = FakeAgentClient(repair_state(ALL_CAPS, pin_required=True))
        call = fake_call(needs_pin, spec.name)
        state = needs_pin.current
        needs_pin.current = replace(state, pin_required=True)
        if spec.name not in ("retry",):  # the single retry needs no PIN in the catalogue
            with pytest.raises(AgentRefused):
                await _without_pin(needs_pin, spec.name)


async def _without_pin(client: FakeAgentClient, name: str):
    since, until_ = datetime(2025, 3, 1, tzinfo=UTC), datetime(2025, 3, 9, tzinfo=UTC)
    return await {
        "retry-all": lambda: client.retry("santedb", None),
        "discard": lambda: client.discard("santedb", CON, ["conflicts-00000"]),
        "discard-unsent": lambda: client.discard("santedb", OUT, ["outbox-00000"]),
        "reset": lambda: client.reset("santedb", ["patient"]),
        "reset-all": lambda: client.reset("santedb", None),
        "resubmit": lambda: client.resubmit("santedb", since, until_),
        "change-settings": lambda: client.change_settings("santedb", {"interval": "600"}),
        "restore": lambda: client.restore("ar-2"),
    }[name]()
