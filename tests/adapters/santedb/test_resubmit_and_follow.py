"""Regressions: OpenIZ Re-Submit To Server never queues a record that already waits in the outbox and
says what it did, counted; following a sync survives one failed poll; check_connection says only what it
verified."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl, urlencode

import httpx
import pytest
from synctui_santedb.simulator import FAULT_KINDS, Faults, SimulatorState, create_app, payloads

from synctui.backend import BackendError
from synctui.model import Category, SyncProgress

from .conftest import FakeDcdr, make_backend
from .test_adapter_profiles import make

DAY = datetime(2024, 5, 10, 12, 0, tzinfo=UTC)
TRANSIENT_KINDS = list(FAULT_KINDS)  # every injected fault is a transient failure of one poll


def local_records(state: SimulatorState, clock: list[datetime], waiting: int, lost: int) -> list[str]:
    """`waiting` local patients queued in the outbox (not on the server yet) and `lost` local patients
    the server lacks and nothing queues any more (the case Re-Submit is for), all created on DAY."""
    clock[0] = DAY
    keys = []
    for number in range(waiting + lost):
        obj = state.new_record("Patient")
        state.record_local_change(obj, "Insert")
        if number < waiting:
            state.enqueue("out", "Bundle", "Insert", payloads.bundle([obj]))
        keys.append(obj["id"])
    return keys


@pytest.fixture
async def openiz():
    clock = [DAY]
    state = SimulatorState(seed=4, step_delay=0.0, populate=False, clock=lambda: clock[0], profile="openiz")
    adapter, client = make(state, "openiz")
    yield state, adapter, clock
    await state.runner.stop()
    await client.aclose()


# --- 1. Re-Submit To Server ------------------------------------------------------------------------


async def test_resubmit_does_not_queue_records_already_waiting(openiz) -> None:
    """Outbox 8, four more records the server lacks: queue the four, leave the eight, say so counted.
    Before the fix: "12 records … queued again" and the outbox went 8 → 20 → 32."""
    state, adapter, clock = openiz
    local_records(state, clock, waiting=8, lost=4)
    assert state.counts()["out"] == 8
    seen: list[SyncProgress] = []
    result = await adapter.resubmit(DAY - timedelta(days=1), DAY + timedelta(days=1), seen.append)
    assert state.counts()["out"] == 12
    assert result.ok and result.counts == {"queued": 4, "already_queued": 8, "failed": 0}
    assert result.message.startswith("Queued 4 records created 2024-05-09 to 2024-05-11")
    assert "8 records already waiting in the outbox were left out, not queued again" in result.message
    assert "reached" not in result.message and "synced" not in result.message.lower()
    assert seen[-1].running is False

    again = await adapter.resubmit(DAY - timedelta(days=1), DAY + timedelta(days=1), lambda p: None)
    assert state.counts()["out"] == 12  # the same range again queues nothing twice
    assert again.ok and again.counts == {"queued": 0, "already_queued": 12, "failed": 0}
    assert again.message.startswith("Queued 0 records")
    keys = [e.correlation_key for e in state.queue_entries("out")]
    assert len(keys) == len(set(keys)) == 12


async def test_simulator_queues_waiting_records_again_unless_left_out(openiz) -> None:
    """The simulated client is faithful to ForceRequeue: it asks only the server, so a waiting record is
    queued a second time; `id=!<key>` (AND-ed by OpenIZ's query parser) leaves it out."""
    state, _, clock = openiz
    waiting = local_records(state, clock, waiting=2, lost=1)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=create_app(state)), base_url="http://sim"
    ) as client:
        token = (
            await client.post(
                "/__auth/authenticate",
                data={"grant_type": "password", "username": "demo", "password": "demo"},
            )
        ).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        span = [("creationTime", ">2024-05-10T00:00:00"), ("creationTime", "<2024-05-10T23:59:59")]
        left_out = [("id", f"!{key}") for key in waiting[:2]]
        answer = await client.put(f"/__app/data/sync?{urlencode(span + left_out)}", headers=headers)
        assert answer.status_code == 204 and state.counts()["out"] == 3
        answer = await client.put(f"/__app/data/sync?{urlencode(span)}", headers=headers)
        assert answer.status_code == 204 and state.counts()["out"] == 6  # all three again: duplicates
        bad = await client.put(f"/__app/data/sync?{urlencode([*span, ('id', '!nope')])}", headers=headers)
        assert bad.status_code == 400 and bad.json()["type"] == "FormatException"


