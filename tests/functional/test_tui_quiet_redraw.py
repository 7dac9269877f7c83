"""A dashboard at rest sends little to the terminal: a push that changes nothing repaints no widget, and
the header's clock (minutes) repaints once a minute, not every second."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from datetime import timedelta

import pytest
from textual.widget import Widget

from synctui.model import AgentState
from synctui.tui.widgets.header.app_header import AppHeader
from synctui.tui.widgets.queues.queue_card import QueueCard
from synctui.tui.widgets.sync.sync_log_table import SyncLogTable
from tests.functional.tui_fakes import (
    NOW,
    OUT,
    FakeAgentClient,
    ago,
    busy_state,
    make_app,
    santedb_snapshot,
    until,
)


def count_repaints(monkeypatch) -> Counter[str]:
    """From now on, the repaints asked for, by widget class name."""
    repainted: Counter[str] = Counter()
    refresh = Widget.refresh

    def counting(self: Widget, *args, **kwargs):
        repainted[type(self).__name__] += 1
        return refresh(self, *args, **kwargs)

    monkeypatch.setattr(Widget, "refresh", counting)
    return repainted


async def test_unchanged_push_and_clock_ticks_repaint_nothing(monkeypatch) -> None:
    now = {"t": NOW}
    app = make_app(FakeAgentClient(), clock=lambda: now["t"])
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: app.agent_state is not None, "first state")
        await pilot.pause()
        header = app.screen.query_one(AppHeader)
        repainted = count_repaints(monkeypatch)

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


def fresh_outbox_state() -> AgentState:
    """The busy state with its outbox's oldest entry 20 s old and the patient log row 30 s old."""
    snapshot = santedb_snapshot()
    queues = [replace(q, oldest=ago(seconds=20)) if q.kind is OUT else q for q in snapshot.queues]
    log = [
        replace(row, last_success=ago(seconds=30)) if row.key == "patient" else row for row in snapshot.log
    ]
    state = busy_state()
    return replace(
        state, backends=[replace(state.backends[0], snapshot=replace(snapshot, queues=queues, log=log))]
    )


@pytest.mark.parametrize("low_bandwidth", [False, True])
async def test_card_and_log_ages_step_by_the_minute(monkeypatch, low_bandwidth) -> None:
    """Each step of an age redraws its whole card or the whole log table: by the minute, with or without
    --low-bandwidth, the idle dashboard sends under 200 bytes/s (bench_terminal_bytes.py)."""
    card, log = "oldest <1m", "<1m ago"
    now = {"t": NOW}
    app = make_app(FakeAgentClient(fresh_outbox_state()), clock=lambda: now["t"], low_bandwidth=low_bandwidth)
    async with app.run_test(size=(120, 40)) as pilot:
        await until(
            pilot, lambda: app.agent_state is not None and app.fully_composed, "first state, whole screen"
        )
        await pilot.pause()
        outbox = app.screen.query_one("#card-outbox", QueueCard)
        assert card in outbox.render().plain
        assert log in " ".join(cell.plain for cell in app.screen.query_one(SyncLogTable).get_row_at(0))
        app.apply_state(app.agent_state)  # the cards' first push after the layout settles what they draw
        await pilot.pause()
        repainted = count_repaints(monkeypatch)
        now["t"] = NOW + timedelta(seconds=15)  # the next push: the ages moved on by 15 s
        app.apply_state(app.agent_state)
        await pilot.pause()
        moved = {name for name in ("QueueCard", "SyncLogTable") if repainted[name]}
        assert moved == set()
        assert app.animation_level == ("none" if low_bandwidth else app.animation_level)
