"""The agent at rest with all three backend families (one simulator of each), beside its import floor.

Processes: a SanteDB dCDR simulator (`--no-traffic --state-file`), an Open mSupply site simulator
(`--no-traffic`, its sync_buffer database), a DIGIT HCM simulator (field worker idle, its OpLog file), and
`synctui agent --config F` with one backend of each kind at the default refresh (5 s), each with its
local file watched (the dCDR state file, the site database, the OpLog). Measured as
`bench_agent_idle.py` measures one backend: after a warm-up, psutil from outside over the window (CPU of
all threads / wall time, median RSS, voluntary context switches per second).

The floor adds what the three adapters load beyond the one-backend floor (sqlite3, for the site
database and the OpLog):
    python -c "import httpx, tinydb, pluggy, inotify_simple, uvicorn, starlette.applications,
               prometheus_client, sqlite3"
Targets: RSS <= 1.2x that floor, CPU <= 0.15 % of one core. Nothing is asserted.

    python tests/bench/bench_agent_three.py [--seconds 60] [--warmup 15] [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time

import harness
from bench_agent_idle import FLOOR_IMPORTS, RSS_TARGET, floor_rss_mib, print_figures, watch_idle

FLOOR_THREE = FLOOR_IMPORTS + ", sqlite3"
CPU_TARGET = 0.15  # % of one core


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="idle window (default 60)")
    parser.add_argument("--warmup", type=float, default=15.0, help="seconds before the window")
    parser.add_argument("--quick", action="store_true", help="5 s window, 2 s warm-up (smoke test)")
    args = parser.parse_args(argv)
    if args.quick:
        args.seconds, args.warmup = 5.0, 2.0

    runs = 1 if args.quick else 3
    floor, how = floor_rss_mib(runs, FLOOR_THREE)
    with harness.Stack() as stack:
        stack.start_simulator(state_file=True)
        more = [*stack.start_msupply(), "", *stack.start_hcm()]
        stack.write_config(more=more)
        state = stack.start_agent(timeout=60)
        live = [b.snapshot.backend for b in state.backends if b.snapshot is not None and not b.snapshot.stale]
        time.sleep(args.warmup)
        final = asyncio.run(stack.agent_state())
        assert stack.agent is not None
        idle = watch_idle(stack.agent.pid, args.seconds)
        floor_after, _ = floor_rss_mib(runs, FLOOR_THREE)
    floor = statistics.median([floor, floor_after])
    fresh = [
        f"{b.snapshot.backend} ({b.snapshot.kind}): {'fresh' if not b.snapshot.stale else 'STALE'}"
        for b in final.backends
        if b.snapshot is not None
    ]

    rss_ratio = idle["rss"] / floor
    print(f"agent idle {idle['wall']:.1f} s after {args.warmup:g} s warm-up, three backends (refresh 5 s)")
    print(f"  first fresh: {', '.join(live)}; at the window: {', '.join(fresh)}")
    print_figures(idle, floor, FLOOR_THREE, how)
    print(
        f"ratio agent_three rss/floor = {rss_ratio:.2f} (target <= {RSS_TARGET}) "
        f"{harness.verdict(rss_ratio <= RSS_TARGET)}; cpu {idle['cpu_pct']:.3f} % "
        f"(target <= {CPU_TARGET} %) {harness.verdict(idle['cpu_pct'] <= CPU_TARGET)}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
