"""The agent keeps every backend isolated: raising, hanging or garbage never spreads."""

from __future__ import annotations

import asyncio

from synctui.backend import BackendError
from synctui.model import Category, QueueKind, Rejection, SyncResult
from synctui.testing import make_snapshot

from .conftest import static_settings, wait_for


async def test_fresh_snapshot_replaces_the_stale_one(make_agent):
    agent = make_agent(static_settings("a"))
    service = agent.services["a"]
    assert service.snapshot.stale  # nothing known yet
    service.backend.next = make_snapshot("a", outbox=4)
    await service.refresh_once()
    assert not service.snapshot.stale
    assert service.snapshot.queue(QueueKind.OUTBOX).count == 4
    assert service.snapshot.health.online


async def test_backend_error_keeps_last_data_marked_stale_with_the_reason(make_agent):
    agent = make_agent(static_settings("a"))
    service = agent.services["a"]
    service.backend.next = make_snapshot("a", outbox=7)
    await service.refresh_once()
    service.backend.next = BackendError(
        Rejection(Category.RETRYABLE, "cannot reach the dCDR: connection refused")
    )
    await service.refresh_once()
    snap = service.snapshot
    assert snap.stale and not snap.health.online
    assert snap.queue(QueueKind.OUTBOX).count == 7  # last known, not zero
    assert snap.health.error.message == "cannot reach the dCDR: connection refused"
    assert service.failures == 1


async def test_adapter_that_raises_is_reported_as_an_adapter_fault(make_agent):
    agent = make_agent(static_settings("a"))
    service = agent.services["a"]
    service.backend.next = ZeroDivisionError("boom")
    await service.refresh_once()
    error = service.snapshot.health.error
    assert "ZeroDivisionError: boom" in error.message
    assert "plugin" in error.advice
    assert "Traceback" in error.raw


async def test_adapter_that_hangs_times_out(make_agent):
    agent = make_agent(static_settings("a", timeout=0.1))
    service = agent.services["a"]
    service.backend.next = "hang"
    await asyncio.wait_for(service.refresh_once(), 2)
    assert "did not answer within 0.1 s" in service.snapshot.health.error.message


async def test_adapter_returning_garbage_is_an_error_not_a_crash(make_agent):
    agent = make_agent(static_settings("a"))
    service = agent.services["a"]
    service.backend.next = make_snapshot("a")
    service.backend.snapshot = _returns({"outbox": 3})
    await service.refresh_once()
    assert "returned dict, not a Snapshot" in service.snapshot.health.error.message


def _returns(value):
    async def snapshot():
        return value

    return snapshot


async def test_broken_backends_do_not_stop_the_others(make_agent):
    agent = make_agent(
        static_settings("raises"), static_settings("hangs", timeout=0.2), static_settings("good")
    )
    agent.services["raises"].backend.next = RuntimeError("adapter bug")
    agent.services["hangs"].backend.next = "hang"
    good = agent.services["good"].backend
    await agent.start()
    good.next = make_snapshot("good", outbox=1)
    await wait_for(lambda: agent.services["good"].snapshot.queue(QueueKind.OUTBOX).count == 1)
    good.next = make_snapshot("good", outbox=2)
    await wait_for(lambda: agent.services["good"].snapshot.queue(QueueKind.OUTBOX).count == 2)
    await wait_for(lambda: agent.services["hangs"].snapshot.health.error is not None)
    state = agent.state()
    errors = {v.snapshot.backend: v.snapshot.health.error for v in state.backends}
    assert "adapter bug" in errors["raises"].message
    assert "did not answer" in errors["hangs"].message
    assert errors["good"] is None


async def test_recovers_when_the_backend_comes_back(make_agent):
    agent = make_agent(static_settings("a", refresh_interval=0.05))
    backend = agent.services["a"].backend
    backend.next = BackendError(Rejection(Category.RETRYABLE, "offline"))
    await agent.start()
    await wait_for(lambda: agent.services["a"].failures >= 2)
    backend.next = make_snapshot("a", inbox=3)
    await wait_for(lambda: not agent.services["a"].snapshot.stale, timeout=5)
    assert agent.services["a"].failures == 0


async def test_retries_grow_with_jitter_and_never_wait_past_the_interval(make_agent):
    agent = make_agent(static_settings("a", refresh_interval=5.0))
    service = agent.services["a"]
    service.failures = 1
    first = {service._next_delay() for _ in range(20)}
    assert all(0.5 <= d <= 1.0 for d in first) and len(first) > 1  # jittered, soon after a failure
    service.failures = 3
    assert all(2.0 <= service._next_delay() <= 4.0 for _ in range(20))
    service.failures = 50  # a backend down for hours is still tried within one refresh interval
    assert all(2.5 <= service._next_delay() <= 5.0 for _ in range(20))


async def test_unknown_kind_is_shown_as_a_backend_error(make_agent):
    from synctui.backend import BackendSettings

    agent = make_agent(BackendSettings(name="x", kind="nosuch"))
    await agent.services["x"].refresh_once()
    assert "no plugin provides backend kind 'nosuch'" in agent.services["x"].snapshot.health.error.message


async def test_synchronize_is_single_flight_and_audited(make_agent):
    agent = make_agent(static_settings("a"))
    service = agent.services["a"]
    backend = service.backend
    backend.sync_gate = asyncio.Event()
    first = await agent.repairs.synchronize(service, pin=None, key=None)
    second = await agent.repairs.synchronize(service, pin=None, key=None)
    assert first.id == second.id and second.joined and not first.joined
    await asyncio.sleep(0.05)
    assert backend.sync_started == 1
    backend.sync_gate.set()
    await wait_for(lambda: service.action.state == "done")
    assert service.action.ok and service.action.message == "Sync finished"
    phases = [(r["action"], r["phase"]) for r in agent.store.audit.read()]
    assert phases == [("synchronize", "before"), ("synchronize", "after")]
    third = await agent.repairs.synchronize(service, pin=None, key=None)
    assert third.id != first.id  # a new run after the first finished


async def test_synchronize_failure_carries_the_reason(make_agent):
    agent = make_agent(static_settings("a"))
    service = agent.services["a"]
    rejection = Rejection(Category.SERVER, "3 entries were rejected by the server", advice="Open Conflicts")
    service.backend.sync_result = SyncResult(ok=False, message="Sync Failed", rejection=rejection)
    await agent.repairs.synchronize(service, pin=None, key=None)
    await wait_for(lambda: service.action.state == "failed")
    assert service.action.rejection == rejection


async def test_last_snapshot_is_restored_stale_after_restart(tmp_path, registry):
    from synctui.agent.core import Agent

    from .conftest import agent_config

    config = agent_config(tmp_path, [static_settings("a")])
    first = Agent(config, registry, watch=False)
    first.services["a"].backend.next = make_snapshot("a", conflicts=5)
    await first.services["a"].refresh_once()
    await first.stop()
    second = Agent(config, registry, watch=False)
    snap = second.services["a"].snapshot
    assert snap.stale and snap.queue(QueueKind.CONFLICTS).count == 5
    points = second.store.history("a").points
    assert points[-2][4] == 5 and points[-1][1:] == [None] * 4  # then the gap of the restart
    await second.stop()
