"""Traffic, the state file and the demo backend."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import httpx
from synctui_santedb.demo import SanteDBDemo
from synctui_santedb.simulator import UPSTREAM_JOB_ID, SimulatorState, StateFileWriter, Traffic

from synctui.backend import Secret


async def test_traffic_steps_fill_and_the_job_drains() -> None:
    state = SimulatorState(seed=4, step_delay=0)
    traffic = Traffic(state, seed=4, sync_every=1000, reject_rate=0.5, max_deadletter=5)
    for _ in range(30):
        traffic.step()
    assert state.counts()["out"] > 5 and state.server_pending
    state.runner.start(UPSTREAM_JOB_ID, ["All", True])
    await state.runner.wait()
    counts = state.counts()
    assert counts["out"] == 0 and counts["in"] == 0 and counts["admin"] == 0
    assert 2 < counts["deadletter"] <= 2 + 30 * 3  # rejections happened, bounded by what was queued
    assert state.jobs[UPSTREAM_JOB_ID].state == "Completed"
    for _ in range(200):
        traffic.step()
    assert state.counts()["out"] <= traffic.max_out + 3  # capped
    await traffic.stop()


async def test_running_traffic_moves_counts_quickly() -> None:
    state = SimulatorState(seed=9)
    traffic = Traffic(state, seed=9, speed=200, sync_every=5)
    seen: set[str] = set()
    traffic.start()
    try:
        for _ in range(300):  # bounded: at most ~3 s
            await asyncio.sleep(0.01)
            seen.add(state.jobs[UPSTREAM_JOB_ID].state)
            if "Running" in seen and state.jobs[UPSTREAM_JOB_ID].state == "Completed" and traffic.steps > 10:
                break
    finally:
        await traffic.stop()
    assert {"Running", "Completed"} <= seen


async def test_state_file_follows_every_change(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "dcdr.json"
    state = SimulatorState(seed=1, step_delay=0)
    writer = StateFileWriter(path).attach(state)
    assert json.loads(path.read_text())["counts"] == state.counts()
    entry = state.queue_entries("out")[0]
    state.delete("out", entry.id)
    data = json.loads(path.read_text())
    assert data["counts"] == state.counts() and data["format"] == "synctui-santedb-sim/1"
    assert entry.id not in [e["id"] for e in data["queues"]["out"]]
    atomic = StateFileWriter(tmp_path / "atomic.json", atomic=True).attach(state)
    state.retry_all()
    assert json.loads((tmp_path / "atomic.json").read_text())["counts"]["deadletter"] == 0
    assert writer.writes >= 3 and atomic.writes == 2
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
    writer.detach(state)


async def test_demo_backend(tmp_path: Path) -> None:
    demo = SanteDBDemo(speed=50)
    settings, transport = await demo.start(tmp_path)
    try:
        assert (settings.name, settings.kind, settings.username) == ("clinic-tablet", "santedb", "demo")
        assert settings.secret == Secret("demo") and settings.refresh_interval == 5
        database = Path(settings.options["database"])
        assert database.parent == tmp_path and database.exists()
        async with httpx.AsyncClient(transport=transport) as client:
            form = {"grant_type": "password", "username": "demo", "password": settings.secret.reveal()}
            token = (await client.post(f"{settings.url}/auth/oauth2_token", data=form)).json()["access_token"]
            resp = await client.get(f"{settings.url}/app/Queue", headers={"Authorization": f"BEARER {token}"})
            assert resp.status_code == 200 and set(resp.json()) == {"in", "out", "admin", "deadletter"}
        first = database.stat().st_mtime_ns
        for _ in range(100):  # the traffic keeps writing the file
            await asyncio.sleep(0.02)
            if database.stat().st_mtime_ns != first:
                break
        assert database.stat().st_mtime_ns != first
    finally:
        await demo.stop()
