"""Machinery of the chaos test (test_chaos.py): the three simulators and an agent as real processes on
loopback, a random driver of the agent's HTTP API, an RSS sampler and the end-of-run checks.

Every loop is bounded in count and time; every process is started through a ProcessGroup, which the
`procs` fixture stops in teardown.
"""

from __future__ import annotations

import json
import random
import sqlite3
import statistics
import sys
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psutil
from synctui_hcm.oplog import OpLogStore

from synctui.pin import hash_pin

from .stack import (
    LOOPBACK,
    AgentProcess,
    Proc,
    ProcessGroup,
    Simulator,
    free_port,
    queue_counts,
    start_agent_process,
    start_simulator,
    wait_until,
    write_config,
)

FAULT_RATE = 0.3
BACKEND_TIMEOUT = 2.5  # seconds; every simulator's "timeout" fault stalls longer than this
STALL = 4.0
PIN = "2468"
HCM_TOKEN = "sim-token"
HCM_MAX_ATTEMPTS = 3
QUEUES = ("outbox", "inbox", "admin", "conflicts")
MSUPPLY_SCRIPT = Path(__file__).with_name("chaos_msupply_sim.py")


# --- the simulators ----------------------------------------------------------------------------------


@dataclass
class MSupplySim:
    proc: Proc
    port: int
    database: Path
    hardware_id: str
    site_password: str

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    def _post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        with httpx.Client(base_url=self.url, timeout=5.0) as client:
            response = client.post(path, json=body)
            response.raise_for_status()
            return response.json()

    def state(self) -> dict[str, Any]:
        with httpx.Client(base_url=self.url, timeout=5.0) as client:
            response = client.get("/__chaos/state")
            response.raise_for_status()
            return response.json()

    def set_faults(self, rate: float) -> None:
        self._post("/__chaos/faults", {"rate": rate})

    def traffic(self, on: bool) -> None:
        self._post("/__chaos/traffic", {"on": on})

    def counts(self) -> dict[str, int]:
        """The queues the site itself can tell: its push queue and its sync_buffer errors (the agent's
        Inbox is "left to pull in a running sync" and mSupply has no Admin queue)."""
        state = self.state()
        return {"outbox": state["push_queue"], "conflicts": state["integration_errors"]}

    def backend(self) -> dict[str, Any]:
        return {
            "name": "msupply",
            "kind": "msupply",
            "url": self.url,
            "username": "admin",
            "password": "pass",
            "refresh_interval": 1.0,
            "timeout": BACKEND_TIMEOUT,
            "options": {
                "hardware_id": self.hardware_id,
                "site_password": self.site_password,
                "database": str(self.database),
                "poll_seconds": 0.3,
                "poll_backoff_seconds": 0.2,
                "retry_wait_seconds": 3.0,
                "sync_timeout_seconds": 60.0,
            },
        }


def start_msupply(group: ProcessGroup, base: Path, timeout: float = 20.0) -> MSupplySim:
    port = free_port()
    database = base / "msupply-site.sqlite"
    cmd = [
        sys.executable,
        str(MSUPPLY_SCRIPT),
        "--port",
        str(port),
        "--faults",
        str(FAULT_RATE),
        "--timeout-seconds",
        str(STALL),
        "--database",
        str(database),
        "--interval",
        "20",
    ]
    proc = group.spawn("msupply-sim", cmd)
    match = proc.wait_line(
        r"listening on http://127\.0\.0\.1:(\d+) hardware_id=(\S+) password=(\S+)", timeout
    )
    assert int(match.group(1)) == port
    return MSupplySim(proc, port, database, match.group(2), match.group(3))


