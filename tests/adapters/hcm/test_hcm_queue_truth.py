"""Where a row is, said truthfully: detail asked under a queue the row has left, the types the app awaits
no confirmation for, and what a discard of a refused create leaves on the server."""

from __future__ import annotations

import json
import sqlite3

import httpx
import pytest

from synctui.backend import BackendError
from synctui.model import Category, QueueKind

from .conftest import counts, mocked_backend, sync_until_settled


async def test_detail_under_a_queue_the_row_left_says_it_is_no_longer_queued(make_backend, worker, server):
    worker.register_household(members=0)
    backend = make_backend()
    entry, *_ = (await backend.entries(QueueKind.OUTBOX)).entries
    await sync_until_settled(backend, server)

    with pytest.raises(BackendError) as confirmed:
        await backend.entry(QueueKind.CONFLICTS, entry.id)
    rejection = confirmed.value.rejection
    assert rejection.category == Category.GONE and rejection.code == "NOT_QUEUED"
    assert rejection.message == (
        f"OpLog row {entry.id} is no longer in Not confirmed / errors: the server confirmed it."
    )
    assert "Given up" not in rejection.message


async def test_detail_under_the_wrong_queue_names_the_queue_it_is_in(make_backend, worker):
    worker.register_household(members=0)
    backend = make_backend()
    entry, *_ = (await backend.entries(QueueKind.OUTBOX)).entries
    with pytest.raises(BackendError, match="no longer in Awaiting confirmation: it is in Data unsynced now"):
        await backend.entry(QueueKind.INBOX, entry.id)
    assert (await backend.entry(QueueKind.OUTBOX, entry.id)).entry.queue == QueueKind.OUTBOX


def _add_sent_row(oplog, entity_type: str, cref: str) -> None:
    conn = sqlite3.connect(oplog)
    with conn:
        conn.execute(
            "INSERT INTO oplog (entityString, entityType, operation, clientReferenceId, createdBy, createdAt, "
            "syncedUp, syncedUpOn) VALUES (?, ?, 'create', ?, 'fw', 1700000000000, 1, 1700000000000)",
            (json.dumps({"clientReferenceId": cref}), entity_type, cref),
        )
    conn.close()


async def test_awaiting_and_the_app_count_leave_out_types_the_app_never_awaits(make_backend, worker, oplog):
    worker.register_household(members=0)
    backend = make_backend()
    before = {i.key: i.value for i in (await backend.snapshot()).info}["hcm_unsynced"]
    for etype in ("userAction", "userLocation", "complaints"):
        _add_sent_row(oplog, etype, f"{etype}-1")
    _add_sent_row(oplog, "household", "household-sent")

    snap = await backend.snapshot()

    assert counts(snap)["inbox"] == 1  # only the household the app awaits
    info = {i.key: i.value for i in snap.info}
    assert info["hcm_unsynced"] == str(int(before) + 1)  # + the household awaiting confirmation
    inbox = (await backend.entries(QueueKind.INBOX)).entries
    assert [e.record_type for e in inbox] == ["household"]
    assert all(t["awaiting"] == 0 for t in backend.store.per_type() if t["type"] != "household")


async def test_discarding_a_create_the_server_refused_does_not_say_it_may_be_there(oplog, worker):
    worker.register_household(members=0)

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/_search"):
            return httpx.Response(200, json={"Households": [], "TotalCount": 0})
        return httpx.Response(400, json={"Errors": [{"code": "INVALID_ENTITY", "message": "bad"}]})

    async with mocked_backend(oplog, handler) as backend:
        await backend.synchronize(lambda p: None)
        (entry,) = [
            e for e in (await backend.entries(QueueKind.CONFLICTS)).entries if e.record_type == "household"
        ]
        result = await backend.discard(QueueKind.CONFLICTS, [entry.id])
    (row,) = result.results
    assert row.message == (
        "discarded: the local record is dropped; the server refused it (INVALID_ENTITY), so it never had it"
    )
    assert "may" not in result.message and "keeps" not in result.message
    assert "1 refused by the server: it saved nothing of them" in result.message
