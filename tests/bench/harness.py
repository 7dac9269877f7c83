"""Shared set-up for the benchmarks: a simulator process, an agent process, and a config joining them.

Everything lives in one temporary folder; every process started here is stopped by `Stack.close()`.
Imported by the bench_*.py scripts (run as `python tests/bench/bench_X.py`, so this folder is on
sys.path), never by the synctui code.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from synctui.client import HttpAgentClient
from synctui.client_interface import AgentUnavailable
from synctui.model import AgentState, QueueKind

PYTHON = sys.executable


def synctui_bytecode(*, compiled: bool) -> str:
    """Compile the synctui package's bytecode, as `pip install` leaves it, or (`compiled=False`) remove
    it; says which. Where PYTHONDONTWRITEBYTECODE is set (the development machines set it) an editable
    install without bytecode is compiled from source at every start (~60 modules, ≈ 40 ms), while
    Textual's bytecode came with its wheel."""
    import compileall

    import synctui

    package = Path(synctui.__file__).parent
    if compiled:
        compileall.compile_dir(package, quiet=1)
        return f"bytecode compiled for {package}, as an installed package has it"
    for cache in package.rglob("__pycache__"):
        shutil.rmtree(cache)
    return f"bytecode removed from {package}: each start compiles it where PYTHONDONTWRITEBYTECODE is set"


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of a non-empty list."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(q / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def median(values: list[float]) -> float:
    return statistics.median(values)


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def stop_process(proc: subprocess.Popen | None, timeout: float = 5.0) -> None:
    """SIGTERM, then SIGKILL if it does not exit in time; only the process we started."""
    if proc is None or proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            proc.kill()
        proc.wait(timeout)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_http(url: str, proc: subprocess.Popen, timeout: float = 30.0) -> None:
    """GET `url` until it answers at all (any status), or fail if `proc` exits or time runs out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{proc.args[2]} exited: {proc.stderr.read() if proc.stderr else ''}")
        try:
            httpx.get(url, timeout=2.0)
            return
        except httpx.TransportError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer within {timeout:g} s")


async def outbox_card_with_data(pilot, timeout: float = 20.0):
    """The dashboard's Outbox card, once it shows the agent's count (a bounded wait)."""
    from synctui.tui.widgets.queues.queue_card import QueueCard

    card = pilot.app.screen.query_one("#card-outbox", QueueCard)
    for _ in range(int(timeout / 0.05)):
        if card.stat.count is not None:
            return card
        await pilot.pause(0.05)
    raise RuntimeError("the dashboard never showed data from the agent")


class Stack:
    """A temporary folder holding a SanteDB simulator process and (optionally) a `synctui agent` process."""

    def __init__(self, prefix: str = "synctui-bench-") -> None:
        # Short path: a Unix socket path must stay under ~100 characters.
        self.dir = Path(tempfile.mkdtemp(prefix=prefix, dir="/tmp"))
        self.simulator: subprocess.Popen | None = None
        self.others: list[subprocess.Popen] = []  # the other backends' simulators
        self.agent: subprocess.Popen | None = None
        self.sim_url = ""
        self.state_file: Path | None = None
        self.config = self.dir / "config.toml"
        self.socket = self.dir / "run" / "agent.sock"

    # --- simulator --------------------------------------------------------------------------------

    def start_simulator(self, *, state_file: bool = False, extra: list[str] | None = None) -> str:
        cmd = [PYTHON, "-m", "synctui_santedb.simulator", "--port", "0", "--no-traffic"]
        if state_file:
            self.state_file = self.dir / "dcdr" / "santedb.json"
            self.state_file.parent.mkdir()
            cmd += ["--state-file", str(self.state_file)]
        cmd += extra or []
        self.simulator = subprocess.Popen(
            cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, cwd=self.dir
        )
        assert self.simulator.stdout is not None
        line = self.simulator.stdout.readline()  # "listening on http://127.0.0.1:PORT", or EOF on failure
        match = re.search(r"(http://\S+)", line)
        if not match:
            raise RuntimeError(f"the simulator did not start: {line!r}")
        self.sim_url = match.group(1)
        return self.sim_url

    def start_msupply(self) -> list[str]:
        """An Open mSupply site simulator (no traffic, its sync_buffer database beside it); returns the
        config lines of its backend."""
        port = free_port()
        database = self.dir / "msupply" / "omsupply-database.sqlite"
        database.parent.mkdir()
        proc = self._spawn(
            "msupply",
            [
                "-m",
                "synctui_msupply.simulator",
                "--port",
                str(port),
                "--no-traffic",
                "--database",
                str(database),
            ],
        )
        banner = proc.stderr.readline() if proc.stderr else ""
        found = re.search(r"\(site \S+ / (\S+), hardware id ([^)\s]+)\)", banner)
        if not found:
            raise RuntimeError(f"the mSupply simulator did not start: {banner!r}")
        url = f"http://127.0.0.1:{port}"
        wait_http(url + "/graphql", proc)
        return [
            "[[backends]]", 'name = "bench-pharmacy"', 'kind = "msupply"', f'url = "{url}"',
            'username = "admin"', 'password = "pass"', "", "[backends.options]",
            f'hardware_id = "{found.group(2)}"', f'site_password = "{found.group(1)}"', f'database = "{database}"',
        ]  # fmt: skip

    def start_hcm(self, token: str = "bench-token") -> list[str]:
        """A DIGIT HCM simulator whose field worker writes nothing (interval 0); returns the config lines
        of its backend (the OpLog file watched)."""
        port = free_port()
        oplog = self.dir / "hcm" / "oplog.sqlite"
        oplog.parent.mkdir()
        proc = self._spawn(
            "hcm",
            ["-m", "synctui_hcm.simulator", "--port", str(port), "--oplog", str(oplog), "--token", token,
             "--interval", "0", "--households", "3", "--seed", "1"],
        )  # fmt: skip
        url = f"http://127.0.0.1:{port}"
        wait_http(url + "/simulator/state", proc)
        return [
            "[[backends]]", 'name = "bench-hcm"', 'kind = "hcm"', f'url = "{url}"', 'username = "fw-0001"',
            f'password = "{token}"', "", "[backends.options]", f'oplog = "{oplog}"',
        ]  # fmt: skip

    def _spawn(self, name: str, args: list[str]) -> subprocess.Popen:
        proc = subprocess.Popen(
            [PYTHON, *args], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, cwd=self.dir
        )
        self.others.append(proc)
        return proc

    def enqueue(self, n: int = 1, queue: str = "out") -> None:
        with httpx.Client(base_url=self.sim_url, timeout=10) as http:
            for _ in range(n):
                http.post("/__sim/enqueue", json={"queue": queue}).raise_for_status()

    # --- agent ------------------------------------------------------------------------------------

    def write_config(
        self, *, refresh_interval: float | None = None, watch: bool = True, more: list[str] | None = None
    ) -> Path:
        """A private config (mode 0600, so the demo password may stand in it) for one santedb backend,
        and the lines of `more` backends after it."""
        lines = [
            "[agent]",
            f'socket = "{self.socket}"',
            f'state_dir = "{self.dir / "state"}"',
            "",
            "[[backends]]",
            'name = "bench-tablet"',
            'kind = "santedb"',
            f'url = "{self.sim_url}"',
            'username = "demo"',
            'password = "demo"',
        ]
        if refresh_interval is not None:
            lines.append(f"refresh_interval = {refresh_interval}")
        if watch and self.state_file is not None:
            lines += ["", "[backends.options]", f'database = "{self.state_file}"']
        if more:
            lines += ["", *more]
        self.config.write_text("\n".join(lines) + "\n", encoding="utf-8")
        os.chmod(self.config, 0o600)
        return self.config

    def start_agent(self, timeout: float = 30.0, launcher: list[str] | None = None) -> AgentState:
        """`synctui agent --config F` (`launcher`: what runs it instead of `python -m synctui.cli`);
        returns once the agent serves a fresh (non-stale) snapshot."""
        self.agent = subprocess.Popen(
            [*(launcher or [PYTHON, "-m", "synctui.cli"]), "--config", str(self.config), "agent"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            cwd=self.dir,
        )
        return self.wait_live(timeout)

    def wait_live(self, timeout: float = 30.0) -> AgentState:
        deadline = time.monotonic() + timeout
        last_error = "no answer"
        while time.monotonic() < deadline:
            if self.agent is not None and self.agent.poll() is not None:
                err = self.agent.stderr.read().decode(errors="replace") if self.agent.stderr else ""
                raise RuntimeError(f"the agent exited ({self.agent.returncode}): {err[-2000:]}")
            if self.socket.exists():
                try:
                    state = asyncio.run(self.agent_state())
                except AgentUnavailable as exc:
                    last_error = str(exc)
                else:
                    snap = state.backends[0].snapshot if state.backends else None
                    if snap is not None and not snap.stale:
                        return state
                    last_error = "no fresh snapshot yet"
            time.sleep(0.05)
        raise RuntimeError(f"the agent did not serve live data within {timeout:g} s: {last_error}")

    async def agent_state(self) -> AgentState:
        client = HttpAgentClient(socket=self.socket, timeout=5.0)
        try:
            return await client.state()
        finally:
            await client.aclose()

    def outbox_count(self) -> int | None:
        state = asyncio.run(self.agent_state())
        return state.backends[0].snapshot.queue(QueueKind.OUTBOX).count

    # --- teardown ---------------------------------------------------------------------------------

    def close(self) -> None:
        stop_process(self.agent)
        stop_process(self.simulator)
        for proc in self.others:
            stop_process(proc)
            if proc.stderr is not None:
                proc.stderr.close()
        if self.agent is not None and self.agent.stderr is not None:
            self.agent.stderr.close()
        if self.simulator is not None and self.simulator.stdout is not None:
            self.simulator.stdout.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self) -> Stack:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
