"""DashboardFooter shows the same keys as Textual's Footer, but rebuilds only when they changed."""

from __future__ import annotations

from typing import ClassVar

from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Button
from textual.widgets import Footer as TextualFooter
from textual.widgets._footer import FooterKey

from synctui.model import QueueKind
from synctui.tui.widgets.shared.dashboard_footer import DashboardFooter
from tests.functional.tui_fakes import make_app, until


class KeysApp(App):
    ENABLE_COMMAND_PALETTE = False
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("n", "next", "Next page"),
        Binding("r", "reload", "Reload"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.has_next = False

    def compose(self) -> ComposeResult:
        yield Button("one", id="one")
        yield Button("two", id="two")
        yield DashboardFooter()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return self.has_next if action == "next" else True


def shown(app: App) -> list[str]:
    return [key.description for key in app.screen.query(FooterKey)]


async def test_focus_moves_leave_the_footer_and_a_new_key_rebuilds_it(monkeypatch) -> None:
    app = KeysApp()
    async with app.run_test(size=(60, 8)) as pilot:
        await pilot.pause()
        assert shown(app) == ["Reload"]
        footer = app.screen.query_one(DashboardFooter)
        recomposed = []
        recompose = DashboardFooter.recompose

        async def counting(self: DashboardFooter) -> None:
            recomposed.append(1)
            await recompose(self)

        monkeypatch.setattr(DashboardFooter, "recompose", counting)
        app.query_one("#two").focus()
        app.query_one("#one").focus()
        app.refresh_bindings()
        await pilot.pause()
        await pilot.pause()
        assert recomposed == [] and shown(app) == ["Reload"]

        app.has_next = True
        app.refresh_bindings()
        app.refresh_bindings()  # twice in one refresh: rebuilt once
        await pilot.pause()
        await pilot.pause()
        assert len(recomposed) == 1
        assert shown(app) == ["Next page", "Reload"]
        assert footer.is_attached


async def test_opening_a_queue_page_rebuilds_its_footer_at_most_twice(monkeypatch) -> None:
    rebuilt: list[str] = []
    textual_recompose = TextualFooter.recompose

    async def counted(self: TextualFooter) -> None:
        rebuilt.append(type(self.parent).__name__)
        await textual_recompose(self)

    monkeypatch.setattr(TextualFooter, "recompose", counted)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: app.agent_state is not None, "the first state")
        await pilot.pause()
        rebuilt.clear()
        app.open_queue(QueueKind.OUTBOX)
        await until(pilot, lambda: getattr(app.screen, "page", None) is not None, "the first page")
        await pilot.pause()
        await pilot.pause()
        footer = app.screen.query_one(DashboardFooter)
        shown = {key.key for key in footer.query("FooterKey")}
    # Textual's own footer rebuilds on each of the 5-6 focus, screen and binding changes of an opening
    assert 1 <= rebuilt.count("QueueBrowserScreen") <= 2
    assert "escape" in shown
