"""Real processes on loopback for the end-to-end tests: the SanteDB simulator, `synctui agent`, the CLI.

Every wait is bounded (a deadline, never a bare sleep), every process started here is stopped in
teardown (SIGTERM, then SIGKILL after a grace period), and nothing binds anything but 127.0.0.1 or a
Unix socket in a private temporary folder.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

LOOPBACK = "127.0.0.1"
USERNAME = "clerk"
PASSWORD = "e2e-Pa55w0rd-must-never-show"  # distinctive, so a leak is easy to spot
E2E_PLUGIN_DIR = Path(__file__).parent / "plugins"
STOP_GRACE = 5.0

# Queue names of the simulator (GET /__sim/state "counts") -> synctui QueueKind values.
SIM_QUEUES = {"out": "outbox", "in": "inbox", "admin": "admin", "deadletter": "conflicts"}


# --- waiting ---------------------------------------------------------------------------------------


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        return sock.getsockname()[1]


def wait_until(predicate: Callable[[], Any], timeout: float, what: str, interval: float = 0.1) -> Any:
    """Poll `predicate` until it returns something truthy; fail with `what` at the deadline."""
    deadline = time.monotonic() + timeout
    last_error: BaseException | None = None
    while True:
        try:
            result = predicate()
        except Exception as exc:  # keep polling; report the last failure if time runs out
            last_error, result = exc, None
        if result:
            return result
        if time.monotonic() > deadline:
            detail = f" (last error: {last_error!r})" if last_error else ""
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}{detail}")
        time.sleep(interval)


def poll_http(
    url: str,
    *,
    timeout: float,
    predicate: Callable[[httpx.Response], bool] = lambda r: r.status_code == 200,
    uds: str | Path | None = None,
    request_timeout: float = 2.0,
) -> httpx.Response:
    """GET `url` until `predicate(response)` holds (on loopback or over a Unix socket `uds`)."""
    transport = httpx.HTTPTransport(uds=str(uds)) if uds else None
    with httpx.Client(transport=transport, timeout=request_timeout) as client:

        def attempt() -> httpx.Response | None:
            response = client.get(url)
            return response if predicate(response) else None

        return wait_until(attempt, timeout, f"GET {url}")


class Proc:
    """A child process whose stdout is read line by line in a thread (so waits can have deadlines)."""

    def __init__(self, name: str, args: Sequence[str], env: dict[str, str], cwd: Path) -> None:
        self.name = name
        self.args = list(args)
        self.stderr_path = cwd / f"{name}-{uuid.uuid4().hex[:6]}.stderr"
        self._stderr = self.stderr_path.open("wb")
        self.popen = subprocess.Popen(
            self.args,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            env=env,
            cwd=cwd,
            text=True,
            bufsize=1,
            start_new_session=True,  # a terminal Ctrl-C on pytest does not hit it; we stop it ourselves
        )
        self.lines: list[str] = []
        self._new: queue.Queue[str | None] = queue.Queue()
        self._reader = threading.Thread(target=self._read, name=f"stdout of {name}", daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.popen.stdout is not None
        for line in self.popen.stdout:
            self.lines.append(line.rstrip("\n"))
            self._new.put(line)
        self._new.put(None)

    @property
    def pid(self) -> int:
        return self.popen.pid

    def wait_line(self, pattern: str, timeout: float) -> re.Match[str]:
        """The first stdout line (seen so far or coming) that matches `pattern`."""
        regex = re.compile(pattern)
        deadline = time.monotonic() + timeout
        seen = 0
        while True:
            for line in self.lines[seen:]:
                seen += 1
                match = regex.search(line)
                if match:
                    return match
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(
                    f"{self.name}: no line matching {pattern!r} within {timeout:g} s\n{self.output()}"
                )
            try:
                item = self._new.get(timeout=min(remaining, 0.2))
            except queue.Empty:
                continue
            if item is None and self.popen.poll() is not None and seen >= len(self.lines):
                raise AssertionError(
                    f"{self.name} exited ({self.popen.returncode}) before printing {pattern!r}\n"
                    f"{self.output()}"
                )

    def stderr(self) -> str:
        self._stderr.flush()
        return self.stderr_path.read_text(errors="replace")

    def output(self) -> str:
        return f"--- stdout of {self.name}:\n" + "\n".join(self.lines) + f"\n--- stderr:\n{self.stderr()}"

    def stop(self, grace: float = STOP_GRACE) -> int | None:
        """SIGTERM, then SIGKILL if it does not exit within `grace` seconds."""
        if self.popen.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(grace)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    self.popen.kill()
                self.popen.wait(grace)
        self._reader.join(timeout=2)
        self._stderr.close()
        return self.popen.returncode


class ProcessGroup:
    """Processes started for one fixture scope; `stop_all` ends each of them by its own pid."""

    def __init__(self, env: dict[str, str], cwd: Path) -> None:
        self.env = env
        self.cwd = cwd
        self.procs: list[Proc] = []

    def spawn(self, name: str, args: Sequence[str], env: dict[str, str] | None = None) -> Proc:
        proc = Proc(name, args, {**self.env, **(env or {})}, self.cwd)
        self.procs.append(proc)
        return proc

    def stop_all(self) -> None:
        for proc in reversed(self.procs):
            proc.stop()


# --- environment -----------------------------------------------------------------------------------


def child_env(base: Path, **extra: str) -> dict[str, str]:
    """The environment of every child: private XDG folders, no SYNCTUI_* from the developer."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SYNCTUI_")}
    for var, sub in (("XDG_CONFIG_HOME", "xdg-config"), ("XDG_STATE_HOME", "xdg-state")):
        env[var] = str(base / sub)
    runtime = base / "xdg-run"
    runtime.mkdir(mode=0o700, exist_ok=True)
    env["XDG_RUNTIME_DIR"] = str(runtime)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(E2E_PLUGIN_DIR), env.get("PYTHONPATH", "")]))
    env["PYTHONUNBUFFERED"] = "1"
    env.setdefault("TERM", "xterm-256color")
    env.pop("NO_COLOR", None)
    env.update(extra)
    return env


