"""A server that saves late (persister lag): rows whose confirmation searches ran out without finding them
wait for one more search at the next sync (in "Awaiting confirmation", not in conflicts); only a miss
then makes them conflicts. What the server has is never called "not found"."""

from __future__ import annotations

import json

from synctui_hcm.simulator import SimConfig, SimServer

from synctui.model import QueueKind

from .conftest import counts, raw_rows


async def test_rows_the_server_saved_late_are_found_by_the_next_sync(make_backend, worker, oplog):
    server = SimServer(SimConfig(persist_delay=0.8, seed=3))
    for _ in range(3):
        worker.register_household(members=1)
    backend = make_backend(sim=server, max_attempts=3)

    first = await backend.synchronize(lambda p: None)
    late = counts(await backend.snapshot())["inbox"]
    assert late and first.counts["conflicts"] == 0  # the searches gave up before the server saved
    assert f"{late} not found after 3 searches: the next sync searches for them again" in first.message
    assert counts(await backend.snapshot())["conflicts"] == 0  # not a conflict before the re-check
    (entry, *_) = (await backend.entries(QueueKind.INBOX)).entries
    assert entry.rejection is not None and entry.rejection.code == "NOT_CONFIRMED"
    assert "The next sync searches for it once more" in entry.rejection.advice
    await server.drain()

    second = await backend.synchronize(lambda p: None)

    assert second.ok and second.counts["confirmed"] == late, second.message
    assert second.message == f"0 sent, {late} confirmed"
    assert counts(await backend.snapshot()) == {"outbox": 0, "inbox": 0, "admin": None, "conflicts": 0}
    rows = raw_rows(oplog)
    assert all(r["syncedDown"] == 1 and r["nonRecoverableError"] == 0 for r in rows)


async def test_a_row_still_missing_is_searched_again_once_then_is_a_conflict(make_backend, worker, server):
    worker.register_household(members=1)
    worker.register_household(members=1, tenant_id="other-tenant")  # refused by the server's consumer
    backend = make_backend(max_attempts=2)
    await backend.synchronize(lambda p: None)
    (entry,) = (await backend.entries(QueueKind.INBOX)).entries
    assert entry.rejection.code == "NOT_CONFIRMED"
    assert counts(await backend.snapshot())["conflicts"] == 0

    searches = len(server.call_log)
    second = await backend.synchronize(lambda p: None)
    assert len(server.call_log) > searches  # searched again
    assert second.counts["rejected"] == 1 and "1 moved to conflicts" in second.message
    (entry,) = (await backend.entries(QueueKind.CONFLICTS)).entries
    assert entry.rejection.code == "STILL_NOT_CONFIRMED"
    assert "Still so when the next sync searched again" in entry.rejection.message

    searches = len(server.call_log)
    await backend.synchronize(lambda p: None)
    assert len(server.call_log) == searches  # once is enough: nothing more to do
    assert counts(await backend.snapshot())["conflicts"] == 1


async def test_an_update_the_server_has_at_an_unmoved_row_version_is_not_called_not_found(
    make_backend, worker, server
):
    cref = worker.register_household(members=1)
    backend = make_backend(max_attempts=2)
    await backend.synchronize(lambda p: None)
    await server.drain()
    await backend.synchronize(lambda p: None)
    server.config.persist_delay = 3600  # the update is accepted, never applied while we look
    worker.update_household(cref, member_count=3)

    await backend.synchronize(lambda p: None)

    (entry,) = (await backend.entries(QueueKind.INBOX)).entries
    assert entry.rejection.code == "UPDATE_NOT_APPLIED"
    assert "Not found" not in entry.rejection.message
    version = json.loads((await backend.compare(QueueKind.INBOX, entry.id)).server)["rowVersion"]
    assert f"not this update: its row version is still {version}" in entry.rejection.message
