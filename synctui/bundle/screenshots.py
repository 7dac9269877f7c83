"""SVG screenshots of the dashboard, drawn by the dashboard itself from a bundle's (cleaned) data:
each backend's main screen (cards, sync log, jobs) at the user's terminal size and at 120×40, and the
first page of each of its non-empty queues at 120×40 (a queue page costs four times a main screen to
draw; at 120 columns it shows every column)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING

from synctui.bundle import layout
from synctui.bundle.client import BundleClient

if TYPE_CHECKING:
    from textual.pilot import Pilot

    from synctui.tui.app import SyncTuiApp

SUPPORT_SIZE = (120, 40)
STEPS = 400  # pauses to wait for a screen's data before giving up on it
SIZE_LIMITS = ((40, 200), (12, 100))  # a terminal size outside these is drawn at the nearest one


def sizes(user: tuple[int, int] | None) -> list[tuple[int, int]]:
    """The user's terminal size (within reason), then 120×40; one of them when they are the same."""
    chosen = [SUPPORT_SIZE]
    if user is not None:
        (low_w, high_w), (low_h, high_h) = SIZE_LIMITS
        fitted = (min(max(user[0], low_w), high_w), min(max(user[1], low_h), high_h))
        if fitted != SUPPORT_SIZE:
            chosen.insert(0, fitted)
    return chosen


async def render(
    client: BundleClient,
    at: list[tuple[int, int]],
    *,
    readonly: bool,
    theme: str | None,
    title: str,
) -> dict[str, tuple[str, str]]:
    """{file: (part, svg)}: dashboards go in "screenshots", queue pages in "queues"."""
    from synctui.tui.app import SyncTuiApp

    taken_at = client.contents.taken_at
    shots: dict[str, tuple[str, str]] = {}
    app = SyncTuiApp(client, readonly=readonly, theme=theme, clock=lambda: taken_at)
    async with app.run_test(size=at[0]) as pilot:
        await _until(pilot, lambda: app.agent_state is not None)
        for size in at:
            if size != app.size:
                await pilot.resize_terminal(*size)
            shots.update(await _shoot(app, pilot, size, title, queues=size == SUPPORT_SIZE))
    return shots


async def _shoot(
    app: SyncTuiApp, pilot: Pilot, size: tuple[int, int], title: str, *, queues: bool
) -> dict[str, tuple[str, str]]:
    from synctui.tui.screens.queue_browser import QueueBrowserScreen

    def page_drawn() -> bool:
        screen = app.screen
        return isinstance(screen, QueueBrowserScreen) and (
            screen.page is not None or screen.error is not None
        )

    client: BundleClient = app.client  # type: ignore[assignment]
    shots: dict[str, tuple[str, str]] = {}
    state = app.agent_state
    for view in state.backends if state else []:
        backend = view.snapshot.backend
        app.select_backend(backend)
        await pilot.pause()
        await pilot.pause()  # a layout change after the first frame (sparkline widths) is drawn too
        shot = app.export_screenshot(title=f"{title} — {backend}", simplify=True)
        shots[layout.dashboard_screen(backend, size)] = ("screenshots", shot)
        for stat in view.snapshot.queues:
            if not queues or not stat.count or (backend, stat.kind) not in client.contents.pages:
                continue
            app.open_queue(stat.kind)
            await _until(pilot, page_drawn)
            await pilot.pause()
            shot = app.export_screenshot(title=f"{title} — {backend} {stat.kind.value}", simplify=True)
            shots[layout.queue_screen(backend, stat.kind, size)] = ("queues", shot)
            app.pop_screen()
            await pilot.pause()
    return shots


def render_apart(
    client: BundleClient, at: list[tuple[int, int]], *, readonly: bool, theme: str | None, title: str
) -> dict[str, tuple[str, str]]:
    """`render` on an event loop of its own: run it in a thread from a running dashboard, whose loop
    the headless one must not share."""
    return asyncio.run(render(client, at, readonly=readonly, theme=theme, title=title))


async def _until(pilot: Pilot, condition: Callable[[], bool]) -> None:
    for _ in range(STEPS):
        if condition():
            return
        await pilot.pause(0.01)
