"""Benchmark: the fleet screen on 10,000 devices × 3 backends in a real Prometheus.

A real Prometheus (Debian's, temporary TSDB, remote-write receiver on, synctui's rules evaluated every
minute as docs/fleet.md advises) receives the fleet from the generator (tests/fleet/generator.py, through synctui's remote-write
code), `--takes` times one minute apart. Once the recording rules hold every device, it measures, each
`--rounds` times:

- first full frame: FleetApp started headless (120×40) until the summary (counted by Prometheus) and
  the riskiest page of devices (topk over the risk rule, then their values) are drawn;
- stuck: "which devices are stuck", with their values (what `synctui fleet --stuck` reads: the names,
  then those devices' values);
- every device read: all device values (FleetClient.devices, what --json and gate read);
- all in the screen: until the screen has read every device (filter, exact summary) and drawn it.

Printed: medians and the worst; for the first frame where its time went (app start until its first
query, each PromQL query as Prometheus timed it — `stats=all` — and on the client, the table filled
and drawn); Prometheus' resident memory and TSDB size, then
`ratio fleet ... = <slowest of first frame and stuck, median> / 1 s ... PASS|MISS` (target ≤ 1.0).
`--quick`: 300 devices, one take, 2 rounds, rules every 2 s (for tests/bench/test_bench_smoke.py).
"""

from __future__ import annotations

import argparse
import asyncio
import re
import shutil
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import parse_qs

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the repository, for tests.fleet

import httpx
from harness import verdict
from textual.widgets import DataTable

from synctui.fleet.queries import FleetClient
from synctui.fleet.screen import FIRST_PAGE, FleetApp
from tests.fleet.generator import push_fleet
from tests.fleet.prometheus_server import MISSING, binaries_present, running_prometheus

TARGET_SECONDS = 1.0


async def time_queries(url: str) -> tuple[float, float, float, int]:
    """(every device read, stuck, the first page's queries alone: what the first frame waits for)."""
    client = FleetClient(url)
    try:
        start = time.perf_counter()
        rows = await client.devices()
        devices = time.perf_counter() - start
        start = time.perf_counter()
        await client.named(await client.stuck())
        stuck = time.perf_counter() - start
        start = time.perf_counter()
        await asyncio.gather(client.first_page({}, FIRST_PAGE), client.full_sync_counts())
        first_page = time.perf_counter() - start
    finally:
        await client.aclose()
    return devices, stuck, first_page, len(rows)


PROMETHEUS_EVAL_RE = re.compile(rb'"evalTotalTime":([0-9.eE+-]+)')


@dataclass
class QueryTimes:
    """Each query a FleetClient sent: (PromQL, sent at, answered at, Prometheus' own evaluation time,
    answer bytes), Prometheus asked for its timings with `stats=all`."""

    start: float
    queries: list[tuple[str, float, float, float, int]] = field(default_factory=list)

    def attach(self, client: FleetClient) -> None:
        async def on_request(request: httpx.Request) -> None:
            request.url = request.url.copy_add_param("stats", "all")
            request.extensions["sent"] = time.perf_counter()

        async def on_response(response: httpx.Response) -> None:
            body = await response.aread()
            found = PROMETHEUS_EVAL_RE.search(body[-2000:])  # the stats close the answer
            promql = parse_qs(response.request.content.decode()).get("query", [""])[0]
            sent = response.request.extensions["sent"] - self.start
            evaluated = float(found.group(1)) if found else float("nan")
            self.queries.append((promql, sent, time.perf_counter() - self.start, evaluated, len(body)))

        client.http.event_hooks = {"request": [on_request], "response": [on_response]}

    def until(self, moment: float) -> list[tuple[str, float, float, float, int]]:
        return [q for q in self.queries if q[2] <= moment]


@dataclass
class Frame:
    first: float  # seconds from start to the first full frame
    whole: float  # to every device read and drawn
    queries: list[tuple[str, float, float, float, int]]  # those the first frame waited for
    redraw: float  # the table filled (Python, the first frame's redraw)
    redraw_all: float  # the same with every device read: what each filter keystroke costs


async def time_screen(url: str, expected: int) -> Frame:
    """The first full frame (the summary and the riskiest page drawn), then every device read and drawn."""
    start = time.perf_counter()
    client = FleetClient(url)
    times = QueryTimes(start)
    times.attach(client)
    app = FleetApp(client, clock=lambda: datetime.now(UTC))
    redraws: list[float] = []
    plain_redraw = app.redraw

    def timed_redraw() -> None:
        began = time.perf_counter()
        plain_redraw()
        redraws.append(time.perf_counter() - began)

    app.redraw = timed_redraw  # type: ignore[method-assign]
    async with app.run_test(size=(120, 40)) as pilot:
        table = app.query_one(DataTable)
        while table.row_count < min(FIRST_PAGE, expected):
            await asyncio.sleep(0.005)  # not pilot.pause(): that waits for the app to be idle
        await asyncio.sleep(1 / 60)  # the frame with the rows is drawn (Textual's 60 fps)
        first = time.perf_counter() - start
        first_queries = times.until(first)
        while not (app.loaded and len(app.shown) == expected):
            await pilot.pause(0.01)
        await pilot.pause()
        return Frame(first, time.perf_counter() - start, first_queries, redraws[0], redraws[-1])


