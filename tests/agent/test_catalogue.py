"""The agent's API obeys the action catalogue for every action: read-only, PIN, audit of refusals,
idempotency scoped to backend + action + body. One backend that can do everything records each call."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, ClassVar

import httpx
import pytest

from synctui.actions import CATALOGUE, ActionSpec
from synctui.agent.api import create_api
from synctui.agent.core import Agent
from synctui.backend import BackendSettings
from synctui.model import (
    ActionResult,
    Capability,
    Comparison,
    EntryDetail,
    EntryResult,
    Health,
    QueueEntry,
    QueueKind,
    Setting,
    SyncLogRow,
    SyncResult,
)
from synctui.pin import hash_pin
from synctui.testing import StaticBackend

from .conftest import agent_config, wait_for

PIN = "2468-canary"  # not only digits: a digit PIN turned up in an audit timestamp's microseconds


class RecordingBackend(StaticBackend):
    """Every capability; each call is recorded and answered with a small, truthful result."""

    kind: ClassVar[str] = "recording"
    capabilities = frozenset(Capability)

    def __init__(self, settings: BackendSettings, http: Any) -> None:
        super().__init__(settings, http)
        self.calls: list[str] = []

    def _done(self, what: str, ids: Sequence[str] | None = None) -> ActionResult:
        self.calls.append(what)
        ids = list(ids or ["e1"])
        return ActionResult(True, f"{len(ids)} {what}", [EntryResult(i, True, what) for i in ids])

    async def synchronize(self, progress: Any) -> SyncResult:
        self.calls.append("synchronize")
        return await super().synchronize(progress)

    async def retry(self, ids: Sequence[str] | None) -> ActionResult:
        return self._done("retry", ids)

    async def entry(self, queue: QueueKind, id: str) -> EntryDetail:
        return EntryDetail(QueueEntry(id, queue, "Patient", "Insert"), payload=f'{{"id": "{id}"}}')

    async def discard(self, queue: QueueKind, ids: Sequence[str]) -> ActionResult:
        return self._done(f"discard {queue.value}", ids)

    async def reset(self, keys: Sequence[str] | None) -> ActionResult:
        return self._done("reset", keys)

    async def resubmit(self, since: datetime, until: datetime, progress: Any) -> ActionResult:
        self.calls.append("resubmit")
        return ActionResult(True, "queued 0 records the server lacks", counts={"queued": 0})

    async def restore(self, queue: QueueKind, entry: QueueEntry, payload: str) -> ActionResult:
        return self._done("restore", [entry.id])

    async def change_settings(self, values: dict[str, str]) -> ActionResult:
        return self._done("change-settings")

    async def settings_list(self) -> list[Setting]:
        return [Setting("interval", "Interval", "60", editable=True)]

    async def compare(self, queue: QueueKind, id: str) -> Comparison:
        self.calls.append("compare")
        return Comparison(id, "{}", None, "the server copy cannot be fetched")

    async def count_remotes(self) -> list[SyncLogRow]:
        self.calls.append("count-remotes")
        return []

    async def check_connection(self) -> Health:
        self.calls.append("check-connection")
        return Health(online=True, latency_ms=1.0)


# method, path, body of each action, for backend "b"; restore's {archive} is filled per test
REQUESTS: dict[str, tuple[str, str, dict[str, Any] | None]] = {
    "synchronize": ("POST", "/v1/backends/b/synchronize", {}),
    "retry": ("POST", "/v1/backends/b/retry", {"ids": ["e1"]}),
    "retry-all": ("POST", "/v1/backends/b/retry", {"all": True}),
    "discard": ("POST", "/v1/backends/b/discard", {"queue": "conflicts", "ids": ["e1"]}),
    "discard-unsent": ("POST", "/v1/backends/b/discard", {"queue": "outbox", "ids": ["e1"]}),
    "reset": ("POST", "/v1/backends/b/reset", {"keys": ["patient"]}),
    "reset-all": ("POST", "/v1/backends/b/reset", {"all": True}),
    "resubmit": ("POST", "/v1/backends/b/resubmit", {"since": "2026-11-01", "until": "2026-11-02"}),
    "restore": ("POST", "/v1/archive/{archive}/restore", {}),
    "change-settings": ("POST", "/v1/backends/b/settings", {"values": {"interval": "120"}}),
    "count-remotes": ("POST", "/v1/backends/b/count-remotes", None),
    "compare": ("GET", "/v1/backends/b/compare/conflicts/e1", None),
    "check-connection": ("POST", "/v1/backends/b/check-connection", None),
}


def test_every_catalogue_action_has_a_request_here():
    assert set(REQUESTS) == {spec.name for spec in CATALOGUE}


@pytest.fixture
async def make(tmp_path, registry):
    registry.backends["recording"] = RecordingBackend
    agents: list[Agent] = []

    async def build(*, readonly=False, allows_sync=False, pin=False):
        config = agent_config(
            tmp_path, [BackendSettings("b", "recording"), BackendSettings("c", "recording")]
        )
        config.agent.readonly = readonly
        config.agent.readonly_allows_sync = allows_sync
        config.agent.admin_pin_hash = hash_pin(PIN) if pin else None
        agent = Agent(config, registry, watch=False)
        agents.append(agent)
        agent.store.archive.append(
            {
                "archive_id": "arch1",
                "time": datetime.now(UTC).isoformat(),
                "backend": "b",
                "kind": "recording",
                "queue": "conflicts",
                "entry": {"id": "e9", "queue": "conflicts", "record_type": "Patient", "operation": "Insert"},
                "payload": "{}",
            }
        )
        api = httpx.AsyncClient(transport=httpx.ASGITransport(app=create_api(agent)), base_url="http://a")
        return agent, api

    yield build
    for agent in agents:
        await agent.stop()


async def send(api, spec: ActionSpec, headers: dict[str, str] | None = None, backend: str = "b"):
    method, path, body = REQUESTS[spec.name]
    path = path.replace("{archive}", "arch1").replace("/backends/b/", f"/backends/{backend}/")
    return await api.request(method, path, json=body, headers=headers or {})


def calls(agent: Agent) -> list[str]:
    return agent.services["b"].backend.calls  # type: ignore[union-attr]


def phases(agent: Agent, spec: ActionSpec) -> list[str]:
    return [r["phase"] for r in agent.store.audit.read() if r["action"] == spec.name]


async def settle(agent: Agent) -> None:
    service = agent.services["b"]
    if service.action is not None:
        await wait_for(lambda: service.action.state != "running")


@pytest.mark.parametrize("spec", CATALOGUE, ids=lambda s: s.name)
async def test_read_only_refuses_every_change_and_audits_the_refusal(make, spec):
    agent, api = await make(readonly=True)
    response = await send(api, spec)
    if spec.changes:
        assert response.status_code == 403, response.text
        assert "read-only" in response.json()["error"]
        assert calls(agent) == [] and phases(agent, spec) == ["refused"]
    else:
        assert response.status_code == 200, response.text
        assert phases(agent, spec) == []  # reads are not audited


@pytest.mark.parametrize("spec", CATALOGUE, ids=lambda s: s.name)
async def test_read_only_with_sync_allowed_runs_only_synchronize(make, spec):
    agent, api = await make(readonly=True, allows_sync=True)
    response = await send(api, spec)
    allowed = spec.allowed_readonly(readonly_allows_sync=True)
    assert (response.status_code < 400) == allowed, (spec.name, response.status_code, response.text)
    assert allowed == (not spec.changes or spec.name == "synchronize")
    await settle(agent)


@pytest.mark.parametrize("spec", [s for s in CATALOGUE if s.changes], ids=lambda s: s.name)
async def test_the_pin_is_asked_exactly_where_the_catalogue_says(make, spec):
    agent, api = await make(pin=True)
    without = await send(api, spec)
    if spec.pin:
        assert without.status_code == 401 and calls(agent) == []
        wrong = await send(api, spec, {"X-Synctui-Pin": "0000"})
        assert wrong.status_code == 403 and calls(agent) == []
        assert phases(agent, spec) == ["refused", "refused"]
        right = await send(api, spec, {"X-Synctui-Pin": PIN})
        assert right.status_code < 400, right.text
    else:
        assert without.status_code < 400, without.text
    await settle(agent)
    assert calls(agent), "the action ran once allowed"
    assert PIN not in str(agent.store.audit.read())
    assert phases(agent, spec)[-2:] == ["before", "after"]


@pytest.mark.parametrize("spec", [s for s in CATALOGUE if s.changes], ids=lambda s: s.name)
async def test_an_idempotency_key_answers_only_the_same_request(make, spec):
    agent, api = await make()
    key = {"Idempotency-Key": f"k-{spec.name}"}
    first = await send(api, spec, key)
    assert first.status_code < 400, first.text
    await settle(agent)
    again = await send(api, spec, key)
    assert (again.status_code == first.status_code and again.json() == first.json()) or (
        spec.long_running and again.json()["id"] == first.json()["id"]
    )
    await settle(agent)
    assert len(calls(agent)) == 1, calls(agent)  # the repeat did not run it again
    if spec.name != "restore":  # restore names its target in the path, not the backend
        elsewhere = await send(api, spec, key, backend="c")
        assert elsewhere.status_code == 409, elsewhere.text
        assert "different request" in elsewhere.json()["error"]
        assert agent.services["c"].backend.calls == []  # never another action's answer
    other = next(s for s in CATALOGUE if s.changes and s.name != spec.name and s.name != "restore")
    crossed = await send(api, other, key)
    assert crossed.status_code == 409, (other.name, crossed.text)


async def test_a_joined_sync_says_it_joined(make):
    agent, api = await make()
    backend = agent.services["b"].backend
    backend.sync_gate = asyncio.Event()
    first = (await api.post("/v1/backends/b/synchronize")).json()
    second = (await api.post("/v1/backends/b/synchronize")).json()
    assert not first["joined"] and second["joined"] and second["id"] == first["id"]
    backend.sync_gate.set()
    await settle(agent)