async def test_resubmit_reports_records_a_client_queued_twice(openiz) -> None:
    """A client that ignores the exclusion: the adapter reads back what was queued and says it, counted,
    and is not ok. It deletes nothing on its own."""
    state, _, clock = openiz
    local_records(state, clock, waiting=3, lost=1)
    inner = httpx.ASGITransport(app=create_app(state))

    class IgnoresExclusions(httpx.AsyncBaseTransport):
        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            if request.method == "PUT" and request.url.path == "/__app/data/sync":
                kept = [(k, v) for k, v in parse_qsl(request.url.query.decode()) if k != "id"]
                request.url = request.url.copy_with(query=urlencode(kept).encode())
            return await inner.handle_async_request(request)

    adapter, client = make(state, "openiz")
    adapter.http._transport = IgnoresExclusions()
    try:
        result = await adapter.resubmit(DAY, DAY, lambda p: None)
    finally:
        await client.aclose()
    assert state.counts()["out"] == 7
    assert not result.ok and result.counts == {"queued": 1, "already_queued": 3, "failed": 3}
    assert "3 of those waiting records were queued a second time" in result.message


async def test_resubmit_refuses_when_the_outbox_is_too_full_to_check(openiz) -> None:
    state, adapter, clock = openiz
    local_records(state, clock, waiting=4, lost=2)
    adapter.client.options["resubmit_max_waiting"] = 3
    with pytest.raises(BackendError) as caught:
        await adapter.resubmit(DAY, DAY, lambda p: None)
    assert caught.value.rejection.code == "OUTBOX_TOO_FULL"
    assert "Synchronize Now first" in caught.value.rejection.advice
    assert state.counts()["out"] == 4  # nothing queued


def test_record_keys_of_json_and_xml_payloads() -> None:
    from synctui_santedb.record_keys import record_keys

    a, b = "7d2e5c1a-9f43-4b7e-a2c1-0e8d6b4f3a21", "0B7C0F4E-3C1B-4D7E-9A8F-1E2D3C4B5A69"

    def js(value: object) -> str:
        return json.dumps(value)

    patient = {"$type": "Patient", "id": a}
    assert record_keys(js({"$type": "Bundle", "resource": [patient]})) == {a}
    assert record_keys(js({"$type": "Bundle", "item": [{"id": a}, {"id": b}]})) == {a, b.lower()}
    assert record_keys(js({"$type": "Bundle", "resource": []})) == set()
    assert record_keys(js(patient)) == {a}
    assert record_keys(js({"$type": "Patch", "appliesTo": {"type": "Patient", "id": a}})) == {a}
    xml = (
        '<Bundle xmlns="http://openiz.org/model" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
        f'<item xsi:type="Patient"><id>{a}</id></item><item xsi:type="Act"><id>{b}</id></item></Bundle>'
    )
    assert record_keys(xml) == {a, b.lower()}
    assert record_keys(f'<Patient xmlns="http://santedb.org/model"><id>{a}</id></Patient>') == {a}
    with pytest.raises(ValueError):
        record_keys("<Bundle><item>")


# --- 4. one failed poll while following a sync ------------------------------------------------------


def fault_after_start(
    faults: Faults, kind: str, times: int, path: str
) -> tuple[Callable[[SyncProgress], None], list[SyncProgress]]:
    """A progress callback whose first call (the sync has started) arms `times` faults of `kind`."""
    seen: list[SyncProgress] = []

    def collect(progress: SyncProgress) -> None:
        if not seen:
            faults.force(kind, times=times, path=path)
        seen.append(progress)

    return collect, seen


@pytest.fixture
async def santedb3():
    state = SimulatorState(seed=3, step_delay=0.002)
    faults = Faults(rate=0.0, seed=1, timeout_delay=0.01)
    adapter, client = make(state, "santedb3", faults)
    adapter.client.options.update(sync_poll_backoff=0.0, sync_poll_interval=0.0)
    yield state, faults, adapter
    await state.runner.stop()
    await client.aclose()


