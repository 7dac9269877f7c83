"""The adapter against the simulator speaking each dCDR generation (santedb3, santedb2, openiz).

Every action is checked on the simulator's own state: the entry really went back to its original
queue, really was deleted, nothing was sent twice.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import httpx
import pytest
from synctui_santedb.adapter import SanteDBBackend
from synctui_santedb.profiles import PROFILES as PROFILE_TABLE
from synctui_santedb.simulator import Faults, SimulatorState, create_app

from synctui.backend import BackendError, BackendSettings, NotSupported, Secret
from synctui.model import Capability, Category, QueueKind

PROFILES = ("santedb3", "santedb2", "openiz")


def make(
    state: SimulatorState, profile: str, faults: Faults | None = None
) -> tuple[SanteDBBackend, httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=create_app(state, faults))
    client = httpx.AsyncClient(transport=transport, timeout=5)
    settings = BackendSettings(
        name="tablet",
        kind="santedb",
        url="http://127.0.0.1:9200",
        username="demo",
        secret=Secret("demo"),
        options={
            "profile": profile,
            "sync_poll_interval": 0.01,
            "sync_max_duration": 10,
            "sync_settle_polls": 3,
            "log_interval": 0,
        },
    )
    return SanteDBBackend(settings, client), client


@pytest.fixture(params=PROFILES)
async def sim(request):
    state = SimulatorState(seed=3, step_delay=0.0, profile=request.param)
    adapter, client = make(state, request.param)
    yield state, adapter
    await state.runner.stop()
    await client.aclose()


def dead_ids(state: SimulatorState) -> list[str]:
    return [str(e.id) for e in state.queue_entries("deadletter")]


async def test_the_profile_picks_its_capabilities(sim) -> None:
    state, adapter = sim
    assert adapter.capabilities == PROFILE_TABLE[state.profile].capabilities
    snap = await adapter.snapshot()
    assert snap.capabilities == adapter.capabilities and snap.kind == "santedb"
    assert (Capability.RESUBMIT in snap.capabilities) == (state.profile == "openiz")
    assert (Capability.RESET in snap.capabilities) == (state.profile != "openiz")
    assert (Capability.COMPARE in snap.capabilities) == (state.profile == "santedb3")
    assert (Capability.COUNT_REMOTES in snap.capabilities) == (state.profile == "santedb3")


async def test_snapshot_counts_oldest_and_log(sim) -> None:
    state, adapter = sim
    snap = await adapter.snapshot()
    counts = state.counts()
    for kind, queue in (
        (QueueKind.OUTBOX, "out"),
        (QueueKind.INBOX, "in"),
        (QueueKind.CONFLICTS, "deadletter"),
    ):
        assert snap.queue(kind).count == counts[queue]
    assert snap.queue(QueueKind.ADMIN).count == counts["admin"]
    assert snap.queue(QueueKind.OUTBOX).oldest == state.queue_entries("out")[0].creation_time
    assert snap.health.auth_ok and snap.health.online
    if state.profile == "openiz":
        assert snap.log == [] and any(i.key == "sync_log" for i in snap.info)
    else:
        assert {r.key for r in snap.log} == {r.key for r in state.log_rows()}
    assert bool(snap.jobs) == (state.profile == "santedb3")


async def test_entries_paging(sim) -> None:
    state, adapter = sim
    wanted = [str(e.id) for e in state.queue_entries("out")]
    first = await adapter.entries(QueueKind.OUTBOX, 0, 2)
    rest = await adapter.entries(QueueKind.OUTBOX, 2, 50)
    assert [e.id for e in first.entries + rest.entries] == wanted
    assert first.total == (None if state.profile == "santedb2" else len(wanted))
    assert all(e.record_type and e.operation and e.created for e in first.entries)


async def test_entry_detail_with_rejection(sim) -> None:
    state, adapter = sim
    dead = state.queue_entries("deadletter")[0]
    page = await adapter.entries(QueueKind.CONFLICTS, 0, 10)
    listed = next(e for e in page.entries if e.id == str(dead.id))
    assert listed.rejection and listed.rejection.status in (409, 422)
    assert listed.rejection.category in (Category.CONFLICT, Category.FIX_DATA)
    assert listed.original_queue == QueueKind.OUTBOX
    detail = await adapter.entry(QueueKind.CONFLICTS, str(dead.id))
    assert detail.entry.id == str(dead.id) and detail.entry.rejection == listed.rejection
    assert '"Bundle"' in detail.payload and detail.content_type == "application/json"


async def test_synchronize_pushes_everything_once(sim) -> None:
    state, adapter = sim
    pushed: list[str] = []
    original = state.push
    state.push = lambda entry: pushed.append(entry.data_file) or original(entry)  # type: ignore[method-assign]
    seen = []
    first, second = await asyncio.gather(
        adapter.synchronize(seen.append), adapter.synchronize(lambda p: None)
    )
    await state.runner.wait()
    assert first.ok and second.ok, (first, second)
    assert state.counts()["out"] == 0 and state.counts()["admin"] == 0
    assert len(pushed) == len(set(pushed))
    assert seen[-1].running is False and first.counts["sent"] >= 1


async def test_synchronize_rejection_is_counted_with_reason(sim) -> None:
    state, adapter = sim
    state.enqueue("out", "Patient", "Update", {"$type": "Patient", "id": "k1"}, fate=409)
    result = await adapter.synchronize(lambda p: None)
    assert result.counts["rejected"] >= 1 and "rejected by the server" in result.message
    assert "Synced" not in result.message
    assert result.rejection and result.rejection.category == Category.CONFLICT


async def test_retry_one_goes_back_to_its_queue_once(sim) -> None:
    state, adapter = sim
    dead = state.queue_entries("deadletter")[0]
    outbox_before = len(state.queue_entries("out"))
    first, second = await asyncio.gather(adapter.retry([str(dead.id)]), adapter.retry([str(dead.id)]))
    assert sorted([first.ok, second.ok]) == [False, True]
    assert str(dead.id) not in dead_ids(state)
    back = [e for e in state.queue_entries("out") if e.data_file == dead.data_file]
    assert len(back) == 1 and back[0].retry == 1 and len(state.queue_entries("out")) == outbox_before + 1


async def test_retry_all(sim) -> None:
    state, adapter = sim
    count = len(dead_ids(state))
    assert count >= 2
    result = await adapter.retry(None)
    assert result.ok and dead_ids(state) == []
    assert sum(e.retry == 1 for e in state.queue_entries("out")) == count


async def test_discard_deletes_the_entry(sim) -> None:
    state, adapter = sim
    dead = dead_ids(state)
    result = await adapter.discard(QueueKind.CONFLICTS, [dead[0], "999999"])
    assert not result.ok and [r.ok for r in result.results] == [True, False]
    assert result.results[1].rejection.category == Category.GONE
    assert dead_ids(state) == dead[1:]
    assert (
        state.counts()["out"] + state.counts()["deadletter"] == len(state.entries) - state.counts()["admin"]
    )


async def test_reset_where_the_profile_has_it(sim) -> None:
    state, adapter = sim
    if state.profile == "openiz":
        with pytest.raises(NotSupported):
            await adapter.reset(None)
        return
    row = state.log_rows()[0]
    same_type = [r.key for r in state.log_rows() if r.resource_type == row.resource_type]
    result = await adapter.reset([row.key])
    assert result.ok and not any(key in state.sync_log for key in same_type)
    assert (
        not (await adapter.reset(["00000000-0000-0000-0000-000000000000"])).ok or state.profile == "santedb3"
    )
    assert (await adapter.reset(None)).ok and state.log_rows() == []


async def test_unsupported_actions_raise_not_supported(sim) -> None:
    state, adapter = sim
    calls = {
        Capability.COMPARE: lambda: adapter.compare(QueueKind.CONFLICTS, dead_ids(state)[0]),
        Capability.COUNT_REMOTES: adapter.count_remotes,
        Capability.RESET: lambda: adapter.reset(None),
        Capability.RESUBMIT: lambda: adapter.resubmit(datetime.now(UTC), datetime.now(UTC), lambda p: None),
    }
    for capability, call in calls.items():
        if capability in adapter.capabilities:
            continue
        with pytest.raises(NotSupported):
            await call()


async def test_filters_are_refused_where_the_api_has_none(sim) -> None:
    state, adapter = sim
    if state.profile == "santedb3":
        assert (await adapter.entries(QueueKind.OUTBOX, filter="Bundle")).entries
        return
    with pytest.raises(BackendError, match="cannot filter"):
        await adapter.entries(QueueKind.OUTBOX, filter="Bundle")


async def test_wrong_password_is_an_auth_error(sim) -> None:
    _, adapter = sim
    adapter.settings.secret = Secret("wrong")
    with pytest.raises(BackendError) as caught:
        await adapter.snapshot()
    assert caught.value.rejection.category == Category.AUTH and "wrong" not in str(caught.value)


async def test_conflict_advice_names_compare_only_where_it_exists(sim) -> None:
    """2.x and OpenIZ have no compare: their conflicts must not say "Compare it with the server copy"."""
    _, adapter = sim
    listed = await adapter.entries(QueueKind.CONFLICTS, limit=200)
    conflicts = [e.rejection for e in listed.entries if e.rejection and e.rejection.status == 409]
    assert conflicts
    can_compare = Capability.COMPARE in adapter.capabilities
    for rejection in conflicts:
        assert ("Compare it with the server copy" in rejection.advice) == can_compare
        assert "discard it to keep the server version" in rejection.advice
