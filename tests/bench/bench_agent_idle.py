"""Agent RSS and CPU at rest with one simulated backend, beside the import floor of its libraries.

Processes: the SanteDB simulator (`--no-traffic`, `--state-file`: nothing changes unless asked) and
`synctui agent --config F` with the defaults a user gets: refresh every 5 s, the backend's `database`
option pointing at the simulator's state file (so the file watcher runs), API on a Unix socket.

After a warm-up the agent is watched from outside with psutil for the window (60 s by default):
CPU = time on a CPU of all its threads / wall time, in nanoseconds from `/proc/PID/task/*/schedstat`
(the 10 ms ticks of user + system time, also printed, make 0.017 % of a 60 s window one tick; ticks
where schedstat is missing); RSS sampled every second (median and max); wakeups = voluntary context
switches of all its threads per second.

The floor, measured in the same run: peak RSS of a bare
    python -c "import httpx, tinydb, pluggy, inotify_simple, uvicorn, starlette.applications, prometheus_client"
(watchfiles instead of inotify_simple off Linux) with GNU `/usr/bin/time -f %M` (median of 3), or,
without it, the child's ru_maxrss from wait4.
Targets: agent RSS <= 1.2x that floor, CPU <= 0.1 % of one core, <= 1 wakeup/s. Nothing is asserted.

    python tests/bench/bench_agent_idle.py [--seconds 60] [--warmup 10] [--quick]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

import harness
import psutil

# The file watcher the agent loads: inotify_simple on Linux, watchfiles (which polls) elsewhere.
WATCHER = "inotify_simple" if sys.platform == "linux" else "watchfiles"
FLOOR_IMPORTS = f"import httpx, tinydb, pluggy, {WATCHER}, uvicorn, starlette.applications, prometheus_client"
RSS_TARGET = 1.2
CPU_TARGET = 0.1  # % of one core
WAKEUPS_TARGET = 1.0  # voluntary context switches of all threads per second
MIB = 1024 * 1024


def floor_rss_mib(runs: int, imports: str = FLOOR_IMPORTS) -> tuple[float, str]:
    """Peak RSS (MiB) of a bare interpreter importing the agent's libraries, and how it was measured."""
    cmd = [harness.PYTHON, "-c", imports]
    gnu_time = shutil.which("time", path="/usr/bin:/bin")
    values = []
    for _ in range(runs):
        if gnu_time:
            out = subprocess.run(
                [gnu_time, "-f", "%M", *cmd], capture_output=True, text=True, check=True
            ).stderr.strip()
            values.append(int(out.splitlines()[-1]) / 1024)
        else:
            proc = subprocess.Popen(cmd)
            _, _, usage = os.wait4(proc.pid, 0)
            proc.returncode = 0
            values.append(usage.ru_maxrss / 1024)
    how = "GNU time -f %M" if gnu_time else "wait4 ru_maxrss"
    return statistics.median(values), f"{how}, median of {runs}"


def voluntary_switches(pid: int) -> int:
    total = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            for line in (task / "status").read_text().splitlines():
                if line.startswith("voluntary_ctxt_switches:"):
                    total += int(line.split()[1])
        except OSError:
            continue  # a thread that just ended
    return total


def run_time_ns(pid: int) -> dict[str, int] | None:
    """Time on a CPU per thread (ns, schedstat's first field), keyed by tid; None without schedstat."""
    times: dict[str, int] = {}
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            times[task.name] = int((task / "schedstat").read_text().split()[0])
        except FileNotFoundError:
            return None  # a kernel without schedstat
        except OSError:
            continue  # a thread that just ended
    return times


def thread_ticks(pid: int) -> dict[str, int]:
    """CPU clock ticks (user + system) per thread, keyed by "tid name"."""
    ticks: dict[str, int] = {}
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            stat = (task / "stat").read_text()
        except OSError:
            continue
        name = stat[stat.index("(") + 1 : stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2 :].split()
        ticks[f"{task.name} {name}"] = int(fields[11]) + int(fields[12])  # utime, stime
    return ticks