@pytest.mark.parametrize("kind", TRANSIENT_KINDS)
async def test_one_failed_job_poll_does_not_fail_the_sync(santedb3, kind: str) -> None:
    state, faults, adapter = santedb3
    collector, seen = fault_after_start(faults, kind, times=1, path="/ami/JobInfo/")
    result = await adapter.synchronize(collector)
    assert faults.injected[kind] == 1
    assert result.ok, result
    assert any(p.message == "Lost contact, retrying (1)" for p in seen)
    assert state.counts()["out"] == 0


async def test_one_failed_count_poll_does_not_fail_a_legacy_sync() -> None:
    state = SimulatorState(seed=3, step_delay=0.002, profile="openiz")
    faults = Faults(rate=0.0, seed=1, timeout_delay=0.01)
    adapter, client = make(state, "openiz", faults)
    adapter.client.options.update(sync_poll_backoff=0.0)
    collector, seen = fault_after_start(faults, "server-error", times=1, path="/__app/queue")
    try:
        result = await adapter.synchronize(collector)
    finally:
        await state.runner.stop()
        await client.aclose()
    assert faults.injected["server-error"] == 1
    assert result.ok, result
    assert any(p.message.startswith("Lost contact, retrying") for p in seen)


async def test_a_sync_followed_through_ten_percent_faults_ends_as_it_really_ended(santedb3) -> None:
    state, faults, adapter = santedb3
    seen: list[SyncProgress] = []

    def collect(progress: SyncProgress) -> None:
        if not seen:
            faults.configure(rate=0.1)  # deterministic: Faults(seed=1)
        seen.append(progress)

    result = await adapter.synchronize(collect)
    faults.configure(rate=0.0)
    assert sum(faults.injected.values()) >= 1
    assert result.ok, result
    assert state.counts()["out"] == 0 and result.counts["waiting"] == 0


async def test_losing_contact_for_good_is_a_failure_that_says_so(santedb3) -> None:
    _, faults, adapter = santedb3
    collector, seen = fault_after_start(faults, "reset", times=50, path="/ami/JobInfo/")
    result = await adapter.synchronize(collector)
    assert not result.ok and result.rejection and result.rejection.code == "LOST_CONTACT"
    assert result.message.startswith("Lost contact with the dCDR while following the synchronization")
    assert "5 polls in a row failed" in result.message
    assert [p.message for p in seen if p.message.startswith("Lost contact")] == [
        f"Lost contact, retrying ({n})" for n in range(1, 5)
    ]


async def test_auth_refused_while_following_is_not_retried(santedb3) -> None:
    state, _, adapter = santedb3
    calls: list[SyncProgress] = []

    def revoke(progress: SyncProgress) -> None:
        if not calls:
            state.tokens.clear()
            state.password = "changed"
        calls.append(progress)

    with pytest.raises(BackendError) as caught:
        await adapter.synchronize(revoke)
    assert caught.value.rejection.category == Category.AUTH
    assert not any(p.message.startswith("Lost contact") for p in calls)


# --- 3. check_connection says only what it verified ----------------------------------------------


async def test_check_connection_does_not_claim_a_cached_login_when_the_dcdr_is_gone(fake: FakeDcdr) -> None:
    adapter = make_backend(fake)
    await adapter.snapshot()  # a token is now cached

    def down(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    adapter.http._transport = httpx.MockTransport(down)
    health = await adapter.check_connection()
    assert health.online is False and health.auth_ok is None
    assert health.error and health.error.category == Category.RETRYABLE
    await adapter.http.aclose()


async def test_check_connection_logs_in_afresh(fake: FakeDcdr) -> None:
    adapter = make_backend(fake)
    await adapter.snapshot()
    issued = fake.tokens_issued
    health = await adapter.check_connection()
    assert health.online and health.auth_ok is True and fake.tokens_issued == issued + 1
    fake.valid_tokens.clear()
    fake.overrides[("POST", "/auth/oauth2_token")] = lambda r: httpx.Response(
        400, json={"error": "invalid_grant", "error_description": "Invalid"}
    )
    health = await adapter.check_connection()
    assert health.auth_ok is False and health.online is True
    await adapter.http.aclose()


async def test_check_connection_without_credentials_did_not_reach_anything(fake: FakeDcdr) -> None:
    adapter = make_backend(fake)
    adapter.settings.secret = None
    health = await adapter.check_connection()
    assert health.auth_ok is None and health.error and health.error.category == Category.AUTH
    assert not fake.requests
    await adapter.http.aclose()
