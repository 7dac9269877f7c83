"""Bytes the dashboard sends to its terminal: at rest, and for one queue card changing.

A SanteDB simulator (`--no-traffic --state-file`) and `synctui agent` (the state file watched, default
refresh) run for the whole benchmark. The dashboard (`python -m synctui.cli --config F`) runs in a
pseudo-terminal (80x24 by default, `TERM=xterm-256color`) as a user would start it over SSH; every
byte it writes to the pty is counted.

    idle:   after the first live frame and a settling pause, the bytes of a window in which nothing
            changes (the agent still refreshes every 5 s and pushes its unchanged state; the clock runs)
    change: one outbox entry added to the simulator; the bytes from that moment until the Outbox card
            shows the new count and the screen is quiet again (1 s without output), less what the idle
            rate accounts for in that time. Repeated, the median printed.

Targets: idle <= 200 bytes/s, one card change <= 4 KB. The ratio line is the larger of the two shares.

    python tests/bench/bench_terminal_bytes.py [--seconds 60] [--changes 5] [--size 80x24] [--quick]
         [-- extra dashboard arguments, e.g. --low-bandwidth]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import select
import sys
import time

import harness
from bench_first_frame import SYNC_SUPPORTED, Screen, spawn_in_pty

from synctui.model import QueueKind
from synctui.tui.format import DEFAULT_LABELS, count_text, queue_label

IDLE_TARGET = 200.0  # bytes per second
CHANGE_TARGET = 4096.0  # bytes
QUIET = 1.0  # seconds without output that end a change


class Terminal:
    """The dashboard's pty: reads everything it writes, counts the bytes, keeps the screen model."""

    def __init__(self, cmd: list[str], cols: int, rows: int) -> None:
        self.screen = Screen(cols, rows)
        self.proc, self.master = spawn_in_pty(cmd, cols, rows)
        self.total = 0

    def pump(self, seconds: float) -> int:
        """Read for `seconds`; the bytes read."""
        read = 0
        deadline = time.perf_counter() + seconds
        while (left := deadline - time.perf_counter()) > 0:
            read += self._read(left)
        return read

    def until(self, shown, timeout: float) -> float:
        """Read until `shown(screen)` holds; the seconds it took."""
        started = time.perf_counter()
        while not shown(self.screen):
            left = timeout - (time.perf_counter() - started)
            if left <= 0:
                tail = "\n".join(self.screen.lines()).rstrip()[-1500:]
                raise RuntimeError(f"the dashboard did not show it within {timeout:g} s; screen:\n{tail}")
            self._read(min(left, 0.5))
        return time.perf_counter() - started

    def until_quiet(self, quiet: float, timeout: float) -> None:
        started = time.perf_counter()
        while time.perf_counter() - started < timeout:
            if not self._read(quiet):
                return

    def _read(self, timeout: float) -> int:
        ready, _, _ = select.select([self.master], [], [], timeout)
        if not ready:
            return 0
        try:
            data = os.read(self.master, 65536)
        except OSError:  # EIO: the dashboard closed the terminal
            raise RuntimeError(f"the dashboard exited ({self.proc.wait()})") from None
        self.total += len(data)
        self.screen.feed(data)
        if self.screen.queries:
            self.screen.queries.clear()
            os.write(self.master, SYNC_SUPPORTED)
        return len(data)

    def close(self) -> None:
        harness.stop_process(self.proc)
        with contextlib.suppress(OSError):
            os.close(self.master)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="idle window (default 60 s)")
    parser.add_argument("--settle", type=float, default=6.0, help="pause after the first live frame")
    parser.add_argument("--changes", type=int, default=5, help="card changes measured (default 5)")
    parser.add_argument("--size", default="80x24", help="terminal COLSxROWS (default 80x24)")
    parser.add_argument("--quick", action="store_true", help="6 s idle, 1 change (smoke test)")
    parser.add_argument("dashboard_args", nargs="*", help="more arguments for the dashboard (after --)")
    args = parser.parse_args(argv)
    if args.quick:
        args.seconds, args.settle, args.changes = 6.0, 2.0, 1
    cols, rows = (int(x) for x in args.size.lower().split("x"))

    with harness.Stack() as stack:
        stack.start_simulator(state_file=True)
        stack.write_config()
        state = stack.start_agent()
        stat = state.backends[0].snapshot.queue(QueueKind.OUTBOX)
        labels = {queue_label(stat, QueueKind.OUTBOX), DEFAULT_LABELS[QueueKind.OUTBOX]}
        count = stat.count or 0
        cmd = [harness.PYTHON, "-m", "synctui.cli", "--config", str(stack.config), *args.dashboard_args]
        term = Terminal(cmd, cols, rows)
        try:
            term.until(lambda s: s.card_value(labels) == count_text(count), timeout=30)
            start_bytes = term.total
            term.pump(args.settle)
            print(f"terminal {cols}x{rows}; first live frame: {start_bytes:,} bytes")

            idle_bytes = term.pump(args.seconds)
            idle_rate = idle_bytes / args.seconds
            print(f"idle {args.seconds:g} s: {idle_bytes:,} bytes = {idle_rate:.0f} bytes/s")

            changes: list[float] = []
            for _ in range(args.changes):
                before = term.total
                started = time.perf_counter()
                stack.enqueue(1)
                count += 1
                term.until(lambda s, c=count: s.card_value(labels) == count_text(c), timeout=30)
                term.until_quiet(QUIET, timeout=10)
                spent = time.perf_counter() - started - QUIET
                changes.append(max(0.0, term.total - before - idle_rate * spent))
                term.pump(1.5)  # apart from the next one
        finally:
            term.close()

    change = harness.median(changes)
    print(f"one card change: median {change:,.0f} bytes (min {min(changes):,.0f}, max {max(changes):,.0f})")
    print(f"targets: idle <= {IDLE_TARGET:.0f} bytes/s, one card change <= {CHANGE_TARGET:.0f} bytes")
    ratio = max(idle_rate / IDLE_TARGET, change / CHANGE_TARGET)
    print(
        f"ratio terminal_bytes max(idle/{IDLE_TARGET:.0f}, change/{CHANGE_TARGET:.0f}) = {ratio:.2f} "
        f"(idle {idle_rate / IDLE_TARGET:.2f}, change {change / CHANGE_TARGET:.2f}; target <= 1.0) "
        f"{harness.verdict(ratio <= 1.0)}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