@dataclass
class HcmSim:
    proc: Proc
    port: int
    oplog: Path

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    def state(self) -> dict[str, Any]:
        with httpx.Client(base_url=self.url, timeout=5.0) as client:
            response = client.get("/simulator/state")
            response.raise_for_status()
            return response.json()

    def set_faults(self, rate: float) -> None:
        with httpx.Client(base_url=self.url, timeout=5.0) as client:
            client.post("/simulator/faults", json={"rate": rate}).raise_for_status()

    def counts(self) -> dict[str, int | None]:
        """The queues as the device's OpLog file holds them right now (read with the plugin's reader,
        through a connection of our own: what the agent reports must be the file's current state)."""
        store = OpLogStore(self.oplog, max_attempts=HCM_MAX_ATTEMPTS)
        try:
            raw = store.counts()
        finally:
            store.close()
        return {
            str(getattr(k, "value", k)): v[0] for k, v in raw.items() if str(getattr(k, "value", k)) in QUEUES
        }

    def has_row(self, row_id: str) -> bool:
        with sqlite3.connect(f"file:{self.oplog}?mode=ro", uri=True, timeout=5.0) as conn:
            return conn.execute("SELECT 1 FROM oplog WHERE id = ?", (int(row_id),)).fetchone() is not None

    def backend(self) -> dict[str, Any]:
        return {
            "name": "hcm",
            "kind": "hcm",
            "url": self.url,
            "username": "fw-0001",
            "password": HCM_TOKEN,
            "refresh_interval": 1.0,
            "timeout": BACKEND_TIMEOUT,
            "options": {
                "oplog": str(self.oplog),
                "tenant_id": "default",
                "user_info": {"uuid": "fw-0001", "userName": "fw-0001", "type": "EMPLOYEE"},
                "batch_size": 10,
                "pause_seconds": 0.2,
                "retry_interval": 0.5,
                "resend_grace": 5.0,
                "max_passes": 4,
                "max_attempts": HCM_MAX_ATTEMPTS,
                "health_interval": 5.0,
                "poll_backoff": 0.2,
            },
        }


def start_hcm(group: ProcessGroup, base: Path, timeout: float = 20.0) -> HcmSim:
    port = free_port()
    oplog = base / "hcm-oplog.sqlite"
    cmd = [
        sys.executable,
        "-m",
        "synctui_hcm.simulator",
        "--port",
        str(port),
        "--oplog",
        str(oplog),
        "--token",
        HCM_TOKEN,
        "--faults",
        str(FAULT_RATE),
        "--seed",
        "9",
        "--interval",
        "3",
        "--households",
        "3",
    ]
    proc = group.spawn("hcm-sim", cmd)
    sim = HcmSim(proc, port, oplog)

    def up() -> bool:
        if proc.popen.poll() is not None:
            raise AssertionError(f"the HCM simulator exited\n{proc.output()}")
        sim.state()
        return True

    wait_until(up, timeout, "the HCM simulator's /simulator/state")
    return sim


# --- the whole stack ---------------------------------------------------------------------------------


@dataclass
class ChaosStack:
    base: Path
    santedb: Simulator
    msupply: MSupplySim
    hcm: HcmSim
    agent: AgentProcess

    def client(self, timeout: float = 60.0) -> httpx.Client:
        transport = httpx.HTTPTransport(uds=str(self.agent.socket))
        return httpx.Client(transport=transport, base_url="http://agent", timeout=timeout)

    def sim_counts(self, name: str) -> dict[str, int | None]:
        if name == "santedb":
            return dict(self.santedb.counts())
        if name == "msupply":
            return dict(self.msupply.counts())
        return self.hcm.counts()

    def stop_faults(self) -> None:
        self.santedb.set_faults(0.0)
        self.msupply.set_faults(0.0)
        self.hcm.set_faults(0.0)

    def injected(self) -> dict[str, dict[str, int]]:
        return {
            "santedb": self.santedb.state()["faults"]["injected"],
            "msupply": self.msupply.state()["faults"]["injected"],
            "hcm": self.hcm.state().get("faults", {}).get("injected", {}),
        }


BACKENDS = ("santedb", "msupply", "hcm")


