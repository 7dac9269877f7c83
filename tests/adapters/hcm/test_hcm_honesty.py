"""Regressions: the HCM run's result is a counted sentence (never "Data Synced:"/"Sync Failed:"); one
failed confirmation search is retried; Check connection says only what it verified; discarding a create
that was never sent says the server never had it."""

from __future__ import annotations

import pytest
from synctui_hcm.simulator import SimConfig, SimServer

from synctui.model import QueueKind, SyncProgress

from .conftest import counts

SEARCH = "/household/v1/_search"


async def sent_and_persisted(make_backend, worker, server, **options):
    """One household (5 rows) sent and saved by the server, not confirmed yet."""
    worker.register_household(members=1)
    backend = make_backend(max_passes=1, **options)
    first = await backend.synchronize(lambda p: None)
    assert first.counts["sent"] == 5 and first.counts["awaiting"] == 5
    await server.drain()
    return backend, first


# --- 5. counted results -------------------------------------------------------------------------


async def test_rows_left_awaiting_confirmation_are_counted_not_synced(make_backend, worker, server):
    """Before: ok and "Data Synced: 5 sent, 0 confirmed, 5 awaiting confirmation"."""
    server.config.persist_delay = 30  # accepted (202), not saved during the test
    worker.register_household(members=1)
    backend = make_backend(max_passes=1)
    result = await backend.synchronize(lambda p: None)
    assert result.ok  # the run met no failure
    assert result.message == "5 sent, 0 confirmed, 5 awaiting confirmation"
    assert result.counts["unconfirmed"] == 5 and result.counts["rejected"] == 0
    assert result.rejection is not None and result.rejection.code == "NOT_CONFIRMED_YET"
    snap = await backend.snapshot()
    assert snap.jobs[0].message == "5 sent, 0 confirmed, 5 awaiting confirmation"


async def test_a_clean_run_is_a_counted_sentence(make_backend, worker, server):
    backend, _ = await sent_and_persisted(make_backend, worker, server)
    result = await backend.synchronize(lambda p: None)
    assert result.ok and result.message == "0 sent, 5 confirmed" and result.rejection is None


async def test_rows_moved_to_conflicts_are_counted(make_backend, worker, server):
    worker.register_household(members=0, tenant_id="nope")  # the server's consumer drops it
    backend = make_backend(max_attempts=1, max_passes=3)
    first = await backend.synchronize(lambda p: None)  # not found: it may only be late
    assert first.counts["awaiting"] == 1 and "the next sync searches for them again" in first.message
    result = await backend.synchronize(lambda p: None)  # still not found: a conflict now
    assert result.counts["rejected"] == 1 and "1 moved to conflicts" in result.message
    assert not result.message.startswith(("Data Synced", "Sync Failed"))
    assert result.rejection is not None and result.rejection.code == "NOT_CONFIRMED"


async def test_a_failed_run_says_why_without_a_prefix(make_backend, worker):
    worker.register_household(members=0)
    backend = make_backend(token="wrong")
    result = await backend.synchronize(lambda p: None)
    assert not result.ok and not result.message.startswith("Sync Failed")
    assert result.rejection is not None and result.message.startswith(result.rejection.message)


# --- 4. one failed confirmation search ----------------------------------------------------------


@pytest.mark.parametrize("kind", ["reset", "timeout", "500", "malformed", "wrong_types"])
async def test_one_failed_confirmation_search_is_retried(make_backend, worker, server, kind):
    """Before: one 500 on the search ended the run "Sync Failed" though the server had every row."""
    backend, _ = await sent_and_persisted(make_backend, worker, server)
    backend.sim_app.force(kind, times=1, path=SEARCH)
    seen: list[SyncProgress] = []
    result = await backend.synchronize(seen.append)
    assert result.ok, result
    assert result.counts["confirmed"] == 5 and result.message == "0 sent, 5 confirmed"
    assert any(p.message == "Lost contact, retrying (1)" for p in seen)
    assert counts(await backend.snapshot()) == {"outbox": 0, "inbox": 0, "admin": None, "conflicts": 0}


async def test_a_search_that_keeps_failing_fails_the_run(make_backend, worker, server):
    backend, _ = await sent_and_persisted(make_backend, worker, server)
    backend.sim_app.force("500", times=50, path=SEARCH)
    seen: list[SyncProgress] = []
    result = await backend.synchronize(seen.append)
    assert not result.ok and result.rejection is not None
    said = [p.message for p in seen if p.message.startswith("Lost")]
    assert list(dict.fromkeys(said)) == [f"Lost contact, retrying ({n})" for n in range(1, 5)]
    snap = await backend.snapshot()  # the household still awaits (its search failed), no miss counted
    assert counts(snap)["inbox"] == 1 and counts(snap)["conflicts"] == 0
    assert "household" in result.rejection.message or result.counts["confirmed"] == 4


# --- 3. Check connection ----------------------------------------------------------------------------


async def test_check_connection_without_a_token_does_not_claim_accepted_credentials(make_backend):
    """Before: auth_ok=True though no credentials were sent (the server takes any token)."""
    open_server = SimServer(SimConfig(token=None))
    backend = make_backend(sim=open_server)
    backend.settings.secret = None
    health = await backend.check_connection()
    assert health.online and health.auth_ok is None


async def test_check_connection_with_the_token_accepted(make_backend):
    health = await make_backend().check_connection()
    assert health.online and health.auth_ok is True


async def test_check_connection_refused_token(make_backend):
    health = await make_backend(token="wrong").check_connection()
    assert health.auth_ok is False


# --- 6. discard -----------------------------------------------------------------------------------


async def test_discarding_a_create_never_sent_says_the_server_never_had_it(make_backend, worker):
    worker.register_household(members=0)
    backend = make_backend()
    entries = (await backend.entries(QueueKind.OUTBOX)).entries
    (entry,) = [e for e in entries if e.record_type == "household"]
    result = await backend.discard(QueueKind.OUTBOX, [entry.id])
    assert result.ok and result.counts == {"discarded": 1, "refused": 0}
    text = result.message + " " + result.results[0].message
    assert "keeps" not in text and "server version" not in text.lower()
    assert "the local record is dropped; it was never sent, so the server never had it" in text
    assert "1 never sent: the server never had them" in result.message


async def test_discarding_a_row_sent_but_never_confirmed_says_it_may_be_there(make_backend, worker, server):
    worker.register_household(members=0, tenant_id="nope")
    backend = make_backend(max_attempts=1, max_passes=3)
    await backend.synchronize(lambda p: None)
    await backend.synchronize(lambda p: None)  # searched again: still missing, a conflict now
    (entry,) = (await backend.entries(QueueKind.CONFLICTS)).entries
    result = await backend.discard(QueueKind.CONFLICTS, [entry.id])
    assert result.ok
    assert "may or may not be on the server" in result.results[0].message
    assert "1 sent but never confirmed: they may be on the server" in result.message


async def test_a_discard_that_took_nothing_does_not_say_rows_were_marked(make_backend, worker):
    backend = make_backend()
    result = await backend.discard(QueueKind.OUTBOX, ["999999"])
    assert not result.ok and result.counts == {"discarded": 0, "refused": 1}
    assert result.message.startswith("0 rows discarded; 1 not discarded")
    assert "marked" not in result.message
