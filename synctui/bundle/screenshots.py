"""SVG screenshots of the dashboard, drawn by the dashboard itself from a bundle's (cleaned) data:
each backend's main screen (cards, sync log, jobs) and the first page of each of its non-empty queues,
at the user's terminal size and at 120×40.

One headless dashboard draws them all, in the order that costs least: the main screens size by size
(a backend switch redraws only the cards), then each queue page opened once and shot at both sizes,
the sizes walked back and forth so that a page costs one resize and no reopening, and the main screen
under the pages is not redrawn between them."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from synctui.bundle import layout
from synctui.bundle.client import BundleClient

if TYPE_CHECKING:
    from textual.pilot import Pilot

    from synctui.tui.app import SyncTuiApp

SUPPORT_SIZE = (120, 40)
WAIT_SECONDS = 10.0  # for a screen's data; then it is shot as it is (e.g. "loading…")
SETTLE_FRAMES = 50  # at most, waiting for a screen to settle; then it is shot as it is
IDLE_FRAME = 0.002  # CPU seconds, at least: a frame that cost less had nothing left to draw
SIZE_LIMITS = ((40, 200), (12, 100))  # a terminal size outside these is drawn at the nearest one

Shots = dict[str, tuple[str, str]]  # file → (part, svg)


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
) -> Shots:
    """{file: (part, svg)}: dashboards go in "screenshots", queue pages in "queues"."""
    from synctui.tui.app import SyncTuiApp

    taken_at = client.contents.taken_at
    app = SyncTuiApp(client, readonly=readonly, theme=theme, clock=lambda: taken_at)
    async with app.run_test(size=at[0]) as pilot:
        await _until(pilot, lambda: app.agent_state is not None and app.fully_composed)
        camera = _Camera(app, pilot, title)
        await camera.calibrate()
        shots = await camera.dashboards(at)
        shots.update(await camera.queue_pages(list(reversed(at))))
    return shots


class _Camera:
    def __init__(self, app: SyncTuiApp, pilot: Pilot, title: str) -> None:
        self.app = app
        self.pilot = pilot
        self.title = title
        self.client: BundleClient = app.client  # type: ignore[assignment]
        self.idle_frame = IDLE_FRAME

    async def calibrate(self) -> None:
        """What a frame with nothing to draw costs on this machine, once the first screen is idle
        (Textual's own wait): a slow device then does not take every frame for a busy one."""
        await self.pilot.pause()
        costs = []
        for _ in range(3):
            before = time.thread_time()
            await self.pilot.pause(0)
            costs.append(time.thread_time() - before)
        self.idle_frame = max(IDLE_FRAME, 2 * min(costs))

    async def dashboards(self, at: list[tuple[int, int]]) -> Shots:
        shots: Shots = {}
        state = self.app.agent_state
        for size in at:
            await self._resize(size)
            for view in state.backends if state else []:
                backend = view.snapshot.backend
                self.app.select_backend(backend)
                await self._settle()
                shots[layout.dashboard_screen(backend, size)] = ("screenshots", self._shoot(backend))
        return shots

    async def queue_pages(self, at: list[tuple[int, int]]) -> Shots:
        """Each held non-empty queue's first page; `at` starts with the size the dashboard is at."""
        from synctui.tui.screens.queue_browser import QueueBrowserScreen

        def page_drawn() -> bool:
            screen = self.app.screen
            return isinstance(screen, QueueBrowserScreen) and (
                screen.page is not None or screen.error is not None
            )

        shots: Shots = {}
        state = self.app.agent_state
        opened = False  # the pages are left open: closing them would redraw the main screen for nothing
        for view in state.backends if state else []:
            backend = view.snapshot.backend
            for stat in view.snapshot.queues:
                if not stat.count or (backend, stat.kind) not in self.client.contents.pages:
                    continue
                page = QueueBrowserScreen(backend, stat.kind, stat)
                # The next page replaces the last one: the main screen under them is not redrawn between
                if opened:
                    await self.app.switch_screen(page)
                else:
                    await self.app.push_screen(page)
                opened = True
                await _until(self.pilot, page_drawn)
                for size in at:
                    await self._resize(size)
                    await self._settle()
                    shot = self._shoot(f"{backend} {stat.kind.value}")
                    shots[layout.queue_screen(backend, stat.kind, size)] = ("queues", shot)
                at = list(reversed(at))
        return shots

    async def _resize(self, size: tuple[int, int]) -> None:
        if self.app.size != size:
            await self.pilot.resize_terminal(*size)
            await _until(self.pilot, lambda: self.app.screen.size == size)

    async def _settle(self) -> None:
        """Frames until one costs (almost) no work: what Pilot.pause() waits for, without its 20 ms
        sleeps (a dozen per bundle). Thread time: a live dashboard may be running beside this one."""
        for _ in range(SETTLE_FRAMES):
            before = time.thread_time()
            await self.pilot.pause(0)
            if time.thread_time() - before < self.idle_frame:
                return

    def _shoot(self, what: str) -> str:
        return self.app.export_screenshot(title=f"{self.title} — {what}", simplify=True)


def render_apart(
    client: BundleClient, at: list[tuple[int, int]], *, readonly: bool, theme: str | None, title: str
) -> Shots:
    """`render` on an event loop of its own: run it in a thread from a running dashboard, whose loop
    the headless one must not share."""
    return asyncio.run(render(client, at, readonly=readonly, theme=theme, title=title))


async def _until(pilot: Pilot, condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while not condition() and time.monotonic() < deadline:
        await pilot.pause(0)
