"""First frame showing live data: the synctui dashboard vs a bare Textual "hello" app, both in a real pty.

A SanteDB simulator process and a `synctui agent` process run for the whole benchmark. Then, alternately
(hello, dashboard, hello, dashboard, ...), each app is started in its own pseudo-terminal (120x40 by
default) as a user would start it:

    A: python tests/bench/hello_app.py
    B: python -m synctui --config F              (the `synctui` command; finds the running agent on its socket)

The pty output is fed into a small terminal model (cursor moves, text; colours ignored). The clock runs
from just before the process is spawned to the read that completes:
    A: the first frame that shows "Hello, world";
    B: the first frame in which the Outbox card shows the count the agent reports (not "n/a").
Like a modern terminal, the benchmark answers Textual's synchronized-output query, so frames arrive
between begin/end markers; the screen is checked after every read anyway. The ratio B/A is taken pair by
pair and the median printed. Target: <= 1.3. Nothing is asserted about absolute time.

Before the pairs, synctui's bytecode is compiled, as an installed package has it (`--source`: removed).

    python tests/bench/bench_first_frame.py [--pairs 15] [--size 120x40] [--quick] [--source]
"""

from __future__ import annotations

import argparse
import codecs
import contextlib
import fcntl
import os
import pty
import re
import select
import struct
import subprocess
import sys
import termios
import time
from collections.abc import Callable
from pathlib import Path

import harness

from synctui.model import QueueKind
from synctui.tui.format import DEFAULT_LABELS, count_text, queue_label

HERE = Path(__file__).resolve().parent
TARGET = 1.3
ESCAPE = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)|[ -/]*[0-~])")
SYNC_QUERY = "\x1b[?2026$p"
SYNC_SUPPORTED = b"\x1b[?2026;2$y"  # DECRPM: mode 2026 recognised, currently reset
LEFT_CORNERS = "┏╭┌╔+"
SIDES = "┃│║|"


class Screen:
    """Just enough of a terminal to read text back: CUP, CR, LF, printable cells; styles dropped."""

    def __init__(self, cols: int, rows: int) -> None:
        self.cols, self.rows = cols, rows
        self.grid = [[" "] * cols for _ in range(rows)]
        self.row = self.col = 0
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._pending = ""
        self.queries: list[str] = []

    def feed(self, data: bytes) -> None:
        text = self._pending + self._decoder.decode(data)
        cut = text.rfind("\x1b")
        if cut != -1 and not ESCAPE.match(text, cut):
            text, self._pending = text[:cut], text[cut:]  # an escape split across reads
        else:
            self._pending = ""
        pos = 0
        for match in ESCAPE.finditer(text):
            self._put(text[pos : match.start()])
            self._escape(match.group())
            pos = match.end()
        self._put(text[pos:])

    def _escape(self, seq: str) -> None:
        if seq == SYNC_QUERY:
            self.queries.append(seq)
        elif seq.endswith("H") and seq.startswith("\x1b["):
            parts = ([*seq[2:-1].split(";"), "", ""])[:2]
            self.row = min(self.rows - 1, max(0, int(parts[0] or 1) - 1))
            self.col = min(self.cols - 1, max(0, int(parts[1] or 1) - 1))
        elif seq == "\x1b[2J":
            self.grid = [[" "] * self.cols for _ in range(self.rows)]

    def _put(self, text: str) -> None:
        for ch in text:
            if ch == "\r":
                self.col = 0
            elif ch == "\n":
                self.row = min(self.rows - 1, self.row + 1)
            elif ch >= " " and self.col < self.cols:
                self.grid[self.row][self.col] = ch
                self.col += 1

    def lines(self) -> list[str]:
        return ["".join(r) for r in self.grid]

    def contains(self, text: str) -> bool:
        return any(text in line for line in self.lines())

    def card_value(self, labels: set[str]) -> str | None:
        """The first word inside the card whose top border carries one of `labels`."""
        lines = self.lines()
        for r, line in enumerate(lines[:-1]):
            for label in labels:
                at = line.find(f" {label} ")
                if at == -1:
                    continue
                left = max((line.rfind(c, 0, at + 1) for c in LEFT_CORNERS), default=-1)
                if left == -1:
                    continue
                inside = lines[r + 1][left + 1 :]
                end = min((i for i in (inside.find(c) for c in SIDES) if i != -1), default=len(inside))
                words = inside[:end].split()
                return words[0] if words else ""
        return None