@contextlib.contextmanager
def short_temp_dir() -> Iterator[Path]:
    """A private folder with a short path: Unix socket paths must stay under ~100 bytes."""
    path = Path(tempfile.mkdtemp(prefix="stui-e2e-", dir="/tmp"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def synctui_cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "synctui.cli", *args]


def run_cli(
    *args: str, env: dict[str, str], cwd: Path, timeout: float = 20.0
) -> subprocess.CompletedProcess[str]:
    """One `synctui ...` command to completion (bounded)."""
    return subprocess.run(
        synctui_cmd(*args),
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )


# --- the simulator ---------------------------------------------------------------------------------


@dataclass
class Simulator:
    proc: Proc
    port: int
    state_file: Path
    password: str

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    def _client(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=5.0)

    def state(self) -> dict[str, Any]:
        with self._client() as client:
            response = client.get("/__sim/state")
            response.raise_for_status()
            return response.json()

    def counts(self) -> dict[str, int]:
        """Queue counts as synctui names them (outbox, inbox, admin, conflicts)."""
        raw = self.state()["counts"]
        return {SIM_QUEUES[k]: int(v) for k, v in raw.items()}

    def post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        with self._client() as client:
            response = client.post(path, json=body)
            response.raise_for_status()
            return response.json()

    def set_faults(self, rate: float, **extra: Any) -> dict[str, Any]:
        return self.post("/__sim/faults", {"rate": rate, **extra})

    def enqueue(self, queue_name: str = "out", resource_type: str = "Patient") -> dict[str, Any]:
        return self.post("/__sim/enqueue", {"queue": queue_name, "resourceType": resource_type})

    def backend(self, name: str = "clinic", **overrides: Any) -> dict[str, Any]:
        """A [[backends]] table for this simulator."""
        table: dict[str, Any] = {
            "name": name,
            "kind": "santedb",
            "url": self.url,
            "username": USERNAME,
            "password": self.password,
            "refresh_interval": 0.5,
            "timeout": 5.0,
            "options": {"database": str(self.state_file), "log_interval": 5},
        }
        table.update(overrides)
        return table


def start_simulator(group: ProcessGroup, state_dir: Path, *args: str, timeout: float = 15.0) -> Simulator:
    """`python -m synctui_santedb.simulator` on a free loopback port; waits for its "listening on" line."""
    state_file = state_dir / f"sim-{uuid.uuid4().hex[:6]}.json"
    port = free_port()
    cmd = [
        sys.executable,
        "-m",
        "synctui_santedb.simulator",
        "--host",
        LOOPBACK,
        "--port",
        str(port),
        "--state-file",
        str(state_file),
        "--username",
        USERNAME,
        "--password",
        PASSWORD,
        *args,
    ]
    proc = group.spawn("simulator", cmd)
    match = proc.wait_line(r"listening on http://127\.0\.0\.1:(\d+)", timeout)
    assert int(match.group(1)) == port
    return Simulator(proc, port, state_file, PASSWORD)


# --- config and the agent --------------------------------------------------------------------------


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)  # a JSON string is a valid TOML basic string
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, dict):  # an inline table (keys written as quoted strings)
        return "{" + ", ".join(f"{json.dumps(str(k))} = {_toml_value(v)}" for k, v in value.items()) + "}"
    raise TypeError(f"cannot write {value!r} as TOML")


