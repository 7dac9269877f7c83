"""The adapter against the simulator: mapping, every step, every error code, hung syncs, settings."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from synctui_msupply.adapter import MSupplyBackend
from synctui_msupply.conflicts import SYNC_ENTRY_ID
from synctui_msupply.error_kinds import SYNC_ERROR_VARIANTS
from synctui_msupply.simulator import STEPS, Simulator
from synctui_msupply.site_settings import PAUSED_SECONDS

from synctui.backend import BackendError
from synctui.model import Category, JobState, QueueKind, Rejection, SyncProgress, Thresholds

STEP_LABEL = {
    "prepare_initial": "Prepare initial",
    "push_v6": "Push v6",
    "push": "Push",
    "pull_central": "Pull central",
    "pull_remote": "Pull remote",
    "pull_v6": "Pull v6",
    "integration": "Integrate",
}


async def test_snapshot_maps_the_queues(backend: MSupplyBackend) -> None:
    snap = await backend.snapshot()
    assert snap.backend == "pharmacy" and snap.kind == "msupply"
    assert snap.capabilities == MSupplyBackend.capabilities
    assert snap.queue(QueueKind.OUTBOX).count == 5
    assert snap.queue(QueueKind.OUTBOX).label == "Push queue"
    assert snap.queue(QueueKind.INBOX).count == 0  # idle: nothing left to pull
    assert snap.queue(QueueKind.ADMIN).count is None  # n/a, never 0
    assert snap.queue(QueueKind.CONFLICTS).count == 0
    assert snap.health.online and snap.health.auth_ok
    assert snap.progress is None  # no sync yet
    assert snap.jobs[0].state == JobState.SCHEDULED


async def test_site_panel(backend: MSupplyBackend) -> None:
    await backend.check_connection()
    info = {i.key: i.value for i in (await backend.snapshot()).info}
    assert info["site_name"] == "pharmacy-site"
    assert info["site_id"] == "2"
    assert info["store"] == "PHS — Pharmacy Store"
    assert info["central_url"] == "http://central.msupply.test"
    assert info["role"].startswith("Satellite")
    assert info["interval"] == "5 min"
    assert info["batch_size"].startswith("push 1024 · pull 500 · central pull 500 (Open mSupply's built-in")


async def test_primary_role(backend: MSupplyBackend, sim: Simulator) -> None:
    sim.central.site_id = sim.central.central_site_id = 1
    await backend.check_connection()
    info = {i.key: i.value for i in (await backend.snapshot()).info}
    assert info["role"].startswith("Primary")
    assert info["sync_with"].startswith("its satellite sites")  # seed 004: a primary lists its satellites


async def test_sync_with_lists_every_server_the_site_syncs_with(
    backend: MSupplyBackend, sim: Simulator
) -> None:
    """Seed 004: "This site" and the "Sync with" list, each with Sync ID, name, store and URL."""
    sim.central.om_central_url = "http://om-central.msupply.test"
    await backend.check_connection()
    info = {i.key: i.value for i in (await backend.snapshot()).info}
    assert info["this_site"] == (
        "Sync ID 2 · pharmacy-site · store PHS — Pharmacy Store · http://site.msupply.test"
    )
    assert info["sync_with"] == (
        "Sync ID 1 · legacy mSupply central · store not reported by the site · http://central.msupply.test"
    )
    assert info["sync_with_om_central"].endswith(
        "Open mSupply central · store not reported by the site · http://om-central.msupply.test"
    )


async def test_sync_with_before_central_is_probed_says_what_is_unknown(make_backend) -> None:
    info = {i.key: i.value for i in (await make_backend(hardware_id=None).snapshot()).info}
    assert info["this_site"].startswith("Sync ID unknown (")
    assert info["sync_with"].endswith("http://central.msupply.test")


async def test_synchronize_reports_every_step(backend: MSupplyBackend, sim: Simulator) -> None:
    sim.central.om_central_url = "http://central.msupply.test"
    sim.central.v6_pending = 7
    sim.s.add_change(api="v6")
    sim.s.batch_size["remote_pull"] = 500
    seen: list[SyncProgress] = []
    result = await backend.synchronize(seen.append)
    assert result.ok, result
    assert result.counts == {
        "pushed_v6": 1,
        "pushed": 5,
        "pulled_central": 30,
        "pulled_remote": 1200,
        "pulled_v6": 7,
        "integrated": 1237,
        "sent": 6,
        "received": 1237,
    }
    assert result.message.startswith("Sync finished: 6 pushed, 1237 pulled, 1237 integrated")
    assert "records that failed to integrate are not known" in result.message  # no database option
    final = seen[-1]
    assert [s.name for s in final.steps] == [
        "Push v6",
        "Push",
        "Pull central",
        "Pull remote",
        "Pull v6",
        "Integrate",
    ]
    assert all(s.finished and s.done == s.total for s in final.steps)
    assert final.fraction == 1.0 and not final.running
    snap = await backend.snapshot()
    rows = {r.key: r for r in snap.log}
    assert rows["pull_remote"].filter == "1200/1200" and rows["pull_remote"].pending == 0
    assert rows["prepare_initial"].filter == "not run in the last sync"
    assert snap.queue(QueueKind.OUTBOX).count == 0


async def test_prepare_initial_runs_on_a_new_site(make_backend, sim: Simulator) -> None:
    sim.s.initialised = False
    sim.central.bound_hardware_id = None
    backend = make_backend()
    snap = await backend.snapshot()  # reduced schema, no login
    assert snap.queue(QueueKind.OUTBOX).count is None
    assert {i.key: i.value for i in snap.info}["initialisation"] == "pre initialisation"
    sim.s.trigger()  # the site's own initialisation, never the adapter's
    await sim.s.wait_idle()
    snap = await backend.snapshot()
    rows = {r.key: r for r in snap.log}
    assert rows["prepare_initial"].last_attempt is not None and rows["prepare_initial"].filter == "done"
    assert snap.queue(QueueKind.OUTBOX).count == 0


@pytest.mark.parametrize("step", [s for s in STEPS if s != "prepare_initial"])
async def test_progress_of_a_running_step(make_backend, sim: Simulator, step: str) -> None:
    sim.central.om_central_url = "http://central.msupply.test"
    sim.central.v6_pending = 1200
    sim.s.batch_size.update(remote_pull=500, central_pull=10)
    sim.s.add_change(api="v6")
    sim.s.hang_at = step
    backend = make_backend(hung_min_seconds=3600)
    sim.s.trigger()
    for _ in range(200):
        await asyncio.sleep(0.001)  # in-process HTTP never yields: let the site's sync task run
        snap = await backend.snapshot()
        if snap.progress and any(s.name == STEP_LABEL[step] and not s.finished for s in snap.progress.steps):
            break
    assert snap.progress is not None and snap.progress.running and not snap.progress.hung
    current = [s for s in snap.progress.steps if not s.finished]
    assert [s.name for s in current] == [STEP_LABEL[step]]
    assert snap.jobs[0].state == JobState.RUNNING
    if step in ("pull_central", "pull_remote", "pull_v6"):
        assert current[0].done and current[0].total and current[0].done < current[0].total
        assert snap.queue(QueueKind.INBOX).count == current[0].total - current[0].done
    sim.s.release_hang()
    await sim.s.wait_idle()


async def test_hung_sync_is_not_running_forever(make_backend, sim: Simulator) -> None:
    sim.s.hang_at = "pull_remote"
    backend = make_backend(hung_after_intervals=3, hung_min_seconds=0)
    sim.s.trigger()
    await asyncio.sleep(0.01)
    snap = await backend.snapshot()
    assert snap.progress and not snap.progress.hung
    sim.s.backdate_latest(timedelta(seconds=3 * 300 + 5))  # three intervals ago, still no finish or error
    snap = await backend.snapshot()
    assert snap.progress is not None and snap.progress.hung
    assert "appears hung at step Pull remote" in snap.progress.message
    assert snap.jobs[0].state == JobState.FAILED and "hung" in snap.jobs[0].message
    assert snap.queue(QueueKind.CONFLICTS).count == 1
    page = await backend.entries(QueueKind.CONFLICTS)
    rejection = page.entries[0].rejection
    assert rejection and rejection.code == "SYNC_APPEARS_HUNG" and "Restart" in rejection.advice
    seen: list[SyncProgress] = []
    result = await backend.synchronize(seen.append)  # follows the hung sync and stops, not forever
    assert not result.ok and result.rejection and result.rejection.code == "SYNC_APPEARS_HUNG"
    assert seen and seen[-1].hung
    sim.s.release_hang()
    await sim.s.wait_idle()


@pytest.mark.parametrize("code", SYNC_ERROR_VARIANTS)
async def test_every_error_code_reaches_the_screen(
    backend: MSupplyBackend, sim: Simulator, code: str
) -> None:
    sim.s.inject(code)
    result = await backend.synchronize(lambda p: None)
    assert not result.ok
    rejection = result.rejection
    assert isinstance(rejection, Rejection)
    assert rejection.message and rejection.advice and rejection.raw  # the full text stays available
    if code != "UNKNOWN":
        assert rejection.code == code
    else:  # the simulator's UNKNOWN is a timeout: never shown as "Unknown"
        assert rejection.code == "TIMEOUT" and rejection.category == Category.RETRYABLE
    snap = await backend.snapshot()
    assert snap.queue(QueueKind.CONFLICTS).count == 1
    sync_row = next(r for r in snap.log if r.key == "sync")
    assert sync_row.last_error == rejection.message
    entry = (await backend.entries(QueueKind.CONFLICTS)).entries[0]
    assert entry.id == SYNC_ENTRY_ID and entry.rejection == rejection
    detail = await backend.entry(QueueKind.CONFLICTS, SYNC_ENTRY_ID)
    assert code in detail.payload or "UNKNOWN" in detail.payload


@pytest.mark.parametrize("step", STEPS)
async def test_failure_is_pinned_to_its_step(make_backend, sim: Simulator, step: str) -> None:
    sim.central.om_central_url = "http://central.msupply.test"
    sim.s.initialised = step != "prepare_initial"
    backend = make_backend()
    sim.s.inject("CONNECTION_ERROR", step=step)
    sim.s.trigger()
    await sim.s.wait_idle()
    if step == "prepare_initial":
        sim.s.initialised = True  # the reduced schema has no login; look at the log as an admin would
    snap = await backend.snapshot()
    rows = {r.key: r for r in snap.log}
    failing = [key for key, row in rows.items() if key != "sync" and row.last_error]
    assert failing == [step]
    assert rows[step].filter.startswith("failed") and "running" not in rows[step].filter
    assert snap.progress and [s.name for s in snap.progress.steps if s.failed] == [STEP_LABEL[step]]
    assert f"(during {STEP_LABEL[step]})" in rows[step].last_error


async def test_last_success_and_last_attempt_are_kept_apart(backend: MSupplyBackend, sim: Simulator) -> None:
    assert (await backend.synchronize(lambda p: None)).ok
    sim.s.clock.offset = timedelta(days=2)
    sim.s.inject("HARDWARE_ID_MISMATCH")
    assert not (await backend.synchronize(lambda p: None)).ok
    snap = await backend.snapshot()
    row = next(r for r in snap.log if r.key == "sync")
    assert row.last_attempt and row.last_success
    assert row.last_attempt - row.last_success > timedelta(days=1)
    assert "not the one registered" in (row.last_error or "")
    info = {i.key: i.value for i in snap.info}
    assert "failed" in info["last_attempt"] and info["last_success"] != info["last_attempt"]
    assert snap.thresholds.level(row.last_success, datetime.now(UTC) + timedelta(days=2)) == "warning"


async def test_thresholds_come_from_settings_or_the_site(make_backend) -> None:
    assert MSupplyBackend.default_thresholds == Thresholds(timedelta(days=1), timedelta(days=3))
    backend = make_backend()
    backend.settings.thresholds = Thresholds(timedelta(hours=2), timedelta(hours=6))
    assert (await backend.snapshot()).thresholds.error == timedelta(hours=6)
    site = make_backend(use_site_thresholds=True)
    await site.synchronize(lambda p: None)
    assert (await site.snapshot()).thresholds == Thresholds(timedelta(days=1), timedelta(days=3))


async def test_pushing_central_data_is_explained_as_ownership(
    backend: MSupplyBackend, sim: Simulator
) -> None:
    sim.s.add_change(table="item")
    result = await backend.synchronize(lambda p: None)
    assert not result.ok and result.rejection
    assert result.rejection.message.startswith("Only the primary server may change this")
    assert result.rejection.code == "CENTRAL_DATA_READ_ONLY"
    assert "item" in result.rejection.message
    assert (await backend.synchronize(lambda p: None)).ok  # the rejected record does not block later syncs


async def test_integration_errors_from_the_database(make_backend, sim: Simulator, tmp_path) -> None:
    sim.s.db_path = tmp_path / "site.sqlite"
    sim.s._init_db()
    record = sim.s.add_integration_error("stock_line", "Foreign key not found: location_id for stock_line")
    central = sim.s.add_integration_error(
        "item", "Cannot change central data: table item is owned by the primary"
    )
    backend = make_backend(database=str(sim.s.db_path))
    assert backend.watch_paths() == [sim.s.db_path]
    snap = await backend.snapshot()
    assert snap.queue(QueueKind.CONFLICTS).count == 2
    page = await backend.entries(QueueKind.CONFLICTS)
    assert page.total == 2 and {e.correlation for e in page.entries} == {record, central}
    by_id = {e.correlation: e for e in page.entries}
    assert by_id[record].rejection.category == Category.FIX_DATA
    assert by_id[central].rejection.message.startswith("Only the primary server may change this")
    detail = await backend.entry(QueueKind.CONFLICTS, f"buffer:{record}")
    assert record in detail.payload
    filtered = await backend.entries(QueueKind.CONFLICTS, filter="item")
    assert [e.correlation for e in filtered.entries] == [central]
    with pytest.raises(BackendError) as err:
        await backend.entry(QueueKind.CONFLICTS, "buffer:nope")
    assert err.value.rejection.category == Category.GONE


async def test_unreadable_database_does_not_break_the_snapshot(make_backend, tmp_path) -> None:
    backend = make_backend(database=str(tmp_path / "missing.sqlite"))
    snap = await backend.snapshot()
    assert snap.queue(QueueKind.CONFLICTS).count == 0
    assert "Cannot read" in {i.key: i.value for i in snap.info}["database"]


async def test_retry_triggers_a_sync(backend: MSupplyBackend, sim: Simulator) -> None:
    result = await backend.retry(None)
    assert result.ok and result.message.startswith("Retried: the sync started at ")
    assert "finished without an error" in result.message
    await sim.s.wait_idle()
    assert sim.s.logs and sim.s.logs[-1]["finished_datetime"] is not None


async def test_outbox_is_not_listable(backend: MSupplyBackend) -> None:
    with pytest.raises(BackendError):
        await backend.entries(QueueKind.OUTBOX)


async def test_a_second_sync_request_joins_the_running_one(backend: MSupplyBackend, sim: Simulator) -> None:
    sim.s.hang_at = "pull_central"
    sim.s.trigger()
    sim.s.trigger()
    sim.s.trigger()  # the channel holds one: this one is dropped
    assert sim.s.problems == ["Problem triggering sync"]
    sim.s.release_hang()
    await sim.s.wait_idle()
    assert len(sim.s.logs) == 2


async def test_settings_list_and_change(backend: MSupplyBackend, sim: Simulator) -> None:
    settings = {s.key: s for s in await backend.settings_list()}
    assert settings["interval_minutes"].value == "5" and settings["interval_minutes"].editable
    assert "interval_seconds" not in settings
    assert settings["url"].editable and not settings["username"].editable
    push = settings["batch_size.remote_push"]
    assert push.value == "1024" and not push.editable
    assert "built-in" in push.help and "neither reports nor changes" in push.help  # read-only, and why
    result = await backend.change_settings({"interval_minutes": "10"})
    assert result.ok and "5 min → 10 min" in result.message
    assert sim.s.interval_seconds == 600


async def test_interval_zero_pauses_scheduled_syncs(backend: MSupplyBackend, sim: Simulator) -> None:
    assert (await backend.synchronize(lambda p: None)).ok
    result = await backend.change_settings({"interval_minutes": "0"})
    assert result.ok and "→ 0 (paused)" in result.message
    assert sim.s.interval_seconds == PAUSED_SECONDS  # what Open mSupply's own CLI writes to disable sync
    settings = {s.key: s for s in await backend.settings_list()}
    assert settings["interval_minutes"].value == "0"
    snap = await backend.snapshot()
    info = {i.key: i.value for i in snap.info}
    assert info["interval"].startswith("0 (paused)")
    job = snap.jobs[0]
    assert job.next_run is None  # no scheduled sync, not one in three years
    assert job.state == JobState.IDLE and job.message.endswith("scheduled syncs paused (interval 0)")


async def test_an_interval_set_in_seconds_on_the_site_reads_in_minutes(
    backend: MSupplyBackend, sim: Simulator
) -> None:
    sim.s.interval_seconds = 90
    settings = {s.key: s for s in await backend.settings_list()}
    assert settings["interval_minutes"].value == "1.5"
    sim.s.interval_seconds = 0  # Open mSupply then syncs back to back: the opposite of paused
    settings = {s.key: s for s in await backend.settings_list()}
    assert settings["interval_minutes"].value == "0 s (back to back, not paused)"
    assert (await backend.snapshot()).jobs[0].state != JobState.IDLE


async def test_request_size_from_the_config_says_so(make_backend) -> None:
    backend = make_backend(batch_size={"remote_pull": 100})
    info = {i.key: i.value for i in (await backend.snapshot()).info}
    assert info["batch_size"].startswith("push 1024 · pull 100 · central pull 500 (from synctui's config")


@pytest.mark.parametrize(
    ("values", "code"),
    [
        ({"url": "not a url"}, "INVALID_URL"),
        ({"username": "other-site"}, "BAD_SETTING"),
        ({"interval_minutes": "soon"}, "BAD_SETTING"),
        ({"interval_minutes": "-1"}, "BAD_SETTING"),
        ({"interval_minutes": "1.5"}, "BAD_SETTING"),
        ({"interval_minutes": "600000"}, "BAD_SETTING"),
        ({"interval_seconds": "60"}, "BAD_SETTING"),
    ],
)
async def test_settings_errors(backend: MSupplyBackend, values: dict[str, str], code: str) -> None:
    with pytest.raises(BackendError) as err:
        await backend.change_settings(values)
    assert err.value.rejection.code == code and err.value.rejection.message


async def test_settings_need_the_plain_site_password(make_backend) -> None:
    backend = make_backend(site_password=None, site_password_sha256="ab" * 32)
    with pytest.raises(BackendError) as err:
        await backend.change_settings({"interval_minutes": "1"})
    assert "site_password" in err.value.rejection.message


async def test_settings_need_server_admin(make_backend, sim: Simulator) -> None:
    sim.s.users["clerk"] = ("pw", False)
    backend = make_backend(username="clerk", password="pw")
    snap = await backend.snapshot()  # status still works; settings are hidden
    assert "ServerAdmin" in {i.key: i.value for i in snap.info}["interval"]
    with pytest.raises(BackendError) as err:
        await backend.settings_list()
    assert err.value.rejection.category == Category.AUTH


async def test_wrong_login_is_an_auth_error(make_backend) -> None:
    with pytest.raises(BackendError) as err:
        await make_backend(password="wrong").snapshot()
    assert err.value.rejection.category == Category.AUTH
    assert "wrong" not in repr(err.value.rejection)


async def test_expired_token_logs_in_again(backend: MSupplyBackend, sim: Simulator) -> None:
    await backend.snapshot()
    sim.s.tokens.clear()
    assert (await backend.snapshot()).queue(QueueKind.OUTBOX).count == 5


async def test_bad_options_are_clear_errors(make_backend) -> None:
    backend = make_backend(hung_after_intervals="lots")
    with pytest.raises(BackendError) as err:
        await backend.snapshot()
    assert "hung_after_intervals" in err.value.rejection.message
    with pytest.raises(BackendError) as err:
        await make_backend(colour="blue").snapshot()
    assert "colour" in err.value.rejection.message


@pytest.mark.parametrize("kind", ["reset", "timeout", "500", "malformed", "types"])
async def test_faults_become_rejections(backend: MSupplyBackend, sim: Simulator, kind: str) -> None:
    await backend.snapshot()
    sim.faults.kinds = (kind,)
    sim.faults.rate = 1.0
    for _ in range(3):
        with pytest.raises(BackendError) as err:
            await backend.snapshot()
        rejection = err.value.rejection
        assert rejection.message and rejection.category in (Category.RETRYABLE, Category.SERVER)
    if kind == "timeout":
        assert rejection.code == "TIMEOUT"
    sim.faults.rate = 0.0
    assert (await backend.snapshot()).health.online


async def test_secrets_stay_out_of_everything(backend: MSupplyBackend, sim: Simulator) -> None:
    sim.s.inject("INCORRECT_PASSWORD")
    await backend.synchronize(lambda p: None)
    await backend.check_connection()
    text = repr(await backend.snapshot()) + repr(backend.settings) + repr(backend.options)
    assert "sync-pass" not in text and "'pass'" not in text
