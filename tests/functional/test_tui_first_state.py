"""The state asked for before start-up (`SyncTuiApp(first_state=...)`): the first frame shows it, and one
that fails or comes late leaves the dashboard to its update stream, as without it."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import AsyncIterator

import pytest

from synctui.client_interface import AgentUnavailable
from synctui.model import AgentState, QueueKind
from synctui.tui.app import resume_collector
from synctui.tui.format import count_text
from synctui.tui.widgets.queues.queue_card import QueueCard
from tests.functional.tui_fakes import FakeAgentClient, busy_state, make_app, until

OUTBOX = busy_state().backends[0].snapshot.queue(QueueKind.OUTBOX).count


class QuietStream(FakeAgentClient):
    """An agent whose update stream has pushed nothing yet."""

    async def updates(self) -> AsyncIterator[AgentState]:
        self.update_streams += 1
        await asyncio.Event().wait()
        yield self.current


def outbox_card(app) -> QueueCard:
    return app.screen.query_one("#card-outbox", QueueCard)


async def test_the_first_frame_shows_the_state_asked_for_before_start_up() -> None:
    async def first_state() -> AgentState:
        return busy_state()

    client = QuietStream()
    app = make_app(client, first_state=first_state)
    frames: list[tuple[str, bool]] = []  # (the Outbox card, the sync log mounted) in each frame
    display = app._display

    def displayed(screen, renderable) -> None:
        display(screen, renderable)
        if renderable is not None:
            frames.append((str(outbox_card(app).render()), app.screen.log_table is not None))

    app._display = displayed  # type: ignore[method-assign]
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: frames and client.update_streams == 1, "first frame, then the stream")
        assert OUTBOX is not None and count_text(OUTBOX) in frames[0][0]
        assert outbox_card(app).stat.count == OUTBOX
        assert not frames[0][1]  # the sync log, the jobs and the footer come right after the first frame
        await until(pilot, lambda: app.fully_composed, "the whole screen")
        assert app.screen.log_table is not None and app.screen.log_table.row_count


async def refused() -> AgentState:
    raise AgentUnavailable("cannot reach the agent at /run/x.sock: connection refused")


async def late() -> AgentState:
    await asyncio.sleep(30)
    return busy_state()


@pytest.mark.parametrize("first_state", [refused, late])
async def test_a_first_state_that_fails_or_comes_late_leaves_it_to_the_stream(first_state) -> None:
    client = FakeAgentClient()
    app = make_app(client, first_state=first_state)
    app.FIRST_STATE_WAIT = 0.05
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: app.agent_state is not None, "the stream's first push")
        assert client.update_streams == 1
        assert outbox_card(app).stat.count == OUTBOX
        assert app.agent_error is None


async def test_an_app_that_ends_at_its_first_frame_ends_cleanly() -> None:
    async def first_state() -> AgentState:
        return busy_state()

    app = make_app(QuietStream(), first_state=first_state)
    display = app._display

    def displayed(screen, renderable) -> None:
        display(screen, renderable)
        app.exit()  # before the sync log, the jobs and the footer are mounted

    app._display = displayed  # type: ignore[method-assign]
    async with app.run_test(size=(80, 24)):
        pass
    assert app.return_code == 0 and not app.fully_composed


async def test_the_collector_paused_for_start_up_is_resumed_after_the_first_frame() -> None:
    """`synctui` pauses the cyclic collector while it starts (synctui.cli.dashboard.run); the app resumes
    it once its first frame is drawn, with what start-up built frozen out of later collections."""
    app = make_app(QuietStream(), first_state=None)
    frames: list[bool] = []  # whether the collector ran, at each frame
    display = app._display

    def displayed(screen, renderable) -> None:
        display(screen, renderable)
        if renderable is not None:
            frames.append(gc.isenabled())

    app._display = displayed  # type: ignore[method-assign]
    frozen = gc.get_freeze_count()
    gc.disable()
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            await until(pilot, lambda: gc.isenabled(), "the collector resumed")
            assert frames and not frames[0]
            assert gc.get_freeze_count() > frozen
    finally:
        gc.unfreeze()
        gc.enable()


def test_an_app_whose_start_paused_nothing_leaves_the_collector_alone() -> None:
    frozen = gc.get_freeze_count()
    resume_collector()
    assert gc.isenabled() and gc.get_freeze_count() == frozen
