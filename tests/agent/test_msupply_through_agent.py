"""The mSupply site through the agent API: settings behind the admin PIN and audited, Check connection,
and nothing the agent does ever touches central's queues."""

from __future__ import annotations

import httpx
import pytest
from synctui_msupply.demo import MSupplyDemo
from synctui_msupply.simulator import QUEUE_CHANGING_CALLS

from synctui.agent.api import create_api
from synctui.agent.core import Agent
from synctui.pin import hash_pin

from .conftest import agent_config


@pytest.fixture
async def site(tmp_path, registry):
    demo = MSupplyDemo(step_delay=0.0)
    settings, transport = await demo.start(tmp_path / "site")
    config = agent_config(tmp_path, [settings])
    config.agent.admin_pin_hash = hash_pin("2468")
    agent = Agent(config, registry, transports={settings.name: transport}, watch=False)
    await agent.services[settings.name].refresh_once()
    api = httpx.AsyncClient(transport=httpx.ASGITransport(app=create_api(agent)), base_url="http://agent")
    yield demo, agent, api, settings.name
    await api.aclose()
    await agent.stop()
    await demo.stop()


async def test_settings_change_needs_the_pin_and_is_audited(site):
    _demo, agent, api, name = site
    listed = (await api.get(f"/v1/backends/{name}/settings")).json()
    interval = next(s for s in listed if s["key"] == "interval_minutes")
    assert interval["editable"]
    body = {"values": {"interval_minutes": "2"}}
    refused = await api.post(f"/v1/backends/{name}/settings", json=body)
    assert refused.status_code == 401 and "PIN" in refused.json()["error"]
    wrong = await api.post(f"/v1/backends/{name}/settings", json=body, headers={"X-Synctui-Pin": "1"})
    assert wrong.status_code == 403
    ok = await api.post(f"/v1/backends/{name}/settings", json=body, headers={"X-Synctui-Pin": "2468"})
    assert ok.status_code == 200 and ok.json()["ok"], ok.text
    listed = (await api.get(f"/v1/backends/{name}/settings")).json()
    assert next(s for s in listed if s["key"] == "interval_minutes")["value"] == "2"
    audit = [r for r in agent.store.audit.read() if r["action"] == "change-settings"]
    assert [r["phase"] for r in audit] == ["refused", "refused", "before", "after"]  # no PIN, wrong PIN
    assert [r["result"]["status"] for r in audit[:2]] == [401, 403]
    assert audit[2]["params"] == {"interval_minutes": "2"} and audit[3]["result"]["ok"]
    assert "2468" not in str(agent.store.audit.read())  # the PIN is never written down


async def test_check_connection_through_the_agent_is_read_only(site):
    demo, _agent, api, name = site
    response = await api.post(f"/v1/backends/{name}/check-connection")
    assert response.status_code == 200, response.text
    health = response.json()
    assert health["online"] is True and health["latency_ms"] is not None
    await api.post(f"/v1/backends/{name}/synchronize")
    assert not set(demo.simulator.calls) & QUEUE_CHANGING_CALLS
