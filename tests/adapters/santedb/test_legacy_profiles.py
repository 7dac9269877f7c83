"""SanteDB 2.x and OpenIZ specifics: the simulator's legacy wire shapes, joining a running sync, and
OpenIZ's Re-Submit To Server by date range."""

from __future__ import annotations

import asyncio
import base64
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from synctui_santedb.simulator import FAULT_KINDS, Faults, SimulatorState, create_app
from synctui_santedb.simulator.__main__ import parse_args
from synctui_santedb.simulator.jobs import UPSTREAM_JOB_ID

from synctui.backend import BackendError
from synctui.model import Capability, QueueKind

from .test_adapter_profiles import make

DAY = datetime(2024, 5, 10, 12, 0, tzinfo=UTC)


async def login(client: httpx.AsyncClient, path: str) -> dict[str, str]:
    answer = await client.post(path, data={"grant_type": "password", "username": "demo", "password": "demo"})
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


async def test_santedb2_wire_shapes() -> None:
    state = SimulatorState(seed=3, step_delay=0.0, profile="santedb2")
    transport = httpx.ASGITransport(app=create_app(state))
    async with httpx.AsyncClient(transport=transport, base_url="http://sim") as client:
        headers = await login(client, "/auth/oauth2_token")
        counts = (await client.get("/app/Queue", headers=headers)).json()
        assert set(counts) == {"admin", "inbound", "outbound", "dead"}
        dead = (await client.get("/app/Queue/dead", headers=headers)).json()
        assert isinstance(dead, list) and dead[0]["originalQueue"] == "outbound_queue"
        assert "Conflict" in base64.b64decode(dead[0]["tag"]).decode() or dead[0]["tag"]
        assert dead[0]["type"].endswith(", SanteDB.Core.Model")
        log = (await client.get("/app/Sync", headers=headers)).json()
        assert {"Uuid", "ResourceType"} <= set(log[0]) and "Key" not in log[0]
        assert (await client.get("/app/State", headers=headers)).status_code == 404
        missing = await client.post("/app/Queue/dead/99999", headers=headers)
        assert missing.status_code == 404 and {"type", "error", "error_description"} <= set(missing.json())
        assert (await client.get("/__sim/state")).json()["profile"] == "santedb2"


async def test_openiz_wire_shapes() -> None:
    state = SimulatorState(seed=3, step_delay=0.0, profile="openiz")
    transport = httpx.ASGITransport(app=create_app(state))
    async with httpx.AsyncClient(transport=transport, base_url="http://sim") as client:
        headers = await login(client, "/__auth/authenticate")
        page = (await client.get("/__app/queue?_queue=dead&_count=1", headers=headers)).json()
        assert page["Size"] == state.counts()["deadletter"] and page["Offset"] == 0
        assert len(page["CollectionItem"]) == 1
        one = await client.get(
            f"/__app/queue?_queue=dead&_id={page['CollectionItem'][0]['id']}", headers=headers
        )
        assert base64.b64decode(one.json()["data"]).startswith(b"{")
        assert (await client.get("/app/Queue", headers=headers)).status_code == 404


async def test_santedb2_synchronize_joins_a_running_sync() -> None:
    state = SimulatorState(seed=3, step_delay=0.002, profile="santedb2")
    adapter, client = make(state, "santedb2")
    starts: list[bool] = []
    start = state.runner.start
    state.runner.start = lambda *a: starts.append(start(*a)) or starts[-1]  # type: ignore[method-assign]
    try:
        await adapter.snapshot()
        assert state.runner.start(UPSTREAM_JOB_ID, ["All", True])
        result = await adapter.synchronize(lambda p: None)
        assert result.ok and state.counts()["out"] == 0
        assert starts == [True, False]  # the adapter's POST /app/Sync was refused as busy and joined
    finally:
        await state.runner.stop()
        await client.aclose()


def records(state: SimulatorState, clock: list[datetime]) -> dict[str, datetime]:
    """Six local patients, one a day from DAY-2; the one of DAY is already on the server."""
    made = {}
    for offset in range(-2, 4):
        clock[0] = DAY + timedelta(days=offset)
        obj = state.new_record("Patient")
        state.record_local_change(obj, "Insert")
        made[obj["id"]] = clock[0]
        if offset == 0:
            state.server[obj["id"]] = obj
    return made


@pytest.fixture
async def openiz():
    clock = [DAY]
    state = SimulatorState(seed=4, step_delay=0.0, populate=False, clock=lambda: clock[0], profile="openiz")
    adapter, client = make(state, "openiz")
    yield state, adapter, clock
    await state.runner.stop()
    await client.aclose()


async def test_resubmit_queues_the_range_only(openiz) -> None:
    state, adapter, clock = openiz
    made = records(state, clock)
    assert Capability.RESUBMIT in type(adapter).capabilities
    seen = []
    result = await adapter.resubmit(DAY - timedelta(days=1), DAY + timedelta(days=1), seen.append)
    queued = {e.correlation_key for e in state.queue_entries("out")}
    wanted = {k for k, when in made.items() if abs((when - DAY).days) <= 1 and k not in state.server}
    assert queued == wanted and len(wanted) == 2
    assert all(e.operation == "Update" and e.resource_type == "Bundle" for e in state.queue_entries("out"))
    assert result.ok and result.message.startswith("Queued 2 records")
    assert result.counts == {"queued": 2, "already_queued": 0, "failed": 0}
    assert seen and seen[-1].running is False
    assert [s.done for s in seen[-1].steps if s.name == "Queue records the server lacks"] == [2]


async def test_resubmit_can_be_cancelled(openiz) -> None:
    state, adapter, clock = openiz
    for _ in range(4):
        records(state, clock)
    state.runner.step_delay = 0.02
    seen = []
    task = asyncio.ensure_future(
        adapter.resubmit(DAY - timedelta(days=9), DAY + timedelta(days=9), seen.append)
    )
    for _ in range(500):
        if state.counts()["out"] >= 2:
            break
        await asyncio.sleep(0.005)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    stopped_at = state.counts()["out"]
    await asyncio.sleep(0.1)
    assert 2 <= stopped_at < 20 and state.counts()["out"] == stopped_at
    assert seen and all(p.running for p in seen)


async def test_resubmit_refuses_a_reversed_range(openiz) -> None:
    _, adapter, _ = openiz
    with pytest.raises(BackendError, match="re-submit range"):
        await adapter.resubmit(DAY, DAY - timedelta(days=1), lambda p: None)


@pytest.mark.parametrize("profile", ["santedb2", "openiz"])
@pytest.mark.parametrize("kind", FAULT_KINDS)
async def test_every_fault_kind_is_a_backend_error(profile: str, kind: str) -> None:
    state = SimulatorState(seed=3, step_delay=0.0, profile=profile)
    faults = Faults(rate=0.0, seed=1, timeout_delay=0.01)
    adapter, client = make(state, profile, faults)
    try:
        await adapter.snapshot()
        faults.configure(rate=1.0, kinds=[kind])
        with pytest.raises(BackendError) as caught:
            await adapter.snapshot()
        assert caught.value.rejection.message and "\n" not in caught.value.rejection.message
        with pytest.raises(BackendError):
            await adapter.entry(QueueKind.CONFLICTS, str(state.queue_entries("deadletter")[0].id))
    finally:
        await client.aclose()


def test_command_line_profile() -> None:
    assert parse_args(["--profile", "openiz"]).profile == "openiz"
    assert parse_args([]).profile == "santedb3"
    with pytest.raises(SystemExit):
        parse_args(["--profile", "santedb1"])
    with pytest.raises(ValueError):
        SimulatorState(profile="santedb1")
