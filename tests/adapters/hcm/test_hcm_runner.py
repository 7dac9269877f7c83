"""The sync cycle against the simulator: nothing lost, nothing sent twice, failures explained."""

from __future__ import annotations

import asyncio
import json
from collections import Counter

import httpx
from synctui_hcm.simulator import SimConfig, SimServer

from synctui.model import Category, QueueKind

from .conftest import counts, mocked_backend, raw_rows, sync_until_settled


async def test_faults_at_30_percent_every_row_confirmed_exactly_once(make_backend, worker, oplog):
    server = SimServer(SimConfig(persist_delay=0.03, fault_rate=0.3, seed=1234))
    households = [worker.register_household() for _ in range(25)]
    for cref in households[:6]:
        worker.update_household(cref)
    worker.delete_household(households[7])
    backend = make_backend(sim=server, batch_size=7, max_attempts=6, retry_interval=0.06, resend_grace=0.25)

    snap = await sync_until_settled(backend, server, rounds=15)

    assert counts(snap) == {"outbox": 0, "inbox": 0, "admin": None, "conflicts": 0}
    rows = raw_rows(oplog)
    assert all(r["syncedUp"] and r["syncedDown"] and not r["nonRecoverableError"] for r in rows)
    created = [r for r in rows if r["operation"] == "create"]
    assert sum(len(t) for t in server.store.values()) == len(created)  # none lost
    assert set(server.creates_applied.values()) == {1}  # none twice
    assert "DUPLICATE_ENTITY" not in server.tracer_codes()
    assert "MISMATCHED_ROW_VERSION" not in server.tracer_codes()
    assert server.tracer == []
    versions = {c: server.store["household"][c]["rowVersion"] for c in households[:6]}
    assert set(versions.values()) == {2}  # each update applied once
    assert server.store["household"][households[7]]["isDeleted"] is True
    injected = backend.sim_app.injected
    assert sum(injected.values()) > 20 and len(injected) == 5  # every kind of fault really happened


async def test_a_row_the_server_never_saves_ends_in_conflicts_and_stays(make_backend, worker, oplog, server):
    worker.register_household(members=1)
    lost = worker.register_household(members=1, tenant_id="other-tenant")
    backend = make_backend(max_attempts=3)

    snap = await sync_until_settled(backend, server)

    assert counts(snap) == {"outbox": 0, "inbox": 0, "admin": None, "conflicts": 1}
    assert server.tracer_codes() == Counter({"TENANT_ID_INVALID": 1})
    page = await backend.entries(QueueKind.CONFLICTS)
    (entry,) = page.entries
    assert entry.correlation == lost
    assert entry.rejection is not None and entry.rejection.code == "STILL_NOT_CONFIRMED"
    assert entry.original_queue == QueueKind.INBOX
    (row,) = raw_rows(oplog, f"clientReferenceId = '{lost}'")
    assert row["nonRecoverableError"] == 1 and row["syncedDown"] == 0  # not dumped as "synced"

    # More syncs do not make it vanish.
    await backend.synchronize(lambda p: None)
    assert counts(await backend.snapshot())["conflicts"] == 1
    result = await backend.synchronize(lambda p: None)
    assert result.ok


async def test_network_failure_during_confirmation_is_not_an_attempt(make_backend, worker, oplog, server):
    worker.register_household(members=1)
    server.config.persist_delay = 30  # accepted, never persisted during this test
    backend = make_backend(max_passes=1)
    result = await backend.synchronize(lambda p: None)
    assert result.counts["sent"] == 5
    assert counts(await backend.snapshot())["inbox"] == 5

    server.config.fault_rate, server.config.fault_kinds = 1.0, ("reset", "timeout", "500", "wrong_types")
    for _ in range(3):
        result = await backend.synchronize(lambda p: None)
        assert not result.ok
        assert result.rejection is not None and result.rejection.category in (
            Category.RETRYABLE,
            Category.SERVER,
        )
    assert {r["syncDownRetryCount"] for r in raw_rows(oplog)} == {0}
    assert counts(await backend.snapshot()) == {"outbox": 0, "inbox": 5, "admin": None, "conflicts": 0}
    snap = await backend.snapshot()
    assert not snap.health.online or snap.health.error is not None


async def test_lost_answer_is_verified_by_search_before_any_resend(make_backend, worker, server):
    worker.register_household(members=1)
    server.config.fault_rate, server.config.fault_kinds, server.config.fault_phase = 1.0, ("reset",), "after"
    backend = make_backend(resend_grace=0.5, max_passes=1)
    first = await backend.synchronize(lambda p: None)
    assert not first.ok and first.rejection is not None and first.rejection.category == Category.RETRYABLE
    assert "not sent" in first.rejection.message
    await server.drain()  # the server did save what it answered with a reset
    server.config.fault_rate = 0.0

    snap = await sync_until_settled(backend, server)

    assert counts(snap)["outbox"] == 0 and counts(snap)["inbox"] == 0
    assert server.calls["household.bulk_create"] == 1  # found by search, never sent again
    assert set(server.creates_applied.values()) == {1}
    assert server.tracer == []


async def test_unverifiable_send_waits_for_the_grace_then_resends(make_backend, worker, server):
    worker.register_household(members=1)
    server.config.fault_rate, server.config.fault_kinds, server.config.fault_phase = 1.0, ("500",), "before"
    backend = make_backend(resend_grace=0.1, max_passes=1)
    await backend.synchronize(lambda p: None)
    assert sum(server.creates_applied.values()) == 0
    server.config.fault_rate = 0.0
    await asyncio.sleep(0.15)
    await sync_until_settled(backend, server)
    assert server.calls["household.bulk_create"] == 1  # the faulted call never reached the endpoint
    assert set(server.creates_applied.values()) == {1}


