"""The pipelined sync-up: the next batch is prepared and marked while a request is out, and that keeps
the guarantees of one-at-a-time sending (marked before sent, one request in flight, nothing left marked
that was never sent, the resend grace counted from the send)."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import time
from collections import Counter
from pathlib import Path

import httpx
import pytest
from synctui_hcm.adapter import HCMBackend
from synctui_hcm.wire import DEFAULT_WIRES

from synctui.backend import BackendSettings, Secret
from synctui.model import QueueKind

TYPE_BY_LIST_KEY = {w.list_key: w.entity_type for w in DEFAULT_WIRES.values()}


def send_state(oplog: Path) -> dict[tuple[str, str], tuple[int, int | None]]:
    """(entityType, clientReferenceId) -> (sendCount, lastSentAt), as committed (own connection)."""
    conn = sqlite3.connect(oplog)
    try:
        rows = conn.execute(
            "SELECT o.entityType, o.clientReferenceId, COALESCE(s.sendCount, 0), s.lastSentAt "
            "FROM oplog o LEFT JOIN synctui_oplog_state s ON s.oplogId = o.id"
        ).fetchall()
    finally:
        conn.close()
    return {(t, c): (n, at) for t, c, n, at in rows}


class FakeServer(httpx.AsyncBaseTransport):
    """Answers bulk calls after `delay` seconds of "server time", emitting httpcore's trace event for
    "request written" first, as a real connection does. Records what it saw."""

    def __init__(self, oplog: Path, delay: float = 0.01) -> None:
        self.oplog = oplog
        self.delay = delay
        self.in_flight = 0
        self.max_in_flight = 0
        self.requests: list[list[tuple[str, str]]] = []  # the (type, cref) of each bulk request
        self.marked_at_arrival: list[dict[tuple[str, str], tuple[int, int | None]]] = []
        self.marked_after_delay: list[int] = []  # rows marked once the request had been out `delay`
        self.answered_at_ms: list[int] = []
        self.answer = self.accept

    def accept(self, index: int) -> httpx.Response | None:
        return httpx.Response(202, json={"ResponseInfo": {"status": "successful"}})

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(await request.aread())
        if request.url.path.endswith("/_search"):  # the snapshot's health probe: nothing found
            return httpx.Response(200, json={w.response_key: [] for w in DEFAULT_WIRES.values()})
        trace = request.extensions.get("trace")
        if trace is not None:
            await trace("http11.send_request_body.complete", {})
        (key,) = [k for k, v in body.items() if isinstance(v, list)]
        index = len(self.requests)
        self.requests.append([(TYPE_BY_LIST_KEY[key], e["clientReferenceId"]) for e in body[key]])
        self.marked_at_arrival.append(send_state(self.oplog))
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            await asyncio.sleep(self.delay)
            self.marked_after_delay.append(sum(1 for n, _ in send_state(self.oplog).values() if n))
            answer = self.answer(index)
            if answer is None:
                raise httpx.ConnectError("unreachable", request=request)
            self.answered_at_ms.append(int(time.time() * 1000))
            return answer
        finally:
            self.in_flight -= 1


async def synchronize(oplog: Path, server: FakeServer, **options: object):
    settings = BackendSettings(
        name="d",
        kind="hcm",
        url="http://sim.test",
        secret=Secret("t"),
        options={"oplog": str(oplog), "max_passes": 1, "pause_seconds": 0, "batch_size": 2, **options},
    )
    async with httpx.AsyncClient(transport=server) as http:
        backend = HCMBackend(settings, http)
        try:
            result = await backend.synchronize(lambda p: None)
            snap = await backend.snapshot()
        finally:
            await backend.aclose()
    return result, snap


async def test_rows_are_marked_before_their_request_and_the_next_batch_while_one_is_out(oplog, worker):
    for _ in range(5):
        worker.register_household(members=1)
    server = FakeServer(oplog)

    result, snap = await synchronize(oplog, server)

    assert result.ok and snap.queue(QueueKind.OUTBOX).count == 0
    assert server.max_in_flight == 1  # batch i+1 leaves only after batch i's answer
    sent = [key for request in server.requests for key in request]
    assert len(sent) == len(set(sent)) == len(send_state(oplog))  # every row once
    for request, marks in zip(server.requests, server.marked_at_arrival, strict=True):
        assert all(marks[key][0] == 1 for key in request)  # committed before the request left
    # While each request but the last was out, the next batch got marked (prepared ahead).
    marked_at_arrival = [sum(1 for n, _ in m.values() if n) for m in server.marked_at_arrival]
    for i in range(len(server.requests) - 1):
        assert server.marked_after_delay[i] == marked_at_arrival[i] + len(server.requests[i + 1])


@pytest.mark.parametrize("failure", ["auth", "unreachable"])
async def test_a_batch_marked_ahead_but_never_sent_gets_its_send_state_back(oplog, worker, failure):
    for _ in range(5):
        worker.register_household(members=1)
    server = FakeServer(oplog)
    if failure == "auth":
        server.answer = lambda i: httpx.Response(401, json={"Errors": [{"code": "INVALID_TOKEN"}]}) if i == 2 else (
            server.accept(i)
        )  # fmt: skip
    else:
        server.answer = lambda i: None  # every call fails: the pass stops after 5 in a row

    result, _ = await synchronize(oplog, server)

    assert not result.ok
    attempted = {key for request in server.requests for key in request}
    state = send_state(oplog)
    assert {key for key, (n, _) in state.items() if n} == attempted  # marked <=> its request left
    assert all(at is None for key, (n, at) in state.items() if key not in attempted)
    assert len(attempted) < len(state)  # some were prepared ahead and not sent
    assert server.max_in_flight == 1


async def test_a_mark_made_long_before_its_send_is_restamped(oplog, worker):
    for _ in range(2):
        worker.register_household(members=0)
    server = FakeServer(oplog, delay=0.3)  # the first request keeps the prepared second one waiting

    result, _ = await synchronize(oplog, server, resend_grace=1.0)  # marks may be 0.1 s old at most

    assert result.ok and len(server.requests) >= 2
    second = server.requests[1]
    stamps = [server.marked_at_arrival[1][key][1] for key in second]
    assert all(at is not None and at >= server.answered_at_ms[0] for at in stamps)


async def test_an_entity_that_is_not_strict_json_goes_to_conflicts_not_a_traceback(oplog, worker):
    worker.register_household(members=0)
    conn = sqlite3.connect(oplog)
    bad_id, cref = conn.execute(
        "SELECT id, clientReferenceId FROM oplog WHERE entityType = 'household'"
    ).fetchone()
    conn.execute(
        "UPDATE oplog SET entityString = ? WHERE id = ?",
        (json.dumps({"clientReferenceId": cref, "memberCount": float("nan")}), bad_id),
    )
    conn.commit()
    conn.close()
    server = FakeServer(oplog, delay=0)

    result, snap = await synchronize(oplog, server)

    assert snap.queue(QueueKind.CONFLICTS).count == 1
    sent = Counter(t for request in server.requests for t, _ in request)
    assert "household" not in sent and sum(sent.values()) == len(send_state(oplog)) - 1
    assert result.counts["sent"] == sum(sent.values())
