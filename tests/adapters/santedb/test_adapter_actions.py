"""Synchronize Now, retry, discard, reset, count remotes and compare against a scripted dCDR."""

from __future__ import annotations

import json

import httpx
import pytest

from synctui.backend import BackendError
from synctui.model import Category, QueueKind, SyncProgress

from .conftest import REASON_409, SYNC_JOB, FakeDcdr, entry, job, make_backend


def drain_one_per_poll(fake: FakeDcdr) -> None:
    """Each job poll sends one outbox entry; the job completes when the outbox is empty."""
    if fake.queues["out"]:
        fake.queues["out"].pop(0)
    else:
        fake.jobs[SYNC_JOB] = job("Completed")


async def test_synchronize_reports_steps_and_data_synced(backend, fake: FakeDcdr) -> None:
    fake.on_job_poll = drain_one_per_poll
    seen: list[SyncProgress] = []
    result = await backend.synchronize(seen.append)
    assert result.ok and result.message == "Sync finished: 2 sent, 0 received"
    assert "Data Synced" not in result.message and result.rejection is None
    assert result.counts["sent"] == 2 and result.counts["rejected"] == 0
    assert fake.start_body == {
        "parameter": [{"name": "mode", "value": "All"}, {"name": "push", "value": True}]
    }
    outbox = [p.steps[0] for p in seen]
    assert outbox[0].name == "Send outbox" and outbox[0].total == 2
    assert outbox[0].done == 0 and outbox[-1].done == 2 and outbox[-1].finished
    assert [s.done for s in outbox] == sorted(s.done for s in outbox)
    assert seen[-1].running is False and seen[-1].fraction == 1.0


async def test_synchronize_joins_a_running_job(backend, fake: FakeDcdr) -> None:
    fake.jobs[SYNC_JOB] = job("Running")
    fake.on_job_poll = drain_one_per_poll
    result = await backend.synchronize(lambda p: None)
    assert result.ok
    assert not any(r.url.path.endswith("$start") for r in fake.requests)


async def test_synchronize_aborted_job_gives_reason(backend, fake: FakeDcdr) -> None:
    def abort(fake: FakeDcdr) -> None:
        fake.jobs[SYNC_JOB] = job(
            "Aborted",
            status="System.Net.WebException: Unable to connect to the remote server: Connection refused",
        )

    fake.on_job_poll = abort
    result = await backend.synchronize(lambda p: None)
    assert not result.ok and result.message.startswith("The synchronization job stopped with an error")
    assert result.rejection.category == Category.RETRYABLE
    assert "stopped with an error" in result.rejection.message
    assert "Connection refused" in result.rejection.raw


async def test_synchronize_new_dead_letters_are_counted_with_their_reason(backend, fake: FakeDcdr) -> None:
    """The run completed (ok: the job itself did not fail), but it is not "Data Synced": the message
    counts the rejected entries and the rejection says why (the verdict is the core's)."""

    def reject(fake: FakeDcdr) -> None:
        if fake.queues["out"]:
            sent = fake.queues["out"].pop(0)
            fake.queues["deadletter"].append(entry(sent["id"] + 50, "deadletter"))
        else:
            fake.jobs[SYNC_JOB] = job("Completed")

    fake.on_job_poll = reject
    result = await backend.synchronize(lambda p: None)
    assert result.ok and "Synced" not in result.message
    assert result.message == "Sync finished: 2 sent, 0 received, 2 rejected by the server (in Conflicts)"
    assert result.rejection.message.startswith("2 entries were rejected by the server")
    assert result.rejection.category == Category.CONFLICT and result.rejection.status == 409
    assert result.counts["rejected"] == 2