def build_chaos_stack(base: Path, group: ProcessGroup) -> ChaosStack:
    santedb = start_simulator(
        group, base, "--no-traffic", "--faults", str(FAULT_RATE), "--timeout-delay", str(STALL)
    )
    msupply = start_msupply(group, base)
    hcm = start_hcm(group, base)
    socket_path = base / "run" / "agent.sock"
    config = write_config(
        base / "config.toml",
        socket_path=socket_path,
        state_dir=base / "state",
        backends=[
            santedb.backend(name="santedb", timeout=BACKEND_TIMEOUT, refresh_interval=1.0),
            msupply.backend(),
            hcm.backend(),
        ],
        agent_extra={"admin_pin_hash": hash_pin(PIN)},
    )
    agent = start_agent_process(group, config, socket_path, timeout=30.0)
    return ChaosStack(base, santedb, msupply, hcm, agent)


# --- RSS ---------------------------------------------------------------------------------------------


class RssSampler:
    """The agent's resident set size every `every` seconds, in a thread, until `stop()`."""

    def __init__(self, pid: int, every: float = 2.0) -> None:
        self.process = psutil.Process(pid)
        self.every = every
        self.samples: list[tuple[float, int]] = []  # (seconds since start, bytes)
        self._stop = threading.Event()
        self._started = time.monotonic()
        self._thread = threading.Thread(target=self._run, name="rss sampler", daemon=True)

    def start(self) -> RssSampler:
        self._started = time.monotonic()
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                rss = self.process.memory_info().rss
            except psutil.Error:
                return
            self.samples.append((time.monotonic() - self._started, rss))
            self._stop.wait(self.every)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def growth(self, warmup: float, duration: float) -> tuple[float, float, float]:
        """(median MB of the first quarter after warm-up, median MB of the last quarter, growth MB).
        The quarters are of the time after warm-up."""
        span = max(duration - warmup, 1.0)
        early = [r for t, r in self.samples if warmup <= t <= warmup + span / 4]
        late = [r for t, r in self.samples if duration - span / 4 <= t <= duration]
        assert early and late, f"too few RSS samples: {len(self.samples)}"
        mb = 1024 * 1024
        first, last = statistics.median(early) / mb, statistics.median(late) / mb
        return first, last, last - first


# --- the random driver -------------------------------------------------------------------------------


@dataclass
class Discard:
    key: str
    backend: str
    queue: str
    ids: list[str]
    answer: dict[str, Any] | None = None


