"""The simulator's outbox backlog: a million entries paged and filtered like a real queue, in little memory."""

from __future__ import annotations

import tracemalloc

import httpx
import pytest
from synctui_santedb.simulator import UPSTREAM_JOB_ID, SimulatorState, create_app
from synctui_santedb.simulator.state import FILTER_FIELDS

BASE = "http://dcdr.test:9200"


def reference_page(state: SimulatorState, offset: int, count: int, filters: dict[str, str]):
    """The same page by brute force: every outbound entry, filtered on its wire JSON."""
    matched = [
        e
        for e in state.queue_entries("out")
        if all(str(e.to_json()[FILTER_FIELDS[k]]).lower() == v.lower() for k, v in filters.items())
    ]
    return [e.id for e in matched[offset : offset + count]], len(matched)


def holed_state() -> SimulatorState:
    state = SimulatorState(seed=3, step_delay=0, backlog=120)
    for entry_id in (1, 2, 4, 9, 10, 57, 58, 119):  # head, holes, one beside the end
        state.remove_entry(entry_id)
    state.dead_letter(30, "rejected")  # leaves the backlog for dead-letter with a new id
    state.delete("out", 31)
    return state


def filter_cases(state: SimulatorState) -> list[dict[str, str]]:
    some = state.get_entry("out", 77)
    return [
        {},
        {"id": "77"},
        {"id": "9"},  # gone
        {"id": "123"},  # a populated entry after the backlog
        {"correlation": some.correlation_key.upper()},
        {"dataFile": some.data_file},
        {"dataFile": "00000000-0000-4000-8000-000000000000"},
        {"type": "bundle"},
        {"type": "Patient"},
        {"type": "QuantityObservation"},  # also among the populated entries
        {"type": "Encounter"},
        {"operation": "Insert"},  # answered by a scan
        {"type": "Patient", "retry": "0"},
    ]


@pytest.mark.parametrize("offset", [0, 1, 5, 20, 26, 100, 108, 111, 200])
def test_pages_match_a_brute_force_listing(offset: int) -> None:
    state = holed_state()
    for filters in filter_cases(state):
        got, total = state.queue_page("out", offset, 7, filters)
        assert ([e.id for e in got], total) == reference_page(state, offset, 7, filters), filters


def test_counts_and_the_oldest_entry_include_the_backlog() -> None:
    state = holed_state()
    populated = len(state.queue_entries("out", backlog=False))
    assert state.counts()["out"] == 120 - 10 + populated
    assert state.first_entry("out").id == 3


async def test_a_sync_sends_backlog_entries_oldest_first() -> None:
    state = SimulatorState(seed=1, step_delay=0, backlog=25, populate=False)
    server_before = sum(state.server_counts.values())
    state.runner.start(UPSTREAM_JOB_ID, ["All", True])
    await state.runner.wait()
    assert state.counts()["out"] == 0 and state.backlog.count == 0
    assert sum(state.server_counts.values()) == server_before + 25  # every record reached the server


def test_a_dead_lettered_backlog_entry_keeps_its_payload() -> None:
    state = SimulatorState(seed=1, step_delay=0, backlog=10, populate=False)
    entry = state.get_entry("out", 6)
    payload = state.payload(entry)
    moved = state.dead_letter(6, "rejected")
    assert moved.id == 11 and moved.correlation_key == entry.correlation_key
    assert state.payload(moved) == payload
    assert state.focal_objects(payload)[0]["id"] == entry.correlation_key


def test_a_million_entries_cost_little_memory() -> None:
    tracemalloc.start()
    try:
        state = SimulatorState(seed=2, step_delay=0, backlog=1_000_000)
        got, total = state.queue_page("out", 500_000, 50)
        by_type, typed_total = state.queue_page("out", 100_000, 50, {"type": "Patient"})
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert [e.id for e in got] == list(range(500_001, 500_051))
    assert total == 1_000_000 + len(state.queue_entries("out", backlog=False))
    assert typed_total == 250_000 and all(e.resource_type == "Patient" for e in by_type)
    assert peak < 5_000_000  # bytes: nothing of the size of the queue was built


async def test_the_wire_pages_a_million_with_its_total() -> None:
    state = SimulatorState(seed=2, step_delay=0, backlog=1_000_000, populate=False)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(state)), base_url=BASE) as http:
        token = (
            await http.post(
                "/auth/oauth2_token",
                data={"grant_type": "password", "username": "demo", "password": "demo", "client_id": "x"},
            )
        ).json()["access_token"]
        http.headers["Authorization"] = f"BEARER {token}"
        counts = (await http.get("/app/Queue")).json()
        body = (
            await http.get(
                "/app/Queue/out", params={"_offset": 999_990, "_count": 50, "_includeTotal": "true"}
            )
        ).json()
    assert counts["out"] == 1_000_000
    assert body["size"] == body["totalResults"] == 1_000_000 and body["offset"] == 999_990
    assert [e["id"] for e in body["resource"]] == list(range(999_991, 1_000_001))
    assert body["resource"][0]["queue"]["name"] == "out"
