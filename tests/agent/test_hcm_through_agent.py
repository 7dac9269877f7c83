"""The HCM device through the agent: discard archives the row's entity first, restore puts it back."""

from __future__ import annotations

import httpx
import pytest
from synctui_hcm.demo import HCMDemo

from synctui.agent.api import create_api
from synctui.agent.core import Agent

from .conftest import agent_config


@pytest.fixture
async def device(tmp_path, registry):
    demo = HCMDemo(worker_interval=0)
    settings, transport = await demo.start(tmp_path / "device")
    agent = Agent(
        agent_config(tmp_path, [settings]), registry, transports={settings.name: transport}, watch=False
    )
    await agent.services[settings.name].refresh_once()
    api = httpx.AsyncClient(transport=httpx.ASGITransport(app=create_api(agent)), base_url="http://agent")
    yield agent, api, settings.name
    await api.aclose()
    await agent.stop()
    await demo.stop()


async def test_discard_then_restore_an_outbox_row(device):
    agent, api, name = device
    page = (await api.get(f"/v1/backends/{name}/queues/outbox", params={"limit": 1})).json()
    (entry,) = page["entries"]
    detail = (await api.get(f"/v1/backends/{name}/queues/outbox/{entry['id']}")).json()
    before = page["total"]
    discarded = await api.post(f"/v1/backends/{name}/discard", json={"queue": "outbox", "ids": [entry["id"]]})
    assert discarded.status_code == 200 and discarded.json()["ok"], discarded.text
    (record,) = (await api.get("/v1/archive")).json()
    archived = (await api.get(f"/v1/archive/{record['archive_id']}")).json()
    assert archived["payload"] == detail["payload"] and archived["entry"]["id"] == entry["id"]
    after = (await api.get(f"/v1/backends/{name}/queues/outbox")).json()["total"]
    assert after == before - 1
    restored = await api.post(f"/v1/archive/{record['archive_id']}/restore")
    assert restored.status_code == 200 and restored.json()["ok"], restored.text
    assert (await api.get(f"/v1/backends/{name}/queues/outbox")).json()["total"] == before
    assert (await api.get("/v1/archive")).json()[0]["restored"]
    again = await api.post(f"/v1/archive/{record['archive_id']}/restore")
    assert again.status_code == 409 and "already restored" in again.json()["error"]
    actions = [(r["action"], r["phase"]) for r in agent.store.audit.read()]
    assert actions == [
        ("discard-unsent", "before"),
        ("discard-unsent", "after"),
        ("restore", "before"),
        ("restore", "after"),
        ("restore", "refused"),  # the second restore, refused, is audited too
    ]
