"""A dashboard at rest sends little to the terminal: a push that changes nothing repaints no widget, and
the header's clock (minutes) repaints once a minute, not every second."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from textual.widget import Widget

from synctui.tui.widgets.header.app_header import AppHeader
from tests.functional.tui_fakes import NOW, FakeAgentClient, make_app, until


async def test_unchanged_push_and_clock_ticks_repaint_nothing(monkeypatch) -> None:
    now = {"t": NOW}
    app = make_app(FakeAgentClient(), clock=lambda: now["t"])
    repainted: Counter[str] = Counter()
    refresh = Widget.refresh

    def counting(self: Widget, *args, **kwargs):
        repainted[type(self).__name__] += 1
        return refresh(self, *args, **kwargs)

    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: app.agent_state is not None, "first state")
        await pilot.pause()
        header = app.screen.query_one(AppHeader)
        monkeypatch.setattr(Widget, "refresh", counting)

        app.apply_state(app.agent_state)  # the agent's next refresh, nothing changed
        now["t"] = NOW + timedelta(seconds=1)
        header.refresh_status()  # the clock's next tick, same minute
        await pilot.pause()
        assert not repainted, dict(repainted)

        now["t"] = NOW + timedelta(minutes=1)
        header.refresh_status()
        await pilot.pause()
        assert repainted["SteadyStatic"] == 1
        assert "09:43" in str(header.query_one("#agent-status").render())
