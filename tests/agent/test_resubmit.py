"""Re-Submit To Server (OpenIZ profile) through the agent: PIN, progress, cancel, audit, single-flight."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from synctui_santedb.simulator import SimulatorState, create_app

from synctui.agent.api import create_api
from synctui.agent.core import Agent
from synctui.backend import BackendSettings, Secret
from synctui.pin import hash_pin

from .conftest import agent_config, wait_for

DAY = datetime(2024, 5, 10, 12, 0, tzinfo=UTC)


@pytest.fixture
async def openiz(tmp_path, registry):
    clock = [DAY]
    sim = SimulatorState(seed=4, step_delay=0.0, populate=False, clock=lambda: clock[0], profile="openiz")
    for offset in range(-3, 4):  # a local patient a day, none of them on the server yet
        clock[0] = DAY + timedelta(days=offset)
        sim.record_local_change(sim.new_record("Patient"), "Insert")
    settings = BackendSettings(
        name="tablet", kind="santedb", url="http://oizdc.test:9200", username="demo", secret=Secret("demo"),
        refresh_interval=60, timeout=5,
        options={"profile": "openiz", "sync_poll_interval": 0.02, "sync_settle_polls": 2},
    )  # fmt: skip
    config = agent_config(tmp_path, [settings])
    config.agent.admin_pin_hash = hash_pin("2468")
    agent = Agent(
        config, registry, transports={"tablet": httpx.ASGITransport(app=create_app(sim))}, watch=False
    )
    await agent.services["tablet"].refresh_once()
    api = httpx.AsyncClient(transport=httpx.ASGITransport(app=create_api(agent)), base_url="http://agent")
    yield sim, agent, api
    await api.aclose()
    await agent.stop()
    await sim.runner.stop()


RANGE = {"since": "2024-05-09", "until": "2024-05-11"}  # whole days, as OpenIZ takes them
PIN = {"X-Synctui-Pin": "2468"}


async def test_resubmit_needs_the_pin_runs_in_the_background_and_is_audited(openiz):
    sim, agent, api = openiz
    refused = await api.post("/v1/backends/tablet/resubmit", json=RANGE)
    assert refused.status_code == 401 and sim.counts()["out"] == 0
    started = await api.post("/v1/backends/tablet/resubmit", json=RANGE, headers=PIN)
    assert started.status_code == 202, started.text
    service = agent.services["tablet"]
    await wait_for(lambda: service.action.state != "running")
    assert service.action.ok and service.action.action == "resubmit"
    queued = sorted(sim.created[e.correlation_key].date().isoformat() for e in sim.queue_entries("out"))
    assert queued == ["2024-05-09", "2024-05-10", "2024-05-11"], queued  # the range, queued as updates
    assert service.action.progress is not None and not service.action.progress.running
    audit = [r for r in agent.store.audit.read() if r["action"] == "resubmit"]
    assert [r["phase"] for r in audit] == ["refused", "before", "after"]  # the attempt without the PIN too
    assert audit[0]["result"]["status"] == 401 and audit[1]["params"]["since"].startswith("2024-05-09")


async def test_resubmit_can_be_cancelled_and_blocks_a_sync_meanwhile(openiz):
    sim, agent, api = openiz
    sim.runner.step_delay = 0.05
    wide = {"since": "2024-01-01", "until": "2024-12-31"}
    status = (await api.post("/v1/backends/tablet/resubmit", json=wide, headers=PIN)).json()
    sync = await api.post("/v1/backends/tablet/synchronize")
    assert sync.status_code == 409 and "resubmit is running" in sync.json()["error"]
    await wait_for(lambda: sim.counts()["out"] >= 1)
    cancelled = await api.post(f"/v1/backends/tablet/actions/{status['id']}/cancel")
    assert cancelled.status_code == 202
    service = agent.services["tablet"]
    await wait_for(lambda: service.action.state == "cancelled")
    stopped_at = sim.counts()["out"]
    await asyncio.sleep(0.2)
    assert sim.counts()["out"] == stopped_at < 7  # nothing more was queued after the cancel
    assert (await api.post(f"/v1/backends/tablet/actions/{status['id']}/cancel")).status_code == 404


async def test_bad_resubmit_requests(openiz):
    _, _, api = openiz
    bad = await api.post(
        "/v1/backends/tablet/resubmit", json={"since": "yesterday", "until": "2024-01-01"}, headers=PIN
    )
    assert bad.status_code == 400 and "ISO date" in bad.json()["error"]
    backwards = await api.post(
        "/v1/backends/tablet/resubmit", json={"since": "2024-02-01", "until": "2024-01-01"}, headers=PIN
    )
    assert backwards.status_code == 400 and "ends before it starts" in backwards.json()["error"]
