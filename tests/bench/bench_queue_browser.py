"""Browsing an outbox of 1,000,000 entries against one of 1,000: time to each page and the dashboard's RSS.

Each run is a child process (so its RSS is its own): a SanteDB simulator with `--backlog N` (N outbound
entries computed on demand, paged by `_offset`/`_count` as the dCDR's API does), `synctui agent` on it,
and in the child the dashboard (`SyncTuiApp` + `HttpAgentClient` on the agent's socket) under
`App.run_test()` at 120x40. The child times, from the key press to the first frame Textual hands to its
display (`App._display`) that shows the new page:

- first page: Enter on the focused Outbox card -> the browser with "entries 1–50 of N" (the first time
  includes importing the browser's code; it is timed again after Escape: "opened again");
- page down: `n`, several times (median);
- go to: `g`, the middle entry (500,001 of 1,000,000; 501 of 1,000), then Enter (timed from Enter);
- filter: `/`, "Patient" (the dCDR's `type` filter), then Enter (timed from Enter) -> the first page
  of the matches;

then reports its RSS (psutil, after the browsing) and its own CPU time per action (`process_time`,
which a loaded machine does not inflate as much as the wall clock). Runs alternate 1,000 / 1,000,000 (pairs); medians
are printed. Targets: first page <= 150 ms, page down <= 50 ms, filter <= 300 ms, RSS at 1,000,000
within 5 MiB of RSS at 1,000. The ratio line is first page at 1,000,000 / at 1,000 (paging should not
grow with the queue). Nothing is asserted.

    python tests/bench/bench_queue_browser.py [--pairs 5] [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import harness
import psutil

SMALL, LARGE = 1_000, 1_000_000
PAGE_DOWNS = 5
TARGETS_MS = {"first": 150.0, "next": 50.0, "filter": 300.0}
RSS_SPREAD_MIB = 5.0
MIB = 1024 * 1024


class FrameClock:
    """Wraps `app._display`: the time of the first frame after `until()` holds."""

    def __init__(self, app) -> None:
        self.app = app
        self.until: Callable[[], bool] | None = None
        self.done = asyncio.Event()
        self.seen_at = 0.0
        self.cpu_at = 0.0
        self.cpu_ms: list[float] = []  # this process's CPU time for each timed action
        self._display = app._display
        app._display = self.display

    def display(self, screen, renderable) -> None:
        self._display(screen, renderable)
        if renderable is not None and self.until is not None and self.until():
            self.seen_at = time.perf_counter()
            self.cpu_at = time.process_time()
            self.until = None
            self.done.set()

    async def time(self, pilot, keys: list[str], until: Callable[[], bool]) -> float:
        """Milliseconds from pressing `keys` to the frame after `until()` holds."""
        self.done = asyncio.Event()
        self.until = until
        started, cpu = time.perf_counter(), time.process_time()
        await pilot.press(*keys)
        await asyncio.wait_for(self.done.wait(), 30)
        self.cpu_ms.append((self.cpu_at - cpu) * 1000)
        return (self.seen_at - started) * 1000


async def browse(socket: Path, size: int, page_downs: int) -> dict[str, float | list[float]]:
    from synctui.client import HttpAgentClient
    from synctui.tui.app import SyncTuiApp
    from synctui.tui.screens.queue_browser import QueueBrowserScreen

    app = SyncTuiApp(HttpAgentClient(socket=socket), close_client=True)
    clock = FrameClock(app)
    async with app.run_test(size=(120, 40)) as pilot:
        card = await harness.outbox_card_with_data(pilot)
        card.focus()
        await pilot.pause(0.3)

        def browser() -> QueueBrowserScreen | None:
            return app.screen if isinstance(app.screen, QueueBrowserScreen) else None

        def page_at(offset: int, filtered: str | None = None) -> Callable[[], bool]:
            def shown() -> bool:
                b = browser()
                return (
                    b is not None
                    and b.page is not None
                    and b.page.offset == offset
                    and b.filter_text == filtered
                )

            return shown

        first = await clock.time(pilot, ["enter"], page_at(0))
        b = browser()
        assert b is not None and b.page is not None and b.page.total is not None
        if b.page.total < size:
            raise RuntimeError(f"the browser says {b.page.total} entries, expected at least {size}")
        nexts = []
        for i in range(1, page_downs + 1):
            nexts.append(await clock.time(pilot, ["n"], page_at(50 * i)))
        middle = size // 2 + 1
        await pilot.press("g", *str(middle))  # typing is not timed: from Enter on
        jump = await clock.time(pilot, ["enter"], page_at((middle - 1) // 50 * 50))
        previous = b.page
        await pilot.press("slash", *"Patient")
        filtered = await clock.time(
            pilot, ["enter"], lambda: page_at(0, "Patient")() and b.page is not previous
        )
        caption = str(b.query_one("#pager-caption").render())
        await pilot.press("escape")  # back to the dashboard; the browser's code is loaded now
        for _ in range(200):
            if browser() is None:
                break
            await pilot.pause(0.05)
        card.focus()
        await pilot.pause(0.3)
        again = await clock.time(pilot, ["enter"], page_at(0))
    return {
        "cpu_first": clock.cpu_ms[0],
        "cpu_next": clock.cpu_ms[1 : 1 + len(nexts)],
        "first": first,
        "again": again,
        "next": nexts,
        "jump": jump,
        "filter": filtered,
        "rss": psutil.Process().memory_info().rss / MIB,
        "caption": caption,
    }


def child(size: int, page_downs: int) -> None:
    with harness.Stack() as stack:
        stack.start_simulator(extra=["--backlog", str(size)])
        stack.write_config()
        stack.start_agent()
        result = asyncio.run(browse(stack.socket, size, page_downs))
    print(json.dumps({"size": size, **result}))


def run_child(size: int, page_downs: int) -> dict:
    out = subprocess.run(
        [harness.PYTHON, __file__, "--child", str(size), "--page-downs", str(page_downs)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if out.returncode != 0:
        raise RuntimeError(f"the run at {size:,} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pairs", type=int, default=5, help="runs at each size, alternated (default 5)")
    parser.add_argument("--page-downs", type=int, default=PAGE_DOWNS)
    parser.add_argument("--quick", action="store_true", help="1 pair, 2 page-downs (smoke test)")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child is not None:
        child(args.child, args.page_downs)
        return 0
    if args.quick:
        args.pairs, args.page_downs = 1, 2

    runs: dict[int, list[dict]] = {SMALL: [], LARGE: []}
    for _ in range(args.pairs):
        for size in (SMALL, LARGE):
            runs[size].append(run_child(size, args.page_downs))

    def med(size: int, key: str) -> float:
        values = [x for r in runs[size] for x in (r[key] if isinstance(r[key], list) else [r[key]])]
        return harness.median(values)

    print(f"{args.pairs} runs at each size, alternated; dashboard at 120x40, pages of 50")
    for size in (SMALL, LARGE):
        print(
            f"{size:>9,} entries: first page {med(size, 'first'):.1f} ms (opened again "
            f"{med(size, 'again'):.1f} ms), page down {med(size, 'next'):.1f} ms, "
            f"go to middle {med(size, 'jump'):.1f} ms, filter {med(size, 'filter'):.1f} ms, "
            f"RSS {med(size, 'rss'):.1f} MiB  ({runs[size][-1]['caption']!r} after the filter); "
            f"dashboard CPU: first page {med(size, 'cpu_first'):.1f} ms, page down {med(size, 'cpu_next'):.1f} ms"
        )
    print(f"load average during the runs: {' '.join(f'{x:.1f}' for x in os.getloadavg())} (2 cores shared)")
    for key, target in TARGETS_MS.items():
        value = med(LARGE, key)
        print(
            f"  at 1,000,000: {key} {value:.1f} ms (target <= {target:.0f}) {harness.verdict(value <= target)}"
        )
    spread = med(LARGE, "rss") - med(SMALL, "rss")
    print(
        f"  RSS 1,000,000 - 1,000 = {spread:+.1f} MiB (target within ±{RSS_SPREAD_MIB:g}) "
        f"{harness.verdict(abs(spread) <= RSS_SPREAD_MIB)}"
    )
    ratios = [b["first"] / a["first"] for a, b in zip(runs[SMALL], runs[LARGE], strict=True)]
    ratio = harness.median(ratios)
    print(
        f"ratio queue_browser first-page 1M/1k = {ratio:.2f} (target <= 1.2; first page "
        f"{med(LARGE, 'first'):.1f} ms, target <= 150 ms) "
        f"{harness.verdict(ratio <= 1.2 and med(LARGE, 'first') <= TARGETS_MS['first'])}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