@dataclass
class Driver:
    """Random actions through the agent's API at a bounded rate."""

    stack: ChaosStack
    rng: random.Random
    statuses: Counter[str] = field(default_factory=Counter)  # "action status" -> n
    server_errors: list[str] = field(default_factory=list)  # 500s: an exception inside the agent
    transport_errors: list[str] = field(default_factory=list)  # the agent did not answer at all
    discards: list[Discard] = field(default_factory=list)
    pool: dict[tuple[str, str], list[str]] = field(default_factory=dict)  # (backend, queue) -> ids
    capabilities: dict[str, set[str]] = field(default_factory=dict)
    log_keys: dict[str, list[str]] = field(default_factory=dict)
    retried: dict[str, set[str] | None] = field(default_factory=dict)  # backend -> ids (None: all)
    counts: dict[str, dict[str, int | None]] = field(default_factory=dict)
    actions: int = 0

    def request(
        self, client: httpx.Client, name: str, method: str, path: str, **kw: Any
    ) -> httpx.Response | None:
        self.actions += 1
        try:
            response = client.request(method, path, **kw)
        except httpx.HTTPError as exc:
            self.transport_errors.append(f"{name} {method} {path}: {exc!r}")
            self.statuses[f"{name} no-answer"] += 1
            return None
        self.statuses[f"{name} {response.status_code}"] += 1
        if response.status_code >= 500 and response.status_code != 502 and response.status_code != 504:
            self.server_errors.append(f"{name} {method} {path}: {response.status_code} {response.text[:300]}")
        return response

    def change_headers(self, pin: bool = True) -> dict[str, str]:
        headers = {"Idempotency-Key": uuid.uuid4().hex}
        if pin:
            headers["X-Synctui-Pin"] = PIN
        return headers

    # each action: one or two requests
    def maybe_retried(self, backend: str, entry_id: str) -> bool:
        """Whether a retry (of this entry, or of everything) was asked for on this backend."""
        if backend not in self.retried:
            return False
        ids = self.retried[backend]
        return ids is None or entry_id in ids

    def read_state(self, client: httpx.Client) -> None:
        response = self.request(client, "state", "GET", "/v1/state")
        if response is None or response.status_code != 200:
            return
        for view in response.json()["backends"]:
            snap = view["snapshot"]
            name = snap["backend"]
            self.capabilities[name] = set(snap.get("capabilities") or [])
            self.counts[name] = queue_counts(snap)
            self.log_keys[name] = [row["key"] for row in snap.get("log") or [] if row.get("key")]

    def pick_backend(self, capability: str | None = None) -> str | None:
        names = [b for b in BACKENDS if capability is None or capability in self.capabilities.get(b, set())]
        return self.rng.choice(names) if names else None

    def pick_ids(self, backend: str, queue: str, most: int = 3) -> list[str]:
        ids = self.pool.get((backend, queue)) or []
        return self.rng.sample(ids, min(len(ids), self.rng.randint(1, most))) if ids else []

    def list_queue(self, client: httpx.Client) -> None:
        backend = self.pick_backend("entries")
        if backend is None:
            return
        queue = "conflicts" if self.rng.random() < 0.4 else self.rng.choice(QUEUES)
        total = (self.counts.get(backend) or {}).get(queue) or 0
        offset = self.rng.randint(0, max(0, total - 1)) if total and self.rng.random() < 0.4 else 0
        limit = self.rng.choice((1, 5, 20, 50))
        response = self.request(
            client,
            "queue-list",
            "GET",
            f"/v1/backends/{backend}/queues/{queue}",
            params={"offset": offset, "limit": limit},
        )
        if response is not None and response.status_code == 200:
            entries = response.json().get("entries") or []
            ids = [str(e["id"]) for e in entries if isinstance(e, dict) and e.get("id") is not None]
            self.pool[(backend, queue)] = ids[-50:]

    def read_entry(self, client: httpx.Client) -> None:
        keys = [k for k, v in self.pool.items() if v]
        if not keys:
            return self.list_queue(client)
        backend, queue = self.rng.choice(keys)
        entry_id = self.rng.choice(self.pool[(backend, queue)])
        self.request(client, "entry", "GET", f"/v1/backends/{backend}/queues/{queue}/{entry_id}")

    def compare(self, client: httpx.Client) -> None:
        keys = [k for k, v in self.pool.items() if v and "compare" in self.capabilities.get(k[0], set())]
        if not keys:
            return
        backend, queue = self.rng.choice(keys)
        entry_id = self.rng.choice(self.pool[(backend, queue)])
        self.request(client, "compare", "GET", f"/v1/backends/{backend}/compare/{queue}/{entry_id}")

    def synchronize(self, client: httpx.Client) -> None:
        backend = self.pick_backend("synchronize")
        if backend:
            self.request(
                client,
                "synchronize",
                "POST",
                f"/v1/backends/{backend}/synchronize",
                headers=self.change_headers(),
            )

    def retry(self, client: httpx.Client) -> None:
        backend = self.pick_backend("retry")
        if backend is None:
            return
        ids = self.pick_ids(backend, "conflicts")
        everything = not ids or self.rng.random() < 0.3
        body: dict[str, Any] = {"all": True} if everything else {"ids": ids}
        name = "retry-all" if everything else "retry"
        if everything:
            self.retried[backend] = None
        elif self.retried.get(backend, set()) is not None:
            self.retried.setdefault(backend, set()).update(ids)  # type: ignore[union-attr]
        self.request(
            client, name, "POST", f"/v1/backends/{backend}/retry", json=body, headers=self.change_headers()
        )

    def discard(self, client: httpx.Client) -> None:
        backend = self.pick_backend("discard")
        if backend is None:
            return
        queue = "outbox" if self.rng.random() < 0.15 else "conflicts"
        ids = self.pick_ids(backend, queue, most=2)
        if not ids:
            return
        headers = self.change_headers()
        record = Discard(headers["Idempotency-Key"], backend, queue, ids)
        self.discards.append(record)
        response = self.request(
            client,
            "discard",
            "POST",
            f"/v1/backends/{backend}/discard",
            json={"queue": queue, "ids": ids},
            headers=headers,
        )
        if response is not None and response.status_code == 200:
            record.answer = response.json()
            gone = set(ids)
            self.pool[(backend, queue)] = [i for i in self.pool.get((backend, queue), []) if i not in gone]

    def reset(self, client: httpx.Client) -> None:
        backend = self.pick_backend("reset")
        if backend is None:
            return
        keys = self.log_keys.get(backend) or []
        body: dict[str, Any] = (
            {"keys": [self.rng.choice(keys)]} if keys and self.rng.random() < 0.7 else {"all": True}
        )
        self.request(
            client, "reset", "POST", f"/v1/backends/{backend}/reset", json=body, headers=self.change_headers()
        )

    def count_remotes(self, client: httpx.Client) -> None:
        backend = self.pick_backend("count_remotes")
        if backend:
            self.request(client, "count-remotes", "POST", f"/v1/backends/{backend}/count-remotes")

    def check_connection(self, client: httpx.Client) -> None:
        backend = self.pick_backend("check_connection")
        if backend:
            self.request(client, "check-connection", "POST", f"/v1/backends/{backend}/check-connection")

    def refresh(self, client: httpx.Client) -> None:
        if self.rng.random() < 0.3:
            self.request(client, "refresh-all", "POST", "/v1/refresh")
        else:
            self.request(client, "refresh", "POST", f"/v1/backends/{self.rng.choice(BACKENDS)}/refresh")

    def records(self, client: httpx.Client) -> None:
        path = self.rng.choice(
            ("/v1/audit?limit=50", "/v1/archive?limit=50", "/healthz", "/v1/plugins", "/metrics")
        )
        self.request(client, "read " + path.split("?")[0], "GET", path)

    def step(self, client: httpx.Client) -> None:
        actions = (
            (self.read_state, 10),
            (self.list_queue, 10),
            (self.read_entry, 8),
            (self.synchronize, 6),
            (self.retry, 5),
            (self.discard, 8),
            (self.compare, 4),
            (self.check_connection, 4),
            (self.refresh, 4),
            (self.count_remotes, 3),
            (self.records, 3),
            (self.reset, 2),
        )
        fn = self.rng.choices([a for a, _ in actions], weights=[w for _, w in actions])[0]
        fn(client)


