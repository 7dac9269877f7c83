"""Repair actions end to end: agent API → SanteDB adapter → simulator, asserting on the simulator."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest
from synctui_santedb.simulator import SimulatorState, create_app

from synctui.agent.api import create_api
from synctui.agent.core import Agent
from synctui.backend import BackendSettings, Secret
from synctui.pin import hash_pin

from .conftest import agent_config, wait_for


def settings() -> BackendSettings:
    return BackendSettings(
        name="tablet", kind="santedb", url="http://dcdr.test:9200", username="demo", secret=Secret("demo"),
        refresh_interval=60, timeout=5,
    )  # fmt: skip


@pytest.fixture
async def world(tmp_path, registry):
    """(simulator state, agent, API client); `world.agent` can be rebuilt read-only or with a PIN."""
    sim = SimulatorState(seed=3, step_delay=0)
    for fate in (409, 422, 500):
        entry = sim.enqueue("out", "Patient", "Insert", {"$type": "Patient", "id": str(fate)}, fate=fate)
        sim.push(entry)
    agents: list[Agent] = []

    async def make(readonly: bool = False, pin: str | None = None):
        config = agent_config(tmp_path, [settings()])
        config.agent.readonly = readonly
        config.agent.admin_pin_hash = hash_pin(pin) if pin else None
        transport = httpx.ASGITransport(app=create_app(sim))
        agent = Agent(config, registry, transports={"tablet": transport}, watch=False)
        agents.append(agent)
        await agent.services["tablet"].refresh_once()
        client = httpx.AsyncClient(transport=httpx.ASGITransport(app=create_api(agent)), base_url="http://a")
        return agent, client

    yield sim, make
    for agent in agents:
        await agent.stop()


def deadletter_ids(sim) -> list[str]:
    return [str(e.id) for e in sim.queue_entries("deadletter")]


async def test_retry_one_moves_it_back_and_two_concurrent_requests_send_once(world):
    sim, make = world
    agent, client = await make()
    target = deadletter_ids(sim)[0]
    before = sim.counts()
    responses = await asyncio.gather(
        client.post("/v1/backends/tablet/retry", json={"ids": [target]}, headers={"Idempotency-Key": "k1"}),
        client.post("/v1/backends/tablet/retry", json={"ids": [target]}, headers={"Idempotency-Key": "k1"}),
    )
    assert all(r.status_code == 200 for r in responses)
    assert responses[0].json() == responses[1].json()
    after = sim.counts()
    assert after["deadletter"] == before["deadletter"] - 1
    assert after["out"] == before["out"] + 1  # back in its original queue, exactly once
    audit = [r for r in agent.store.audit.read() if r["action"] == "retry"]
    assert [r["phase"] for r in audit] == ["before", "after"]


async def test_discard_archives_the_exact_payload_first(world):
    sim, make = world
    agent, client = await make()
    target = deadletter_ids(sim)[0]
    entry = sim.get_entry("deadletter", int(target))
    payload = sim.payload(entry)
    response = await client.post("/v1/backends/tablet/discard", json={"queue": "conflicts", "ids": [target]})
    assert response.status_code == 200 and response.json()["ok"], response.text
    assert target not in deadletter_ids(sim)
    (record,) = agent.store.archive.read()
    assert record["entry"]["id"] == target and record["backend"] == "tablet"
    stored = record["payload"]
    if isinstance(payload, str):  # XML is archived as the dCDR stored it
        assert stored == payload
    else:  # JSON is archived pretty-printed: the same document
        assert json.loads(stored) == payload
    listed = (await client.get("/v1/archive")).json()
    assert listed[0]["archive_id"] == record["archive_id"] and "payload" not in listed[0]
    shown = (await client.get(f"/v1/archive/{record['archive_id']}")).json()
    assert shown["payload"] == stored


async def test_discard_of_a_missing_entry_deletes_nothing(world):
    sim, make = world
    agent, client = await make()
    before = sim.counts()
    response = await client.post("/v1/backends/tablet/discard", json={"queue": "conflicts", "ids": ["99999"]})
    body = response.json()
    assert response.status_code == 200 and not body["ok"]
    assert "not discarded" in body["results"][0]["message"]
    assert sim.counts() == before and agent.store.archive.read() == []


async def test_readonly_agent_refuses_changes_at_the_api(world):
    sim, make = world
    _, client = await make(readonly=True)
    before = sim.counts()
    for path, body in [
        ("retry", {"all": True}),
        ("retry", {"ids": deadletter_ids(sim)[:1]}),
        ("discard", {"queue": "conflicts", "ids": deadletter_ids(sim)[:1]}),
        ("reset", {"all": True}),
    ]:
        response = await client.post(f"/v1/backends/tablet/{path}", json=body)
        assert response.status_code == 403 and "read-only" in response.json()["error"]
    assert sim.counts() == before


async def test_destructive_actions_need_the_pin_when_one_is_set(world):
    sim, make = world
    _, client = await make(pin="2468")
    before = sim.counts()
    assert (await client.post("/v1/backends/tablet/retry", json={"all": True})).status_code == 401
    wrong = await client.post(
        "/v1/backends/tablet/retry", json={"all": True}, headers={"X-Synctui-Pin": "1111"}
    )
    assert wrong.status_code == 403 and "wrong admin PIN" in wrong.json()["error"]
    assert sim.counts() == before
    one = await client.post("/v1/backends/tablet/retry", json={"ids": deadletter_ids(sim)[:1]})
    assert one.status_code == 200  # retrying one entry is not destructive
    ok = await client.post("/v1/backends/tablet/retry", json={"all": True}, headers={"X-Synctui-Pin": "2468"})
    assert ok.status_code == 200 and sim.counts()["deadletter"] == 0


async def test_wrong_pins_lock_out_for_a_while(world):
    _, make = world
    _, client = await make(pin="2468")
    for _ in range(5):
        await client.post("/v1/backends/tablet/reset", json={"all": True}, headers={"X-Synctui-Pin": "0000"})
    locked = await client.post(
        "/v1/backends/tablet/reset", json={"all": True}, headers={"X-Synctui-Pin": "2468"}
    )
    assert locked.status_code == 429 and "too many wrong PINs" in locked.json()["error"]


async def test_reset_all_clears_sync_markers_and_the_next_sync_refetches_them(world):
    sim, make = world
    agent, client = await make()
    assert sim.log_rows()
    response = await client.post("/v1/backends/tablet/reset", json={"all": True})
    assert response.status_code == 200 and response.json()["ok"]
    assert sim.log_rows() == []  # markers cleared; no queue entry was touched
    service = agent.services["tablet"]
    await service.refresh_once()
    assert service.snapshot.log == []
    await client.post("/v1/backends/tablet/synchronize")
    await wait_for(lambda: service.action.state != "running", timeout=10)
    await service.refresh_once()
    assert service.snapshot.log and all(row.last_success for row in service.snapshot.log)  # re-fetched


async def test_bad_action_bodies_get_clear_errors(world):
    _, make = world
    _, client = await make()
    cases = [
        ("retry", b"not json", "JSON object"),
        ("retry", b"{}", '"ids"'),
        ("retry", b'{"ids": [1, 2]}', "list of strings"),
        ("discard", b'{"queue": "sideways", "ids": ["1"]}', "no queue 'sideways'"),
        ("discard", b'{"all": true}', '"ids"'),
    ]
    for path, body, fragment in cases:
        response = await client.post(f"/v1/backends/tablet/{path}", content=body)
        assert response.status_code == 400 and fragment in response.json()["error"], (path, response.text)


async def test_compare_and_count_remotes_through_the_agent(world):
    sim, make = world
    _, client = await make()
    target = deadletter_ids(sim)[0]
    comparison = (await client.get(f"/v1/backends/tablet/compare/conflicts/{target}")).json()
    assert comparison["id"] == target and comparison["local"]
    rows = (await client.post("/v1/backends/tablet/count-remotes")).json()
    assert any(r["local_count"] is not None for r in rows)


async def test_restore_is_refused_where_the_backend_cannot_requeue_and_the_archive_stays(world):
    sim, make = world
    _, client = await make()
    target = deadletter_ids(sim)[0]
    await client.post("/v1/backends/tablet/discard", json={"queue": "conflicts", "ids": [target]})
    (record,) = (await client.get("/v1/archive")).json()
    response = await client.post(f"/v1/archive/{record['archive_id']}/restore")
    assert response.status_code == 501 and "does not support restore" in response.json()["error"]
    assert (await client.get(f"/v1/archive/{record['archive_id']}")).json()["payload"]
    assert (await client.post("/v1/archive/nope/restore")).status_code == 404
