"""Shared steps of the repair-action pilot tests."""

from __future__ import annotations

from dataclasses import replace

from textual.command import CommandPalette
from textual.widgets import Input, OptionList, Static

from synctui.model import AgentState, BackendView, Capability
from synctui.tui.screens.backend_details import BackendDetailsScreen
from synctui.tui.screens.confirm import ConfirmScreen
from synctui.tui.screens.entry_inspector import EntryInspectorScreen
from synctui.tui.screens.queue_browser import QueueBrowserScreen
from tests.functional.tui_fakes import FakeAgentClient, busy_state, make_app, until

ALL_CAPS = frozenset(Capability)


def repair_state(caps: frozenset[Capability] = ALL_CAPS, **changes) -> AgentState:
    state = busy_state()
    first = state.backends[0]
    backends: list[BackendView] = [replace(first, snapshot=replace(first.snapshot, capabilities=caps))]
    return replace(state, backends=backends + state.backends[1:], **changes)


def repair_app(caps: frozenset[Capability] = ALL_CAPS, **changes):
    client = FakeAgentClient(repair_state(caps, **changes))
    return client, make_app(client)


def text_of(widget) -> str:
    return str(widget.render())


async def loaded(pilot) -> None:
    await until(
        pilot,
        lambda: pilot.app.agent_state is not None and pilot.app.fully_composed,
        "first state, whole screen",
    )
    await pilot.pause()


async def open_browser(pilot, key: str = "4") -> QueueBrowserScreen:
    await loaded(pilot)
    await pilot.press(key)
    await until(pilot, lambda: isinstance(pilot.app.screen, QueueBrowserScreen), "queue browser")
    browser = pilot.app.screen
    await until(pilot, lambda: browser.page is not None, "first page")
    return browser


async def open_inspector(pilot) -> EntryInspectorScreen:
    await open_browser(pilot)
    await pilot.press("enter")
    await until(pilot, lambda: isinstance(pilot.app.screen, EntryInspectorScreen), "inspector")
    inspector = pilot.app.screen
    await until(pilot, lambda: inspector.detail is not None, "entry detail")
    return inspector


async def confirm_dialog(pilot) -> ConfirmScreen:
    await until(pilot, lambda: isinstance(pilot.app.screen, ConfirmScreen), "confirm dialog")
    return pilot.app.screen


def hint(dialog: ConfirmScreen) -> str:
    return text_of(dialog.query_one("#confirm-hint", Static))


def calls(client: FakeAgentClient, name: str) -> list[tuple]:
    return [call for call in client.calls if call[0] == name]


async def open_details(pilot) -> BackendDetailsScreen:
    await loaded(pilot)
    await pilot.press("i")
    await until(pilot, lambda: isinstance(pilot.app.screen, BackendDetailsScreen), "details")
    details = pilot.app.screen
    await until(pilot, lambda: details.settings is not None, "settings")
    return details


async def change_setting(pilot, value: str, pin: str) -> None:
    """On the details screen: Change Setting on the selected one, confirmed with `pin`."""
    await pilot.press("e")
    dialog = await confirm_dialog(pilot)
    dialog.query_one("#confirm-value", Input).value = value
    dialog.query_one("#confirm-word", Input).value = "CHANGE"
    dialog.query_one("#confirm-pin", Input).value = pin
    await pilot.press("enter")


async def palette_prompts(pilot, query: str = "") -> list[str]:
    """Open the command palette (typing `query`) and read its entries: title, then help."""
    app = pilot.app
    await pilot.press("ctrl+p")
    await until(pilot, lambda: isinstance(app.screen, CommandPalette), "palette")
    if query:
        await pilot.press(*query)
    options = app.screen.query_one(OptionList)
    await until(pilot, lambda: options.option_count > 0, "palette entries")
    await pilot.pause(0.1)
    return [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]