class SanteTraffic:
    """The SanteDB simulator's own traffic generator, stepped by the test (`POST /__sim/tick`) so it
    can be stopped before the counts are compared; now and then an entry the server will reject (it
    lands in dead-letter: something to retry and discard)."""

    def __init__(self, sim: Simulator, rng: random.Random, every: float = 1.0) -> None:
        self.sim = sim
        self.rng = rng
        self.every = every
        self.ticks = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="santedb traffic", daemon=True)

    def start(self) -> SanteTraffic:
        self._thread.start()
        return self

    def _run(self) -> None:
        with httpx.Client(base_url=self.sim.url, timeout=10.0) as client:
            while not self._stop.wait(self.every * self.rng.uniform(0.5, 1.5)):
                try:
                    client.post(
                        "/__sim/tick",
                        json={"steps": self.rng.randint(1, 4), "sync": self.rng.random() < 0.15},
                    )
                    if self.rng.random() < 0.3:
                        fate = self.rng.choice((409, 422, 500, 404, 410))
                        client.post(
                            "/__sim/enqueue", json={"queue": "out", "resourceType": "Patient", "fate": fate}
                        )
                    self.ticks += 1
                except httpx.HTTPError:
                    continue

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=15)


# --- settling and the checks -------------------------------------------------------------------------


