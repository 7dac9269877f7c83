"""Queue state machine rules of the SanteDB dCDR simulator (reference §3)."""

from __future__ import annotations

import pytest
from synctui_santedb.rejections import parse_reason
from synctui_santedb.simulator import SimulatorError, SimulatorState
from synctui_santedb.simulator.payloads import bundle


@pytest.fixture
def state() -> SimulatorState:
    return SimulatorState(seed=3, populate=False, step_delay=0)


def _enqueue(state: SimulatorState, fate: int | None = None, queue: str = "out"):
    obj = state.new_record("Patient")
    state.record_local_change(obj, "Insert")
    return state.enqueue(queue, "Bundle", "Insert", bundle([obj]), fate=fate)


def test_ids_are_one_sequence_and_queues_are_fifo(state: SimulatorState) -> None:
    a, b = _enqueue(state), _enqueue(state, queue="admin")
    c = _enqueue(state)
    assert (a.id, b.id, c.id) == (1, 2, 3)
    assert [e.id for e in state.queue_entries("OUT")] == [1, 3]
    assert state.counts() == {"in": 0, "out": 2, "admin": 1, "deadletter": 0}


def test_cannot_enqueue_into_deadletter(state: SimulatorState) -> None:
    with pytest.raises(SimulatorError) as info:
        state.enqueue("deadletter", "Patient", "Insert", {"$type": "Patient", "id": "x"})
    assert info.value.status == 400


def test_unknown_queue_is_404(state: SimulatorState) -> None:
    with pytest.raises(SimulatorError) as info:
        state.queue_entries("outbox")
    assert info.value.status == 404


def test_rejected_push_moves_to_deadletter_with_new_id_same_datafile(state: SimulatorState) -> None:
    entry = _enqueue(state, fate=409)
    assert state.push(entry) == 409
    (dead,) = state.queue_entries("deadletter")
    assert dead.id != entry.id and dead.data_file == entry.data_file
    body = dead.to_json()
    assert body["originalQueue"] == {"name": "out", "pattern": "LocalToUpstream"}
    assert body["queue"] == {"name": "deadletter", "pattern": "DeadLetter"}
    assert "(409)" in body["reason"] and "   at " in body["reason"]
    # the iCDR now holds a newer version of the record
    key = entry.correlation_key
    assert state.server[key]["versionSequence"] > state.local[key]["versionSequence"]


def test_accepted_push_reaches_server(state: SimulatorState) -> None:
    entry = _enqueue(state)
    before = state.server_counts["Patient"]
    assert state.push(entry) is None
    assert state.counts()["out"] == 0
    assert state.server_counts["Patient"] == before + 1
    assert entry.correlation_key in state.server


def test_retry_returns_to_original_queue_and_increments_retry(state: SimulatorState) -> None:
    entry = _enqueue(state, fate=500, queue="admin")
    state.push(entry)
    dead = state.queue_entries("deadletter")[0]
    back = state.retry(dead.id)
    assert back.queue == "admin" and back.retry == 1 and back.id > dead.id
    assert back.data_file == entry.data_file
    assert state.counts()["deadletter"] == 0
    assert "originalQueue" not in back.to_json() and "reason" not in back.to_json()
    assert state.push(back) is None  # FK problem resolved on retry


def test_business_rule_rejection_bounces_again_after_retry(state: SimulatorState) -> None:
    state.push(_enqueue(state, fate=422))
    back = state.retry(state.queue_entries("deadletter")[0].id)
    assert state.push(back) == 422
    assert state.queue_entries("deadletter")[0].retry == 1


def test_retry_all_and_retry_unknown(state: SimulatorState) -> None:
    for fate in (409, 404, 410):
        state.push(_enqueue(state, fate=fate))
    assert len(state.retry_all()) == 3
    assert state.counts()["deadletter"] == 0
    with pytest.raises(SimulatorError) as info:
        state.retry(999)
    assert info.value.status == 404


def test_delete_removes_entry_and_payload(state: SimulatorState) -> None:
    entry = _enqueue(state)
    state.delete("out", entry.id)
    assert state.counts()["out"] == 0 and entry.data_file not in state.payloads
    with pytest.raises(SimulatorError):
        state.delete("out", entry.id)


def test_pull_apply_and_inbound_failure(state: SimulatorState) -> None:
    state.server_change("Patient")
    state.server_change("Act")
    pulled = state.pull()
    assert state.counts()["in"] == 2 and all(e.operation == "Sync" for e in pulled)
    assert state.apply_inbound(pulled[0]) is True
    assert state.apply_inbound(pulled[1], fail=True) is False
    dead = state.queue_entries("deadletter")[0]
    assert dead.original_queue == "in" and "FOREIGN KEY" in (dead.reason or "")
    assert state.retry(dead.id).queue == "in"


def test_sync_log_rows_reset(state: SimulatorState) -> None:
    state.mark_pulled()
    rows = state.log_rows()
    assert any(r.filter == "$deletedObjects" for r in rows)
    assert all(r.last_sync is not None for r in rows)
    body = rows[0].to_json()
    assert set(body) <= {"Key", "ResourceType", "Filter", "LastSync", "LastETag", "LastError"}
    state.reset_log(rows[0].key.upper())
    assert len(state.log_rows()) == len(rows) - 1
    state.reset_log()
    assert state.log_rows() == []


def test_listeners_fire_once_per_batch(state: SimulatorState) -> None:
    calls: list[int] = []
    state.listeners.append(lambda s: calls.append(1))
    _enqueue(state)
    assert len(calls) == 1
    for fate in (409, 422):
        state.push(_enqueue(state, fate=fate))
    calls.clear()
    state.retry_all()
    assert len(calls) == 1


def test_populated_state_looks_like_a_tablet() -> None:
    state = SimulatorState(seed=1)
    counts = state.counts()
    assert counts["out"] > 0 and counts["deadletter"] == 2 and counts["admin"] == 1
    assert any(isinstance(p, str) and p.startswith("<") for p in state.payloads.values())
    assert state.jobs["e511689a-98e1-47cd-8933-6a8cef8ae014"].state == "Completed"


@pytest.mark.parametrize("status", [409, 422, 500, 404, 410])
def test_rejection_texts_are_real_net_chains(state: SimulatorState, status: int) -> None:
    """UpstreamIntegrationException ---> RestClientException on one line, the server's fault as JSON
    between RestClientException's markers, stack-trace lines; no invented prefix. The parser finds
    the server's own words (which record, rule or constraint) in it."""
    entry = _enqueue(state, fate=status)
    state.push(entry)
    (dead,) = state.queue_entries("deadletter")
    reason = dead.to_json()["reason"]
    first = reason.splitlines()[0]
    assert first.startswith("SanteDB.Client.Exceptions.UpstreamIntegrationException: ")
    assert " ---> [RestClientException: " in first and f"({status})" in first
    assert "--SERVER FAULT--\r\n{" in reason and "}\r\n--END SERVER FAULT--" in reason
    assert "\r\n   at SanteDB." in reason and "Server fault:" not in reason
    rejection = parse_reason(reason)
    assert rejection.status == status
    said = {422: "would become negative (-", 500: 'violates foreign key constraint "fk_act_ptcpt_ent_id"'}
    assert said.get(status, entry.correlation_key) in rejection.message
