"""Snapshot, entries, entry detail and connection check against a scripted dCDR."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import httpx
import pytest

from synctui.backend import BackendError
from synctui.model import BackendView, Capability, Category, JobState, Level, QueueKind
from synctui.verdict import judge

from .conftest import PASSWORD, SYNC_JOB, URL, FakeDcdr, job, make_backend


async def test_snapshot_maps_counts_oldest_log_and_jobs(backend, fake: FakeDcdr) -> None:
    snap = await backend.snapshot()
    assert snap.backend == "clinic" and snap.kind == "santedb"
    assert Capability.SYNCHRONIZE in snap.capabilities
    out = snap.queue(QueueKind.OUTBOX)
    assert (out.count, out.label) == (2, "Outbox")
    assert out.oldest == datetime(2024, 5, 2, 8, 15, 30, 123456, tzinfo=UTC)
    assert snap.queue(QueueKind.INBOX).count == 0 and snap.queue(QueueKind.INBOX).oldest is None
    assert snap.queue(QueueKind.CONFLICTS).label == "Conflicts"
    assert snap.health.online and snap.health.auth_ok and snap.health.latency_ms is not None
    patient = snap.log[0]
    assert patient.record_type == "Patient"
    assert patient.filter == "classConcept=bacc9c6f-d4b8-4b0c-a9f5-7b2e6c3d1a40"
    assert patient.last_success == datetime(2024, 5, 1, 8, 0, 10, tzinfo=UTC)
    assert snap.log[1].last_success is None
    (sync_job,) = snap.jobs
    assert sync_job.state == JobState.COMPLETED and sync_job.name == "Upstream Synchronization Job"
    assert snap.progress is None


async def test_token_is_cached_and_sent_as_bearer(backend, fake: FakeDcdr) -> None:
    await backend.snapshot()
    await backend.snapshot()
    assert fake.tokens_issued == 1
    login = next(r for r in fake.requests if r.url.path == "/auth/oauth2_token")
    assert b"client_id=clinic-tablet-01" in login.content
    assert fake.requests[-1].headers["authorization"] == "BEARER tok-1"


async def test_reauthenticates_once_on_401(backend, fake: FakeDcdr) -> None:
    await backend.snapshot()
    fake.valid_tokens.clear()  # the dCDR restarted: old tokens are gone
    snap = await backend.snapshot()
    assert fake.tokens_issued == 2 and snap.queue(QueueKind.OUTBOX).count == 2


async def test_configured_client_id_is_used(fake: FakeDcdr) -> None:
    adapter = make_backend(fake, client_id="my-client")
    await adapter.snapshot()
    login = next(r for r in fake.requests if r.url.path == "/auth/oauth2_token")
    assert b"client_id=my-client" in login.content
    assert not any(r.url.params.get("_full") for r in fake.requests)


async def test_wrong_password_is_an_auth_rejection_without_the_password(fake: FakeDcdr) -> None:
    adapter = make_backend(fake)
    adapter.settings.secret = type(adapter.settings.secret)("wrong-password")
    with pytest.raises(BackendError) as caught:
        await adapter.snapshot()
    rejection = caught.value.rejection
    assert rejection.category == Category.AUTH
    assert "user name or password" in rejection.message and "clerk" in rejection.message
    assert "wrong-password" not in repr(rejection) and PASSWORD not in repr(rejection)


async def test_check_connection_reports_auth_failure_as_health(fake: FakeDcdr) -> None:
    adapter = make_backend(fake)
    adapter.settings.secret = type(adapter.settings.secret)("nope-nope")
    health = await adapter.check_connection()
    assert health.auth_ok is False and health.error and health.error.category == Category.AUTH
    good = await make_backend(fake).check_connection()
    assert good.online and good.auth_ok and good.error is None


async def test_offline_upstream_is_health_offline(backend, fake: FakeDcdr) -> None:
    fake.state["online"] = False
    snap = await backend.snapshot()
    assert snap.health.online is False
    assert judge(BackendView(snap), datetime.now(UTC)).level is Level.UNKNOWN


async def test_jobs_map_states_and_aborted_message(backend, fake: FakeDcdr) -> None:
    fake.jobs[SYNC_JOB] = job("Aborted", status="System.Net.WebException: Unable to connect")
    snap = await backend.snapshot()
    assert snap.jobs[0].state == JobState.FAILED
    assert "Unable to connect" in snap.jobs[0].message
    fake.jobs[SYNC_JOB] = job("Running")
    snap = await backend.snapshot()
    assert snap.jobs[0].state == JobState.RUNNING and snap.progress and snap.progress.running


@pytest.mark.parametrize(
    ("wire", "state"),
    [("NotRun", "idle"), ("Stopped", "idle"), ("Starting", "running"), ("Cancelled", "cancelled")],
)
async def test_job_state_table(backend, fake: FakeDcdr, wire: str, state: str) -> None:
    fake.jobs[SYNC_JOB] = job(wire)
    assert (await backend.snapshot()).jobs[0].state == state


async def test_log_is_fetched_less_often_when_asked(fake: FakeDcdr) -> None:
    adapter = make_backend(fake, log_interval=3600)
    await adapter.snapshot()
    await adapter.snapshot()
    assert sum(r.url.path == "/app/Sync" for r in fake.requests) == 1
    assert sum(r.url.path == "/app/Queue" for r in fake.requests) == 2


async def test_jobs_forbidden_still_gives_a_snapshot(backend, fake: FakeDcdr) -> None:
    fake.overrides[("GET", "/ami/JobInfo")] = lambda r: httpx.Response(403, json={"message": "Policy denied"})
    snap = await backend.snapshot()
    assert snap.jobs == [] and snap.queue(QueueKind.OUTBOX).count == 2


async def test_entries_page_with_total_and_rejection(backend, fake: FakeDcdr) -> None:
    page = await backend.entries(QueueKind.CONFLICTS, 0, 10)
    assert page.total == 1
    (conflict,) = page.entries
    assert conflict.id == "7" and conflict.queue == QueueKind.CONFLICTS
    assert conflict.original_queue == QueueKind.OUTBOX
    assert conflict.record_type == "Bundle" and conflict.operation == "Insert"
    assert conflict.correlation == "7d2e5c1a-9f43-4b7e-a2c1-0e8d6b4f3a21"
    assert conflict.rejection and conflict.rejection.status == 409
    assert conflict.rejection.category == Category.CONFLICT
    request = fake.requests[-1]
    assert request.url.params["_includeTotal"] == "true" and request.url.params["_count"] == "10"


@pytest.mark.parametrize(
    ("text", "param", "value"),
    [
        ("12", "id", "12"),
        ("7d2e5c1a-9f43-4b7e-a2c1-0e8d6b4f3a21", "correlation", "7d2e5c1a-9f43-4b7e-a2c1-0e8d6b4f3a21"),
        ("Patient", "type", "Patient"),
        ("operation=Update", "operation", "Update"),
    ],
)
async def test_entries_filter(backend, fake: FakeDcdr, text: str, param: str, value: str) -> None:
    await backend.entries(QueueKind.OUTBOX, 0, 5, text)
    assert fake.requests[-1].url.params[param] == value


async def test_unknown_filter_key_is_a_clear_error(backend) -> None:
    with pytest.raises(BackendError, match="not a queue filter"):
        await backend.entries(QueueKind.OUTBOX, 0, 5, "password=x")


async def test_entry_detail_pretty_prints_json(backend, fake: FakeDcdr) -> None:
    detail = await backend.entry(QueueKind.CONFLICTS, "7")
    assert detail.entry.id == "7" and detail.entry.rejection
    assert detail.payload == json.dumps({"$type": "Bundle", "resource": []}, indent=2)
    assert not detail.truncated


async def test_entry_detail_keeps_xml_and_caps_large_payloads(fake: FakeDcdr) -> None:
    fake.payload = (b"<Bundle xmlns='http://santedb.org/model'/>", "application/xml")
    adapter = make_backend(fake, payload_limit=20)
    detail = await adapter.entry(QueueKind.OUTBOX, "1")
    assert detail.truncated and len(detail.payload) == 20 and detail.content_type == "application/xml"
    fake.payload = (b"<Bundle/>", "application/xml")
    detail = await adapter.entry(QueueKind.OUTBOX, "1")
    assert detail.payload == "<Bundle/>" and not detail.truncated


async def test_entry_gone_and_bad_id(backend) -> None:
    with pytest.raises(BackendError) as caught:
        await backend.entry(QueueKind.OUTBOX, "99")
    assert caught.value.rejection.category == Category.GONE
    assert "no longer in the Outbox queue" in caught.value.rejection.message
    with pytest.raises(BackendError, match="not a queue entry id"):
        await backend.entry(QueueKind.OUTBOX, "../State")


def test_watch_paths(fake: FakeDcdr, tmp_path) -> None:
    assert make_backend(fake).watch_paths() == []
    database = tmp_path / "santedb.sqlite"
    assert make_backend(fake, database=str(database)).watch_paths() == [database]


async def test_bad_options_and_url_are_config_errors(fake: FakeDcdr) -> None:
    with pytest.raises(BackendError, match=r"options\.profile must be one of santedb3, santedb2, openiz"):
        await make_backend(fake, profile="santedb1").snapshot()
    with pytest.raises(BackendError, match="sync_poll_interval expects number"):
        await make_backend(fake, sync_poll_interval="fast").snapshot()
    adapter = make_backend(fake)
    adapter.base = "dcdr.test"
    with pytest.raises(BackendError, match="not an http"):
        await adapter.snapshot()
    assert URL.startswith("http")
