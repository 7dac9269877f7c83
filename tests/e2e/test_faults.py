"""30 % of the simulator's answers go wrong: the agent stays up, keeps the data, says why, recovers.

The simulator is a real process (faults over a real socket: resets, stalls, 500s, garbage JSON, wrong
types); the agent runs in-process (`start_agent`) so its backoff can be kept short.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from synctui.agent.run import RunningAgent, start_agent
from synctui.client import HttpAgentClient
from synctui.config import load_config
from synctui.model import AgentState, Snapshot, from_data
from synctui.plugins import load_plugins
from synctui.tui.app import SyncTuiApp
from synctui.tui.screens.help import HelpScreen
from synctui.tui.screens.main import MainScreen

from .stack import PASSWORD, ProcessGroup, Simulator, start_simulator, write_config

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(60)]

FAULT_RATE = 0.3
STALL = 0.3  # seconds a "timeout" fault stalls: well under the backend timeout below
BACKEND_TIMEOUT = 1.0


@dataclass
class FaultyStack:
    sim: Simulator
    running: RunningAgent
    client: HttpAgentClient
    http: httpx.AsyncClient  # raw API access over the agent's socket

    async def clinic(self) -> Snapshot:
        state = await self.client.state()
        view = state.view("clinic")
        assert view is not None
        return view.snapshot

    async def sim_call(self, fn: Callable[..., Any], *args: Any, **kw: Any) -> Any:
        return await asyncio.to_thread(fn, *args, **kw)


async def wait_async(predicate: Callable[[], Awaitable[Any]], timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        result = await predicate()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
        await asyncio.sleep(0.1)


def counts_of(snapshot: Snapshot) -> dict[str, int | None]:
    return {q.kind.value: q.count for q in snapshot.queues}


@pytest.fixture
async def faulty(
    procs: ProcessGroup, e2e_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[FaultyStack]:
    sim = start_simulator(
        procs, e2e_dir, "--no-traffic", "--faults", str(FAULT_RATE), "--timeout-delay", str(STALL)
    )
    backend = sim.backend(timeout=BACKEND_TIMEOUT, refresh_interval=0.5)
    config_path = write_config(
        e2e_dir / "config.toml",
        socket_path=e2e_dir / "run" / "agent.sock",
        state_dir=e2e_dir / "state",
        backends=[backend],
    )
    monkeypatch.setenv("SYNCTUI_LOAD_PLUGINS", "santedb")  # other plugins play no part here
    config = load_config(config_path, required=True)
    running = await start_agent(config, load_plugins(config.agent.plugins))
    client = HttpAgentClient(socket=running.socket, timeout=5.0)
    http = httpx.AsyncClient(
        transport=httpx.AsyncHTTPTransport(uds=str(running.socket)), base_url="http://agent", timeout=2.0
    )
    try:
        yield FaultyStack(sim, running, client, http)
    finally:
        await http.aclose()
        await client.aclose()
        await running.stop()


def check_reason(snapshot: Snapshot, raw_state: str) -> str:
    """The error a person reads: one line, no traceback, no password anywhere in the state."""
    error = snapshot.health.error
    assert error is not None, f"offline/stale without a reason: {snapshot.health}"
    message = error.message
    assert message.strip(), "empty error message"
    assert "\n" not in message, f"error message is not one line: {message!r}"
    assert "Traceback" not in message
    assert PASSWORD not in message and PASSWORD not in (error.advice or "") and PASSWORD not in error.raw
    assert PASSWORD not in raw_state
    return message


async def test_agent_survives_faults_keeps_data_and_recovers(faulty: FaultyStack) -> None:
    sim = faulty.sim
    # A known baseline first: with faults paused, the agent's first snapshot is the simulator's truth.
    await faulty.sim_call(sim.set_faults, 0.0)
    await wait_async(lambda: _fresh(faulty), 10, "a first fresh snapshot with faults paused")
    baseline = counts_of(await faulty.clinic())
    expected = await faulty.sim_call(sim.counts)
    assert baseline == expected

    await faulty.sim_call(sim.set_faults, FAULT_RATE, timeoutDelay=STALL)
    reasons: list[str] = []
    deadline = time.monotonic() + 10.0
    while time.monotonic() < deadline:
        started = time.monotonic()
        health = await faulty.http.get("/healthz")
        assert health.status_code == 200 and health.json()["ok"] is True
        assert time.monotonic() - started < 2.0, "the agent's /healthz was slow under faults"
        response = await faulty.http.get("/v1/state")
        assert response.status_code == 200
        state_text = response.text
        view = from_data(AgentState, response.json()).view("clinic")
        assert view is not None
        snapshot = view.snapshot
        assert counts_of(snapshot) == baseline, "counts must stay the last known ones, never lost"
        if snapshot.stale or not snapshot.health.online:
            reasons.append(check_reason(snapshot, state_text))
        await asyncio.sleep(0.2)
    injected = (await faulty.sim_call(sim.state))["faults"]["injected"]
    assert sum(injected.values()) > 0, "the simulator injected no faults"
    assert reasons, f"never saw the backend offline or stale under {FAULT_RATE:.0%} faults ({injected})"
    assert faulty.running.agent.services["clinic"].refreshes > 5

    await faulty.sim_call(sim.set_faults, 0.0)
    started = time.monotonic()
    await wait_async(lambda: _fresh(faulty), 8, "recovery to fresh data after faults stop")
    recovered = await faulty.clinic()
    assert recovered.health.error is None
    assert counts_of(recovered) == await faulty.sim_call(sim.counts)
    assert time.monotonic() - started < 8
    assert PASSWORD not in json.dumps((await faulty.http.get("/v1/state")).json())


async def _fresh(faulty: FaultyStack) -> bool:
    snapshot = await faulty.clinic()
    return not snapshot.stale and snapshot.health.online and snapshot.health.error is None


async def test_dashboard_answers_keys_while_faults_happen(faulty: FaultyStack) -> None:
    before = sum((await faulty.sim_call(faulty.sim.state))["faults"]["injected"].values())
    app = SyncTuiApp(HttpAgentClient(socket=faulty.running.socket), close_client=True)
    async with app.run_test(size=(80, 24)) as pilot:

        async def wait_screen(kind: type, what: str) -> float:
            started = time.monotonic()
            while not isinstance(app.screen, kind):
                assert time.monotonic() - started < 2.0, f"{what} took more than 2 s"
                await pilot.pause(0.02)
            return time.monotonic() - started

        started = time.monotonic()
        while app.agent_state is None or not app.agent_state.backends:
            assert time.monotonic() - started < 10, "the dashboard never got the agent's state"
            await pilot.pause(0.05)

        latencies: list[float] = []
        for _ in range(5):
            await pilot.press("question_mark")
            latencies.append(await wait_screen(HelpScreen, "opening help with ?"))
            await pilot.press("escape")
            latencies.append(await wait_screen(MainScreen, "closing help with escape"))
            await pilot.pause(0.4)  # let the agent go through a few faulty refreshes in between
        assert app.is_running
    after = sum((await faulty.sim_call(faulty.sim.state))["faults"]["injected"].values())
    assert after > before, "no faults happened while the dashboard ran"
    assert max(latencies) < 2.0, latencies
