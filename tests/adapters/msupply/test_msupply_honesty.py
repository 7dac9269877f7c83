"""Regressions: Retry is ok only when its sync ran and finished; following a sync survives one failed
poll; Check connection says only what it verified; a finished sync is counted, never "Data synced"."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta

import httpx
import pytest
from synctui_msupply.adapter import MSupplyBackend
from synctui_msupply.conflicts import BUFFER_PREFIX, SYNC_ENTRY_ID
from synctui_msupply.simulator import Simulator
from synctui_msupply.simulator.faults import FAULT_KINDS

from synctui.model import Category, QueueKind, SyncProgress

# --- 2. Retry ---------------------------------------------------------------------------------------


async def hang_a_sync(sim: Simulator) -> None:
    sim.s.hang_at = "pull_remote"
    sim.s.trigger()
    await asyncio.sleep(0.01)
    sim.s.backdate_latest(timedelta(seconds=3 * 300 + 5))  # three intervals ago, no finish, no error


async def test_retry_on_a_hung_sync_is_not_ok(make_backend, sim: Simulator) -> None:
    """Before: "ok · retried by this sync" while the sync was hung and nothing could run."""
    backend = make_backend(hung_after_intervals=3, hung_min_seconds=0)
    await hang_a_sync(sim)
    result = await backend.retry([SYNC_ENTRY_ID])
    assert not result.ok
    assert result.counts == {"retried": 0, "not_retried": 1}
    assert result.message.startswith("Not retried: the sync started at ")
    assert "appears hung at step Pull remote" in result.message
    [entry] = result.results
    assert not entry.ok and entry.message.startswith("not retried: the sync started at ")
    assert "retried by this sync" not in entry.message
    assert len(sim.s.logs) == 1  # no sync ran
    sim.s.release_hang()
    await sim.s.wait_idle()


async def test_retry_all_on_a_hung_sync_is_not_ok(make_backend, sim: Simulator) -> None:
    backend = make_backend(hung_after_intervals=3, hung_min_seconds=0)
    await hang_a_sync(sim)
    result = await backend.retry(None)
    assert not result.ok and "appears hung" in result.message
    sim.s.release_hang()
    await sim.s.wait_idle()


async def test_retry_whose_sync_fails_again_is_not_ok(backend: MSupplyBackend, sim: Simulator) -> None:
    sim.s.inject("INCORRECT_PASSWORD", sticky=True)
    await backend.synchronize(lambda p: None)
    result = await backend.retry([SYNC_ENTRY_ID])
    assert not result.ok and result.counts == {"retried": 0, "still_failing": 1}
    assert result.results[0].message.startswith("retried, but the sync failed again:")
    sim.s.injected = None


async def test_retry_whose_sync_is_still_running_is_not_ok(make_backend, sim: Simulator) -> None:
    backend = make_backend(retry_wait_seconds=0.05, hung_min_seconds=3600)
    sim.s.hang_at = "pull_central"  # the sync the retry starts does not finish in time
    result = await backend.retry([SYNC_ENTRY_ID])
    assert not result.ok and result.counts == {"retried": 0, "unknown": 1}
    assert result.results[0].message.startswith("not known yet: the sync started at ")
    assert "is still running" in result.results[0].message
    sim.s.release_hang()
    await sim.s.wait_idle()


async def test_retry_checks_each_buffered_record_afterwards(make_backend, sim: Simulator, tmp_path) -> None:
    db = tmp_path / "site.sqlite"
    sim.s.db_path = db
    sim.s._init_db()
    stuck = sim.s.add_integration_error("item", "Cannot change central data: table item is owned elsewhere")
    backend = make_backend(database=str(db))
    result = await backend.retry([BUFFER_PREFIX + stuck, SYNC_ENTRY_ID])
    assert not result.ok
    by_id = {r.id: r for r in result.results}
    assert by_id[SYNC_ENTRY_ID].ok and "finished without an error" in by_id[SYNC_ENTRY_ID].message
    assert not by_id[BUFFER_PREFIX + stuck].ok
    assert "still fails to integrate" in by_id[BUFFER_PREFIX + stuck].message
    assert result.counts == {"retried": 1, "still_failing": 1, "rejected": 1}


# --- 4. one failed poll while following a sync ------------------------------------------------------


def arm_after_start(sim: Simulator, kind: str, times: int) -> tuple[Callable[[SyncProgress], None], list]:
    seen: list[SyncProgress] = []

    def collect(progress: SyncProgress) -> None:
        if not seen:
            sim.faults.force(kind, times=times, path="/graphql")
        seen.append(progress)

    return collect, seen


@pytest.mark.parametrize("kind", FAULT_KINDS)
async def test_one_failed_status_poll_does_not_fail_the_sync(make_backend, sim: Simulator, kind: str) -> None:
    sim.s.step_delay = 0.005
    backend = make_backend(poll_backoff_seconds=0.0)
    collect, seen = arm_after_start(sim, kind, times=1)
    result = await backend.synchronize(collect)
    assert sim.faults.counts.get(kind) == 1
    assert result.ok, result
    assert any(p.message == "Lost contact, retrying (1)" for p in seen)
    assert result.message.startswith("Sync finished: ")


async def test_a_sync_followed_through_ten_percent_faults(make_backend, sim: Simulator) -> None:
    sim.s.step_delay = 0.005
    backend = make_backend(poll_backoff_seconds=0.0)
    seen: list[SyncProgress] = []

    def collect(progress: SyncProgress) -> None:
        if not seen:
            sim.faults.rate = 0.1  # Faults(seed=7): deterministic
        seen.append(progress)

    result = await backend.synchronize(collect)
    sim.faults.rate = 0.0
    assert sum(sim.faults.counts.values()) >= 1
    assert result.ok, result


async def test_losing_contact_for_good_says_so(make_backend, sim: Simulator) -> None:
    sim.s.step_delay = 0.005
    backend = make_backend(poll_backoff_seconds=0.0)
    collect, seen = arm_after_start(sim, "reset", times=50)
    result = await backend.synchronize(collect)
    assert not result.ok and result.rejection and result.rejection.code == "LOST_CONTACT"
    assert "5 polls in a row failed" in result.message
    assert [p.message for p in seen if p.message.startswith("Lost")] == [
        f"Lost contact, retrying ({n})" for n in range(1, 5)
    ]
    sim.faults.forced.clear()
    await sim.s.wait_idle()


# --- 5. a finished sync that left records failing ---------------------------------------------------


async def test_finished_sync_counts_integration_errors(make_backend, sim: Simulator, tmp_path) -> None:
    db = tmp_path / "site.sqlite"
    sim.s.db_path = db
    sim.s._init_db()
    sim.s.add_integration_error("item", "Cannot change central data: table item is owned elsewhere")
    backend = make_backend(database=str(db))
    result = await backend.synchronize(lambda p: None)
    assert result.ok  # the sync itself finished without an error
    assert "synced" not in result.message.lower()
    assert result.message.startswith("Sync finished: ")
    assert result.message.endswith("; 1 record failed to integrate (in Sync errors)")
    assert result.counts["rejected"] == 1
    snap = await backend.snapshot()
    assert snap.progress is not None and snap.progress.message == "Sync finished without an error"
    assert snap.queue(QueueKind.CONFLICTS).count == 1


# --- 3. Check connection ----------------------------------------------------------------------------


async def test_central_dropping_after_the_first_call_is_not_unreachable_with_accepted_credentials(
    backend: MSupplyBackend, http: httpx.AsyncClient
) -> None:
    """Before: "NOT reachable, credentials accepted": the second call's failure undid the first's
    reachability while its accepted credentials stayed."""
    inner = http._transport

    class StatusDrops(httpx.AsyncBaseTransport):
        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            if request.url.path == "/sync/v5/site_status":
                raise httpx.ConnectError("connection refused", request=request)
            return await inner.handle_async_request(request)

    http._transport = StatusDrops()
    try:
        health = await backend.check_connection()
    finally:
        http._transport = inner
    assert health.online is True and health.auth_ok is True
    assert health.error and health.error.code == "CONNECTION_ERROR"
    text = {i.key: i.value for i in backend.last_probe.info()}["central_probe"]
    assert text.startswith("reachable, ") and "site credentials accepted; then: " in text


async def test_central_unreachable_says_nothing_about_credentials(
    backend: MSupplyBackend, http: httpx.AsyncClient
) -> None:
    inner = http._transport

    class CentralDown(httpx.AsyncBaseTransport):
        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            if request.url.path.startswith("/sync/"):
                raise httpx.ConnectError("connection refused", request=request)
            return await inner.handle_async_request(request)

    http._transport = CentralDown()
    try:
        health = await backend.check_connection()
    finally:
        http._transport = inner
    assert health.online is False and health.auth_ok is None
    text = {i.key: i.value for i in backend.last_probe.info()}["central_probe"]
    assert text.startswith("not reachable") and "accepted" not in text


async def test_a_user_without_settings_permission_is_not_refused(make_backend, sim: Simulator) -> None:
    """The site accepted the login; only reading the sync settings needs ServerAdmin."""
    sim.s.users["clerk"] = ("pw", False)
    health = await make_backend(username="clerk", password="pw").check_connection()
    assert health.auth_ok is None  # not refused; central (whose URL only a ServerAdmin reads) not probed
    assert health.error is None or health.error.category == Category.AUTH


async def test_wrong_site_password_is_refused(make_backend) -> None:
    health = await make_backend(password="wrong").check_connection()
    assert health.auth_ok is False