def print_first_frame(frame: Frame) -> None:
    """Where one first frame's time went."""
    began = min((q[1] for q in frame.queries), default=frame.first)
    answered = max((q[2] for q in frame.queries), default=began)
    print(
        f"  one first frame, {frame.first:.3f} s: app start until its first query {began:.3f} s, "
        f"queries {answered - began:.3f} s, table filled {frame.redraw:.3f} s, "
        f"then drawn {frame.first - answered - frame.redraw:.3f} s; with every device read, a redraw "
        f"(each filter keystroke) {frame.redraw_all:.3f} s"
    )
    for promql, sent, done, evaluated, size in frame.queries:
        print(f"    {sent:6.3f}-{done:6.3f} s, Prometheus {evaluated:.3f} s, {size:>7,} bytes: {promql[:70]}")


def rule_durations(url: str) -> str:
    """Each rule group's last evaluation time, from Prometheus' own /metrics."""
    text = httpx.get(f"{url}/metrics", timeout=10).text
    found = re.findall(
        r'prometheus_rule_group_last_duration_seconds\{rule_group="[^"]*;([^"]+)"\} (\S+)', text
    )
    return ", ".join(f"{group} {float(seconds):.2f} s" for group, seconds in found) or "not reported"


def wait_recorded(prom, devices: int, timeout: float) -> float:
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        counts = [
            prom.query(f"count({name})")
            for name in ("synctui_device:verdict:max", "synctui_device:rank:score")
        ]
        if all(answer and int(answer[0]["value"][1]) >= devices for answer in counts):
            return time.monotonic() - start
        time.sleep(0.5)
    raise SystemExit(f"the recording rules did not reach {devices} devices within {timeout:g} s")


def main() -> int:
    sys.stdout.reconfigure(line_buffering=True)
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--devices", type=int, default=10_000)
    parser.add_argument("--takes", type=int, default=5, help="pushes of the whole fleet, one minute apart")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--evaluation-interval", default="1m", help="of the rules (docs/fleet.md: 1m)")
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    if args.quick:
        args.devices, args.takes, args.rounds, args.evaluation_interval = 300, 1, 2, "2s"
    if not binaries_present():
        print(MISSING, file=sys.stderr)
        return 2
    folder = Path(tempfile.mkdtemp(prefix="synctui-bench-fleet-"))
    try:
        with running_prometheus(folder / "prometheus", evaluation_interval=args.evaluation_interval) as prom:
            now = time.time()
            start = time.perf_counter()
            samples = 0
            for take in range(args.takes - 1, -1, -1):
                samples += push_fleet(prom.write_url, args.devices, now - take * 60)
            pushed = time.perf_counter() - start
            print(f"pushed {args.devices:,} devices × 3 backends, {args.takes} take(s): {samples:,} samples")
            print(
                f"  in {pushed:.1f} s ({samples / pushed:,.0f} samples/s through synctui's remote-write code)"
            )
            print(f"recording rules held every device after {wait_recorded(prom, args.devices, 300):.1f} s")
            devices, stuck, pages, frames, everything = [], [], [], [], []
            shown: list[Frame] = []
            for _ in range(args.rounds):
                d, s, page, found = asyncio.run(time_queries(prom.url))
                pages.append(page)
                assert found == args.devices, f"the table holds {found} devices, not {args.devices}"
                devices.append(d)
                stuck.append(s)
                frame = asyncio.run(time_screen(prom.url, args.devices))
                shown.append(frame)
                frames.append(frame.first)
                everything.append(frame.whole)
            for name, values in (
                ("first full frame", frames),
                ("its queries alone", pages),
                ("stuck", stuck),
                ("every device read", devices),
                ("all in the screen", everything),
            ):
                print(f"{name:>17}: median {statistics.median(values):.3f} s, worst {max(values):.3f} s")
            print_first_frame(sorted(shown, key=lambda f: f.first)[len(shown) // 2])
            print(f"rule groups' last evaluation: {rule_durations(prom.url)}")
            print(
                f"prometheus: RSS {prom.rss_bytes() / 2**20:.0f} MiB, TSDB on disk {prom.disk_bytes() / 2**20:.1f} MiB"
            )
            worst = max(statistics.median(frames), statistics.median(stuck))
            ratio = worst / TARGET_SECONDS
            print(
                f"ratio fleet slowest of (first frame, stuck) / {TARGET_SECONDS:g} s = {ratio:.2f} "
                f"(target <= 1.00, {args.devices} devices) {verdict(ratio <= 1.0)}"
            )
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