def watch_idle(pid: int, seconds: float) -> dict[str, float]:
    proc = psutil.Process(pid)
    cpu0 = proc.cpu_times()
    threads0 = thread_ticks(pid)
    run0 = run_time_ns(pid)
    switches0 = voluntary_switches(pid)
    started = time.monotonic()
    rss: list[float] = []
    deadline = started + seconds
    while True:
        rss.append(proc.memory_info().rss / MIB)
        left = deadline - time.monotonic()
        if left <= 0:
            break
        time.sleep(min(1.0, left))
    cpu1 = proc.cpu_times()
    threads1 = thread_ticks(pid)
    run1 = run_time_ns(pid)
    switches1 = voluntary_switches(pid)
    wall = time.monotonic() - started
    ticked = (cpu1.user - cpu0.user) + (cpu1.system - cpu0.system)
    # a thread ended in the window takes its time with it; one begun in it counts from zero
    busy = (
        ticked if run0 is None or run1 is None else sum(t - run0.get(tid, 0) for tid, t in run1.items()) / 1e9
    )
    hwm = 0.0
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            hwm = int(line.split()[1]) / 1024
    return {
        "wall": wall,
        "cpu_pct": 100 * busy / wall,
        "cpu_s": busy,
        "cpu_ticked_pct": 100 * ticked / wall,
        "rss": statistics.median(rss),
        "rss_max": max(rss),
        "hwm": hwm,
        "uss": proc.memory_full_info().uss / MIB,
        "threads": proc.num_threads(),
        "wakeups": (switches1 - switches0) / wall,
        "per_thread": {  # type: ignore[dict-item]
            name: 100 * (t - threads0.get(name, 0)) / os.sysconf("SC_CLK_TCK") / wall
            for name, t in threads1.items()
        },
    }


def print_figures(idle: dict[str, float], floor: float, imports: str, how: str) -> None:
    """The lines every idle benchmark prints before its ratio: RSS, floor, CPU, wakeups, threads."""
    print(
        f"agent RSS {idle['rss']:.1f} MiB (max {idle['rss_max']:.1f}, peak {idle['hwm']:.1f}, "
        f"USS {idle['uss']:.1f}), {idle['threads']} threads"
    )
    print(f'floor RSS {floor:.1f} MiB  (python -c "{imports}"; {how}, before and after)')
    print(
        f"agent CPU {idle['cpu_pct']:.3f} % of one core ({idle['cpu_s']:.3f} s; in 10 ms ticks "
        f"{idle['cpu_ticked_pct']:.3f} %), {idle['wakeups']:.1f} wakeups/s"
    )
    print(
        "  per thread: " + ", ".join(f"{name} {pct:.3f} %" for name, pct in idle["per_thread"].items())  # type: ignore[union-attr]
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="idle window (default 60)")
    parser.add_argument("--warmup", type=float, default=10.0, help="seconds before the window")
    parser.add_argument("--quick", action="store_true", help="5 s window, 1 s warm-up (smoke test)")
    args = parser.parse_args(argv)
    if args.quick:
        args.seconds, args.warmup = 5.0, 1.0

    floor, how = floor_rss_mib(1 if args.quick else 3)
    with harness.Stack() as stack:
        stack.start_simulator(state_file=True)
        stack.write_config()  # default refresh interval (5 s), database = the state file
        stack.start_agent()
        assert stack.agent is not None
        time.sleep(args.warmup)
        idle = watch_idle(stack.agent.pid, args.seconds)
        floor_after, _ = floor_rss_mib(1 if args.quick else 3)  # the machine may drift: measure again
    floor = statistics.median([floor, floor_after])

    rss_ratio = idle["rss"] / floor
    print(
        f"agent idle {idle['wall']:.1f} s after {args.warmup:g} s warm-up (refresh 5 s, state file watched)"
    )
    print_figures(idle, floor, FLOOR_IMPORTS, how)
    print(
        f"ratio agent_idle rss/floor = {rss_ratio:.2f} (target <= {RSS_TARGET}) "
        f"{harness.verdict(rss_ratio <= RSS_TARGET)}; cpu {idle['cpu_pct']:.3f} % "
        f"(target <= {CPU_TARGET} %) {harness.verdict(idle['cpu_pct'] <= CPU_TARGET)}; "
        f"wakeups {idle['wakeups']:.2f}/s (target <= {WAKEUPS_TARGET:g}) "
        f"{harness.verdict(idle['wakeups'] <= WAKEUPS_TARGET)}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