def spawn_in_pty(cmd: list[str], cols: int, rows: int) -> tuple[subprocess.Popen, int]:
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
    env = dict(os.environ, TERM="xterm-256color", COLORTERM="truecolor")
    for var in ("COLUMNS", "LINES", "TEXTUAL", "TEXTUAL_DRIVER"):
        env.pop(var, None)
    proc = subprocess.Popen(cmd, stdin=slave, stdout=slave, stderr=slave, start_new_session=True, env=env)
    os.close(slave)
    return proc, master


def time_to_screen(
    cmd: list[str], shown: Callable[[Screen], bool], cols: int, rows: int, timeout: float = 30.0
) -> float:
    """Seconds from spawning `cmd` in a pty to the read after which `shown(screen)` holds."""
    screen = Screen(cols, rows)
    started = time.perf_counter()
    proc, master = spawn_in_pty(cmd, cols, rows)
    try:
        while True:
            left = timeout - (time.perf_counter() - started)
            if left <= 0:
                tail = "\n".join(screen.lines()).rstrip()[-1500:]
                raise RuntimeError(f"{cmd[-1]}: nothing matched within {timeout:g} s; screen:\n{tail}")
            ready, _, _ = select.select([master], [], [], min(left, 0.5))
            if not ready:
                continue
            try:
                data = os.read(master, 65536)
            except OSError:  # EIO: the child closed the terminal
                raise RuntimeError(f"{cmd}: exited ({proc.wait()}) before the screen matched") from None
            now = time.perf_counter()
            screen.feed(data)
            if screen.queries:
                screen.queries.clear()
                os.write(master, SYNC_SUPPORTED)
            if shown(screen):
                return now - started
    finally:
        harness.stop_process(proc)
        with contextlib.suppress(OSError):
            os.close(master)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pairs", type=int, default=15, help="hello/dashboard pairs (default 15)")
    parser.add_argument("--warmup", type=int, default=1, help="pairs run first and not counted")
    parser.add_argument("--size", default="120x40", help="terminal COLSxROWS (default 120x40)")
    parser.add_argument("--quick", action="store_true", help="2 pairs, no warm-up (smoke test)")
    parser.add_argument(
        "--source",
        action="store_true",
        help="remove synctui's bytecode first instead of compiling it (see harness.synctui_bytecode)",
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.pairs, args.warmup = 2, 0
    cols, rows = (int(x) for x in args.size.lower().split("x"))
    print(harness.synctui_bytecode(compiled=not args.source))

    with harness.Stack() as stack:
        stack.start_simulator()
        stack.write_config()
        state = stack.start_agent()
        stat = state.backends[0].snapshot.queue(QueueKind.OUTBOX)
        expected = count_text(stat.count)
        labels = {queue_label(stat, QueueKind.OUTBOX), DEFAULT_LABELS[QueueKind.OUTBOX]}
        print(f"agent live on {stack.socket}; the Outbox card must show {expected!r}")

        hello_cmd = [harness.PYTHON, str(HERE / "hello_app.py")]
        dash_cmd = [harness.PYTHON, "-m", "synctui", "--config", str(stack.config)]

        def hello_shown(screen: Screen) -> bool:
            return screen.contains("Hello, world")

        def data_shown(screen: Screen) -> bool:
            return screen.card_value(labels) == expected

        hello: list[float] = []
        dash: list[float] = []
        for i in range(args.warmup + args.pairs):
            a = time_to_screen(hello_cmd, hello_shown, cols, rows)
            time.sleep(0.2)  # let the previous process's teardown finish before the next start
            b = time_to_screen(dash_cmd, data_shown, cols, rows)
            time.sleep(0.2)
            counted = i >= args.warmup
            if counted:
                hello.append(a)
                dash.append(b)
            print(f"pair {i + 1:>2}{'' if counted else ' (warm-up)'}: hello {a:.3f} s  synctui {b:.3f} s")

    ratios = [b / a for a, b in zip(hello, dash, strict=True)]
    ratio = harness.median(ratios)
    print()
    print(f"terminal {cols}x{rows}, {len(ratios)} pairs (A B A B ...), times from spawn to the frame")
    print(f"hello first frame           median {harness.median(hello):.3f} s")
    print(f"synctui first live frame    median {harness.median(dash):.3f} s")
    print(f"paired ratios               min {min(ratios):.2f}  max {max(ratios):.2f}")
    print(
        f"ratio first_frame synctui/hello = {ratio:.2f} (target <= {TARGET}) {harness.verdict(ratio <= TARGET)}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