async def test_second_trigger_joins_the_running_sync(make_backend, worker, server):
    for _ in range(4):
        worker.register_household(members=1)
    a, b = make_backend(batch_size=100), make_backend(batch_size=100)
    seen_a, seen_b = [], []
    r1, r2 = await asyncio.gather(a.synchronize(seen_a.append), b.synchronize(seen_b.append))
    assert r1 == r2
    assert server.calls["household.bulk_create"] == 1
    assert seen_a and seen_b
    assert seen_a[-1].running is False and seen_a[-1].fraction == 1.0


async def test_entity_order_batches_and_pause(make_backend, worker, server):
    for _ in range(7):
        worker.register_household(members=1)
    backend = make_backend(batch_size=3, pause_seconds=0.01, max_passes=1)
    await backend.synchronize(lambda p: None)
    order = [c.split(".")[0] for c in server.call_log if "bulk_create" in c]
    assert (
        order
        == ["household"] * 3
        + ["individual"] * 3
        + ["projectBeneficiary"] * 3
        + ["householdMember"] * 3
        + ["task"] * 3
    )


async def test_update_waits_behind_its_create_and_carries_the_server_id(make_backend, worker, oplog, server):
    cref = worker.register_household(members=1)
    worker.update_household(cref, member_count=9)
    backend = make_backend()
    snap = await backend.snapshot()
    assert snap.queue(QueueKind.OUTBOX).detail == "5 entities · 1 blocked"
    page = await backend.entries(QueueKind.OUTBOX, filter="household")
    update = next(e for e in page.entries if e.operation == "update")
    assert update.rejection is not None and update.rejection.code == "BLOCKED"
    household_row = next(r for r in snap.log if r.record_type == "household")
    assert household_row.pending == 2 and "blocked" in (household_row.last_error or "")

    await sync_until_settled(backend, server)
    stored = server.store["household"][cref]
    assert stored["memberCount"] == 9 and stored["rowVersion"] == 2
    rows = raw_rows(oplog, "entityType = 'household'")
    assert {r["serverGeneratedId"] for r in rows} == {stored["id"]}


async def test_stale_update_ends_in_conflicts_and_compare_shows_both(make_backend, worker, server):
    cref = worker.register_household(members=1)
    backend = make_backend(max_attempts=2)
    await sync_until_settled(backend, server)
    server.store["household"][cref]["rowVersion"] = 5  # another device edited it meanwhile
    server.store["household"][cref]["memberCount"] = 42
    worker.update_household(cref, member_count=3)

    snap = await sync_until_settled(backend, server)

    assert counts(snap)["conflicts"] == 1
    assert server.tracer_codes() == Counter({"MISMATCHED_ROW_VERSION": 1})
    (entry,) = (await backend.entries(QueueKind.CONFLICTS)).entries
    comparison = await backend.compare(QueueKind.CONFLICTS, entry.id)
    assert json.loads(comparison.local)["memberCount"] == 3
    assert comparison.server is not None and json.loads(comparison.server)["memberCount"] == 42


async def test_auth_refused_stops_the_sync_and_keeps_everything(make_backend, worker, oplog):
    worker.register_household(members=1)
    backend = make_backend(token="wrong")
    result = await backend.synchronize(lambda p: None)
    assert not result.ok
    assert result.rejection is not None and result.rejection.category == Category.AUTH
    assert "token" not in result.message.lower() or "wrong" not in result.message
    assert counts(await backend.snapshot())["outbox"] == 5
    assert {r["syncDownRetryCount"] for r in raw_rows(oplog)} == {0}
    assert (await backend.snapshot()).health.auth_ok is False


async def test_a_batch_refused_for_one_record_is_split_to_find_it(oplog, worker):
    for _ in range(4):
        worker.register_household(members=0)
    bad = worker.households[2]
    posted: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        if request.url.path.endswith("/_search"):
            return httpx.Response(200, json={"Households": [], "TotalCount": 0})
        items = next(v for v in body.values() if isinstance(v, list))
        if "Households" in body:
            posted.append(len(items))
        if any(h["clientReferenceId"] == bad for h in items):
            return httpx.Response(400, json={"Errors": [{"code": "INVALID_ENTITY", "message": "bad"}]})
        return httpx.Response(202, json={"apiId": "x", "status": "successful"})

    async with mocked_backend(oplog, handler) as backend:
        result = await backend.synchronize(lambda p: None)
        (entry,) = (await backend.entries(QueueKind.CONFLICTS)).entries
    assert entry.correlation == bad
    assert entry.rejection is not None and entry.rejection.code == "INVALID_ENTITY"
    assert entry.rejection.category == Category.FIX_DATA
    assert result.counts["sent"] == 3 + 8 and result.counts["conflicts"] == 1
    assert posted[0] == 4 and sum(1 for n in posted if n == 1) >= 1


async def test_garbage_from_the_server_is_a_clear_failure(oplog, worker):
    worker.register_household(members=0)

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(202, content=b"<html>proxy error</html>")

    async with mocked_backend(oplog, handler) as backend:
        result = await backend.synchronize(lambda p: None)
    assert not result.ok
    assert result.rejection is not None and result.rejection.code == "MALFORMED_RESPONSE"
    assert "1 household not sent" in result.rejection.message
