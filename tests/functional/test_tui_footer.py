"""The key footer is rebuilt once per burst of binding changes, and still shows the bindings as they are."""

from __future__ import annotations

from textual.widgets import Footer as TextualFooter

from synctui.model import QueueKind
from synctui.tui.widgets.shared.footer import Footer
from tests.functional.tui_fakes import make_app, until


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
        footer = app.screen.query_one(Footer)
        shown = {key.key for key in footer.query("FooterKey")}
    # Textual's own footer rebuilds on each of the 5-6 focus, screen and binding changes of an opening
    assert 1 <= rebuilt.count("QueueBrowserScreen") <= 2
    assert "escape" in shown