def wait_action_done(client: httpx.Client, backend: str, timeout: float) -> None:
    """Until the backend's current action (if any) is no longer running."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            state = client.get("/v1/state").json()
        except (httpx.HTTPError, ValueError):
            time.sleep(0.5)
            continue
        view = next(v for v in state["backends"] if v["snapshot"]["backend"] == backend)
        action = view.get("action")
        if not action or action.get("state") != "running":
            return
        time.sleep(0.3)


def agent_counts(client: httpx.Client) -> tuple[dict[str, dict[str, int | None]], dict[str, float]]:
    """Counts per backend and the time (epoch seconds) each snapshot was taken."""
    from datetime import datetime

    response = client.get("/v1/state")
    response.raise_for_status()
    counts, taken = {}, {}
    for view in response.json()["backends"]:
        snap = view["snapshot"]
        counts[snap["backend"]] = queue_counts(snap)
        taken[snap["backend"]] = datetime.fromisoformat(snap["taken_at"]).timestamp()
    return counts, taken


def settle(stack: ChaosStack, client: httpx.Client, timeout: float) -> dict[str, list[Any]]:
    """Synchronize Now on every backend until its outbox count stops changing (bounded)."""
    history: dict[str, list[Any]] = {b: [] for b in BACKENDS}
    deadline = time.monotonic() + timeout
    for backend in BACKENDS:
        previous = None
        for _ in range(6):
            if time.monotonic() > deadline:
                break
            wait_action_done(client, backend, max(1.0, deadline - time.monotonic()))
            client.post(
                f"/v1/backends/{backend}/synchronize",
                headers={"Idempotency-Key": uuid.uuid4().hex, "X-Synctui-Pin": PIN},
            )
            time.sleep(0.5)
            wait_action_done(client, backend, max(1.0, deadline - time.monotonic()))
            client.post(f"/v1/backends/{backend}/refresh")
            time.sleep(1.5)
            outbox = agent_counts(client)[0][backend].get("outbox")
            history[backend].append(outbox)
            if outbox == previous:
                break
            previous = outbox
    return history


def converged_counts(
    stack: ChaosStack, client: httpx.Client, backend: str, timeout: float
) -> tuple[bool, dict[str, Any], dict[str, Any]]:
    """Compare the agent's counts with the simulator's at a quiet moment: the simulator's counts read
    before and after an agent snapshot taken in between, both the same. Retried within `timeout` (the
    HCM field worker keeps saving households). Returns (equal, agent counts, simulator counts)."""
    deadline = time.monotonic() + timeout
    agent, sim = {}, {}
    while time.monotonic() < deadline:
        before = stack.sim_counts(backend)
        started = time.time()
        client.post(f"/v1/backends/{backend}/refresh")

        def fresh(started: float = started) -> dict[str, int | None] | None:
            counts, taken = agent_counts(client)
            return counts[backend] if taken[backend] > started else None

        try:
            agent_all = wait_until(fresh, 10, f"a fresh snapshot of {backend}", interval=0.2)
        except AssertionError:
            continue
        after = stack.sim_counts(backend)
        if before != after:
            continue  # the simulator changed meanwhile: not a quiet moment
        agent = {k: agent_all.get(k) for k in before}
        sim = before
        if agent == sim:
            return True, agent_all, sim
        time.sleep(0.5)
    return False, agent, sim


def archive_ids(client: httpx.Client) -> dict[tuple[str, str], str]:
    response = client.get("/v1/archive", params={"limit": 10_000})
    response.raise_for_status()
    found = {}
    for record in response.json():
        entry = record.get("entry") or {}
        found[(record.get("backend"), str(entry.get("id")))] = record.get("archive_id")
    return found


def audit_by_key(client: httpx.Client) -> dict[str, list[dict[str, Any]]]:
    response = client.get("/v1/audit", params={"limit": 10_000})
    response.raise_for_status()
    out: dict[str, list[dict[str, Any]]] = {}
    for record in response.json():
        out.setdefault(str(record.get("id")), []).append(record)
    return out


def santedb_ids(sim: Simulator) -> set[str]:
    state = sim.state()
    return {str(e.get("id")) for entries in state["queues"].values() for e in entries}


def json_short(value: Any) -> str:
    return json.dumps(value, default=str)[:400]
