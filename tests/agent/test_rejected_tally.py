"""The agent tallies the Conflicts queue by the adapter's explanation of each entry (SanteDB simulator),
and the one-line diagnosis is built from it."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest
from synctui_santedb.simulator import SimulatorState, create_app

from synctui.agent.api import create_api
from synctui.agent.core import Agent
from synctui.diagnosis import diagnoses
from synctui.model import AgentState, Category, RejectedCount, from_data

from .conftest import agent_config
from .test_repairs import settings


@pytest.fixture
async def agent(tmp_path, registry):
    sim = SimulatorState(seed=3, step_delay=0, populate=False)
    for fate in (409, 422, 422):
        sim.push(sim.enqueue("out", "Patient", "Insert", {"$type": "Patient", "id": str(fate)}, fate=fate))
    transport = httpx.ASGITransport(app=create_app(sim))
    agent = Agent(
        agent_config(tmp_path, [settings()]), registry, transports={"tablet": transport}, watch=False
    )
    agent.sim = sim
    yield agent
    await agent.stop()


async def test_rejected_entries_are_tallied_and_served(agent):
    await agent.services["tablet"].refresh_once()
    api = httpx.AsyncClient(transport=httpx.ASGITransport(app=create_api(agent)), base_url="http://a")
    async with api:
        state = from_data(AgentState, (await api.get("/v1/state")).json())
    view = state.view("tablet")
    assert view.rejected == [
        RejectedCount(Category.FIX_DATA, 2, 422),
        RejectedCount(Category.CONFLICT, 1, 409),
    ]
    [line] = [d.line("press 4 to review") for d in diagnoses(view, datetime.now(UTC))]
    assert line == "3 rejected: 2 business rules (422), 1 conflict (409) — press 4 to review"


async def test_the_queue_is_listed_again_only_when_its_count_changes(agent, monkeypatch):
    service = agent.services["tablet"]
    listed = []
    real = service.backend.entries

    async def spy(*args, **kwargs):
        listed.append(args)
        return await real(*args, **kwargs)

    monkeypatch.setattr(service.backend, "entries", spy)
    await service.refresh_once()
    await service.refresh_once()
    assert len(listed) == 1
    sim = agent.sim
    sim.push(sim.enqueue("out", "Patient", "Insert", {"$type": "Patient", "id": "5"}, fate=500))
    await service.refresh_once()
    assert len(listed) == 2
    assert RejectedCount(Category.SERVER, 1, 500) in service.rejected.counts
