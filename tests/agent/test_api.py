"""The agent API through httpx's ASGI transport, and over a real Unix socket."""

from __future__ import annotations

import asyncio
import os
import socket
import stat
from dataclasses import replace
from datetime import timedelta

import httpx
import pytest

from synctui.agent.api import create_api
from synctui.agent.run import start_agent
from synctui.client import HttpAgentClient
from synctui.client_interface import AgentUnavailable
from synctui.model import AgentState, QueueKind, Thresholds, from_data
from synctui.testing import make_snapshot

from .conftest import agent_config, static_settings, wait_for


@pytest.fixture
async def api(make_agent):
    agent = make_agent(static_settings("a"), static_settings("b"))
    agent.services["a"].backend.next = make_snapshot("a", outbox=2, conflicts=1)
    await agent.services["a"].refresh_once()
    transport = httpx.ASGITransport(app=create_api(agent))
    async with httpx.AsyncClient(transport=transport, base_url="http://agent") as client:
        yield agent, client


async def test_state_is_the_whole_dashboard(api):
    _, client = api
    response = await client.get("/v1/state")
    assert response.status_code == 200
    state = from_data(AgentState, response.json())
    assert [v.snapshot.backend for v in state.backends] == ["a", "b"]
    assert state.view("a").snapshot.queue(QueueKind.CONFLICTS).count == 1
    assert state.view("b").snapshot.stale


async def test_healthz(api):
    _, client = api
    assert (await client.get("/healthz")).json()["ok"] is True


@pytest.mark.parametrize(
    ("path", "status", "fragment"),
    [
        ("/v1/backends/nope/queues/outbox", 404, "no backend named 'nope'"),
        ("/v1/backends/a/queues/sideways", 404, "no queue 'sideways'"),
        ("/v1/backends/a/queues/outbox?offset=-1", 400, "offset must be between"),
        ("/v1/backends/a/queues/outbox?limit=abc", 400, "limit must be a whole number"),
        ("/v1/backends/a/queues/outbox?limit=100000", 400, "limit must be between 1 and 500"),
        ("/v1/backends/a/queues/outbox", 501, "does not support entries"),
    ],
)
async def test_bad_requests_get_clear_errors(api, path, status, fragment):
    _, client = api
    response = await client.get(path)
    assert response.status_code == status
    assert fragment in response.json()["error"]


async def test_synchronize_joins_the_running_sync(api):
    agent, client = api
    agent.services["a"].backend.sync_gate = asyncio.Event()
    first = (await client.post("/v1/backends/a/synchronize")).json()
    second = (await client.post("/v1/backends/a/synchronize")).json()
    assert first["id"] == second["id"]
    agent.services["a"].backend.sync_gate.set()
    await wait_for(lambda: agent.services["a"].action.state == "done")
    assert agent.services["a"].backend.sync_started == 1
    audit = (await client.get("/v1/audit")).json()
    assert [r["phase"] for r in audit] == ["before", "after"]
    assert all(r["user"] for r in audit)


async def test_metrics_in_prometheus_text_format(api):
    _, client = api
    response = await client.get("/metrics")
    assert response.headers["content-type"].startswith("text/plain")
    device = f'device="{socket.gethostname()}"'  # no [agent] device: the host name, on every series
    text = response.text
    assert f'synctui_queue_depth{{backend="a",{device},kind="static",queue="outbox"}} 2.0' in text
    assert f'synctui_backend_online{{backend="a",{device},kind="static"}} 1.0' in text
    assert f'synctui_backend_stale{{backend="b",{device},kind="static"}} 1.0' in text


async def test_plugins_endpoint_lists_builtin_santedb(api):
    _, client = api
    plugins = (await client.get("/v1/plugins")).json()
    assert any(p["name"] == "santedb" and p["source"] == "built-in" for p in plugins)


async def test_tcp_requires_the_token(make_agent):
    agent = make_agent(static_settings("a"))
    transport = httpx.ASGITransport(app=create_api(agent, token="s3cret"))
    async with httpx.AsyncClient(transport=transport, base_url="http://agent") as client:
        assert (await client.get("/v1/state")).status_code == 401
        assert (await client.get("/v1/state", headers={"Authorization": "Bearer nope"})).status_code == 401
        ok = await client.get("/v1/state", headers={"Authorization": "Bearer s3cret"})
        assert ok.status_code == 200


async def test_over_a_real_unix_socket_with_push_updates(tmp_path, registry):
    config = agent_config(tmp_path, [static_settings("a", refresh_interval=60)])
    running = await start_agent(config, registry)
    try:
        mode = stat.S_IMODE(os.stat(running.socket).st_mode)
        assert mode == 0o600
        assert stat.S_IMODE(os.stat(running.socket.parent).st_mode) & 0o077 == 0
        client = HttpAgentClient(socket=running.socket)
        updates = client.updates()
        first = await asyncio.wait_for(anext(updates), 5)
        assert first.view("a") is not None
        service = running.agent.services["a"]
        service.backend.next = make_snapshot("a", outbox=9)
        service.wake()

        async def until_nine():
            async for state in updates:
                if state.view("a").snapshot.queue(QueueKind.OUTBOX).count == 9:
                    return state

        state = await asyncio.wait_for(until_nine(), 5)
        assert not state.view("a").snapshot.stale
        await updates.aclose()
        await client.aclose()
    finally:
        await running.stop()
    assert not running.socket.exists()


async def test_client_says_clearly_when_no_agent_runs(tmp_path):
    client = HttpAgentClient(socket=tmp_path / "missing.sock")
    with pytest.raises(AgentUnavailable, match="no agent is running"):
        await client.state()
    await client.aclose()


async def test_metrics_mark_a_stuck_queue(make_agent):
    """synctui_queue_stuck follows the backend's own stuck_after: 1 for a queue unchanged that long, 0 for
    every other counted queue, no sample for a queue the backend does not have."""
    device = f'device="{socket.gethostname()}"'
    agent = make_agent(static_settings("a"))
    service = agent.services["a"]
    service.backend.next = make_snapshot("a", outbox=3, conflicts=0, admin=None)
    await service.refresh_once()
    transport = httpx.ASGITransport(app=create_api(agent))
    async with httpx.AsyncClient(transport=transport, base_url="http://agent") as client:
        fresh = (await client.get("/metrics")).text  # unchanged for far less than the default 10 min
        assert f'synctui_queue_stuck{{backend="a",{device},kind="static",queue="outbox"}} 0.0' in fresh
        service.settings = replace(
            service.settings, thresholds=Thresholds(stuck_after=timedelta(microseconds=1))
        )
        await service.refresh_once()  # refreshed, and nothing moved
        text = (await client.get("/metrics")).text
    stuck = text.split("# TYPE synctui_queue_stuck gauge\n", 1)[1].split("# HELP", 1)[0]
    assert stuck.splitlines() == [
        f'synctui_queue_stuck{{backend="a",{device},kind="static",queue="outbox"}} 1.0',
        f'synctui_queue_stuck{{backend="a",{device},kind="static",queue="inbox"}} 0.0',
        f'synctui_queue_stuck{{backend="a",{device},kind="static",queue="conflicts"}} 0.0',
    ]