async def test_synchronize_different_reasons_are_counted_per_reason(backend, fake: FakeDcdr) -> None:
    """Three rejected for two reasons: counted per reason, and no one reason's advice for all."""
    fake.queues["out"].append(entry(3))
    reason_422 = REASON_409.replace("(409) Conflict", "(422) Unprocessable Entity").replace(
        '"$type":"PreconditionFailedException"', '"$type":"DetectedIssueException"'
    )
    reasons = iter([reason_422, REASON_409, reason_422])

    def reject(fake: FakeDcdr) -> None:
        if fake.queues["out"]:
            sent = fake.queues["out"].pop(0)
            fake.queues["deadletter"].append(entry(sent["id"] + 50, "deadletter", reason=next(reasons)))
        else:
            fake.jobs[SYNC_JOB] = job("Completed")

    fake.on_job_poll = reject
    result = await backend.synchronize(lambda p: None)
    rejection = result.rejection
    assert (
        rejection.message == "3 entries were rejected by the server: 2 business rules (422), 1 conflict (409)"
    )
    assert "negative stock" not in rejection.advice and "Compare" not in rejection.advice
    assert rejection.status is None and rejection.category == Category.UNKNOWN
    assert "(422)" in rejection.raw and "(409)" in rejection.raw


async def test_synchronize_times_out(fake: FakeDcdr) -> None:
    adapter = make_backend(fake, sync_max_duration=0)
    result = await adapter.synchronize(lambda p: None)
    assert not result.ok and "did not finish" in result.rejection.message


async def test_synchronize_outbox_left_over_is_counted(backend, fake: FakeDcdr) -> None:
    """The job completed but left records in the outbox: counted, never "Data Synced"."""
    fake.on_job_poll = lambda fake: fake.jobs.__setitem__(SYNC_JOB, job("Completed"))
    result = await backend.synchronize(lambda p: None)
    assert result.ok and result.counts["waiting"] == 2
    assert result.message == "Sync finished: 0 sent, 0 received, 2 still waiting to be sent"
    assert "2 records are still waiting" in result.rejection.message


async def test_synchronize_start_refused(backend, fake: FakeDcdr) -> None:
    fake.overrides[("POST", f"/ami/JobInfo/{SYNC_JOB}/$start")] = lambda r: httpx.Response(
        403, json={"message": "StartSystemJob policy denied"}
    )
    with pytest.raises(BackendError) as caught:
        await backend.synchronize(lambda p: None)
    assert caught.value.rejection.category == Category.AUTH


async def test_retry_one_and_all(backend, fake: FakeDcdr) -> None:
    result = await backend.retry(["7", "8"])
    assert not result.ok and result.message == "1 entry queued again, 1 failed"
    assert [r.ok for r in result.results] == [True, False]
    assert fake.queues["deadletter"] == []
    fake.queues["deadletter"].extend([entry(9, "deadletter"), entry(10, "deadletter")])
    everything = await backend.retry(None)
    assert everything.ok and fake.queues["deadletter"] == []
    # counted, from the Conflicts queue before and after the dCDR's "retry all"
    assert everything.counts == {"requeued": 2, "still_rejected": 0}
    assert everything.message == "2 of 2 conflicted entries queued again"


async def test_discard_deletes_from_deadletter(backend, fake: FakeDcdr) -> None:
    result = await backend.discard(QueueKind.CONFLICTS, ["7"])
    assert result.ok and fake.queues["deadletter"] == []
    assert fake.requests[-1].method == "DELETE" and fake.requests[-1].url.path == "/app/Queue/deadletter/7"
    bad = await backend.discard(QueueKind.CONFLICTS, ["abc"])
    assert not bad.ok and "not a queue entry id" in bad.results[0].message


async def test_reset_all_and_one(backend, fake: FakeDcdr) -> None:
    assert (await backend.reset(None)).ok
    assert fake.requests[-1].url.path == "/app/Sync/$reset"
    key = "3a1f5c2e-7b4d-4e8a-9c6f-2d1e0b9a8c7d"
    assert (await backend.reset([key])).ok
    assert fake.requests[-1].url.path == f"/app/Sync/{key}/$reset"
    assert not (await backend.reset(["Patient"])).ok