def write_config(
    path: Path,
    *,
    socket_path: Path,
    state_dir: Path,
    backends: Sequence[dict[str, Any]] = (),
    plugins: Sequence[str] = (),
    flush_interval: float = 1.0,
    agent_extra: dict[str, Any] | None = None,
) -> Path:
    """A config TOML with mode 0600 (it may hold a password in the clear). `agent_extra`: more
    [agent] keys (e.g. admin_pin_hash)."""
    lines = [
        "[agent]",
        f"socket = {_toml_value(str(socket_path))}",
        f"state_dir = {_toml_value(str(state_dir))}",
        f"flush_interval = {flush_interval!r}",
    ]
    lines += [f"{k} = {_toml_value(v)}" for k, v in (agent_extra or {}).items()]
    if plugins:
        lines.append(f"plugins = {_toml_value(list(plugins))}")
    for backend in backends:
        lines += ["", "[[backends]]"]
        options = backend.get("options", {})
        lines += [f"{k} = {_toml_value(v)}" for k, v in backend.items() if k != "options"]
        if options:
            lines.append("[backends.options]")
            lines += [f"{k} = {_toml_value(v)}" for k, v in options.items()]
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write("\n".join(lines) + "\n")
    os.chmod(path, 0o600)
    return path


@dataclass
class AgentProcess:
    proc: Proc
    socket: Path
    config: Path

    def get(self, path: str, timeout: float = 3.0) -> httpx.Response:
        transport = httpx.HTTPTransport(uds=str(self.socket))
        with httpx.Client(transport=transport, base_url="http://agent", timeout=timeout) as client:
            return client.get(path)

    def state(self) -> dict[str, Any]:
        response = self.get("/v1/state")
        response.raise_for_status()
        return response.json()

    def backend(self, name: str) -> dict[str, Any]:
        for view in self.state()["backends"]:
            if view["snapshot"]["backend"] == name:
                return view["snapshot"]
        raise KeyError(name)


def start_agent_process(
    group: ProcessGroup, config: Path, socket_path: Path, timeout: float = 20.0
) -> AgentProcess:
    """`synctui --config F agent`; waits for its "listening on" line and a /healthz answer."""
    proc = group.spawn("agent", synctui_cmd("--config", str(config), "agent"))
    proc.wait_line(r"synctui agent listening on", timeout)
    poll_http("http://agent/healthz", uds=socket_path, timeout=timeout)
    return AgentProcess(proc, socket_path, config)


def queue_counts(snapshot: dict[str, Any]) -> dict[str, int | None]:
    """{outbox: n, ...} from a snapshot as the agent API sends it."""
    return {q["kind"]: q["count"] for q in snapshot["queues"]}


@dataclass
class Stack:
    """A simulator, a config for it and an agent process serving it."""

    base: Path
    env: dict[str, str]
    group: ProcessGroup
    sim: Simulator
    agent: AgentProcess

    @property
    def config(self) -> Path:
        return self.agent.config


def build_stack(base: Path, group: ProcessGroup, *sim_args: str, **backend_overrides: Any) -> Stack:
    sim = start_simulator(group, base, "--no-traffic", *sim_args)
    socket_path = base / "run" / "agent.sock"
    config = write_config(
        base / "config.toml",
        socket_path=socket_path,
        state_dir=base / "state",
        backends=[sim.backend(**backend_overrides)],
    )
    agent = start_agent_process(group, config, socket_path)
    return Stack(base, group.env, group, sim, agent)


@contextlib.contextmanager
def running_stack() -> Iterator[Stack]:
    """A private folder, one simulator (no background traffic, so counts hold still) and one agent
    that has read it once; every process is stopped on the way out. For a module-scoped fixture."""
    with short_temp_dir() as base:
        group = ProcessGroup(child_env(base), base)
        try:
            running = build_stack(base, group)
            wait_until(lambda: not running.agent.backend("clinic")["stale"], 15, "the agent's first snapshot")
            yield running
        finally:
            group.stop_all()