async def test_count_remotes(backend, fake: FakeDcdr) -> None:
    fake.hdsi_totals = {("Patient", False): 120, ("Patient", True): 125}
    rows = await backend.count_remotes()
    assert (rows[0].local_count, rows[0].remote_count) == (120, 125)
    assert (rows[1].local_count, rows[1].remote_count) == (None, None)  # $deletedObjects: "-"
    patient = [r for r in fake.requests if r.url.path == "/hdsi/Patient"]
    assert patient[0].url.params["classConcept"] == "bacc9c6f-d4b8-4b0c-a9f5-7b2e6c3d1a40"
    assert patient[0].url.params["_count"] == "0" and "x-santedb-upstream" not in patient[0].headers
    assert patient[1].headers["x-santedb-upstream"] == "true"


async def test_count_remotes_upstream_down(backend, fake: FakeDcdr) -> None:
    fake.hdsi_totals = {("Patient", False): 120}
    fake.overrides[("GET", "/hdsi/Patient")] = lambda r: (
        httpx.Response(502, json={"message": "upstream unreachable"})
        if r.headers.get("x-santedb-upstream")
        else httpx.Response(200, json={"totalResults": 120})
    )
    with pytest.raises(BackendError, match="Could not count records on the server"):
        await backend.count_remotes()


async def test_compare_fetches_the_server_copy(backend, fake: FakeDcdr) -> None:
    key = "7d2e5c1a-9f43-4b7e-a2c1-0e8d6b4f3a21"
    fake.payload = (
        f'{{"$type":"Bundle","focal":["{key}"],"resource":[{{"$type":"Patient","id":"{key}"}}]}}'.encode(),
        "application/json",
    )
    comparison = await backend.compare(QueueKind.CONFLICTS, "7")
    assert comparison.server and '"server"' in comparison.server and comparison.reason == ""
    assert fake.requests[-1].headers["x-santedb-upstream"] == "true"
    assert fake.requests[-1].url.path == f"/hdsi/Patient/{key}"


async def test_compare_sets_the_bundles_focal_object_against_the_server_object(
    backend, fake: FakeDcdr
) -> None:
    """Not the whole local Bundle against the bare server object: the object the entry is about."""
    key = "7d2e5c1a-9f43-4b7e-a2c1-0e8d6b4f3a21"
    place = {"$type": "Place", "id": "8f1c2b64-1d3e-4a57-9b0f-2f6c7d8e9a10"}
    patient = {"$type": "Patient", "id": key, "versionSequence": 1}
    bundle = {"$type": "Bundle", "focal": [key], "resource": [place, patient], "count": 2}
    fake.payload = (json.dumps(bundle).encode(), "application/json")
    comparison = await backend.compare(QueueKind.CONFLICTS, "7")
    assert json.loads(comparison.local) == patient
    assert comparison.reason == "The queued Bundle holds 2 objects; its focal Patient is compared."


async def test_compare_unknown_type_or_missing_on_server(backend, fake: FakeDcdr) -> None:
    fake.payload = (b"<Bundle/>", "application/xml")
    comparison = await backend.compare(QueueKind.CONFLICTS, "7")
    assert comparison.server is None and "not known" in comparison.reason
    fake.payload = (b'{"$type":"Act","id":"7d2e5c1a-9f43-4b7e-a2c1-0e8d6b4f3a21"}', "application/json")
    comparison = await backend.compare(QueueKind.CONFLICTS, "7")
    assert comparison.server is None and "The server has no Act" in comparison.reason
    assert REASON_409


async def test_requeue_all_says_so_when_the_counts_cannot_be_read(backend, fake: FakeDcdr) -> None:
    fake.queues["deadletter"].extend([entry(9, "deadletter"), entry(10, "deadletter")])
    fake.overrides[("GET", "/app/Queue")] = lambda r: httpx.Response(500, text="Internal Server Error")
    result = await backend.retry(None)
    assert result.ok and result.counts == {}  # not known, so not counted (never a false 0)
    assert "could not be read" in result.message
    assert fake.queues["deadletter"] == []  # the dCDR did re-queue them
