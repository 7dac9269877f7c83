"""A partial answer gives a partial snapshot: what failed is marked not known, the rest stays."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx

from synctui.model import BackendView, JobState, Level, QueueKind
from synctui.tui.widgets.header.status_banner import notices
from synctui.verdict import judge

from .conftest import SYNC_JOB, FakeDcdr, entry, job


async def test_an_unknown_job_state_is_shown_as_unknown_not_a_failed_snapshot(
    backend, fake: FakeDcdr
) -> None:
    fake.jobs[SYNC_JOB] = job("Paused", status="waiting for the network")
    snap = await backend.snapshot()
    (paused,) = snap.jobs
    assert paused.state is JobState.UNKNOWN
    assert paused.message == "state 'Paused' not known to synctui: waiting for the network"
    assert snap.queue(QueueKind.OUTBOX).count == 2 and snap.health.online


async def test_a_404_on_one_oldest_entry_lookup_leaves_the_counts_and_the_health(
    backend, fake: FakeDcdr
) -> None:
    fake.queues["in"] = [entry(4, "in")]
    fake.overrides[("GET", "/app/Queue/out")] = lambda request: httpx.Response(404, json={"message": "gone"})
    snap = await backend.snapshot()
    outbox = snap.queue(QueueKind.OUTBOX)
    assert outbox.known and outbox.count == 2 and outbox.oldest is None
    assert outbox.detail == "oldest entry: age not known"
    assert snap.queue(QueueKind.INBOX).oldest is not None
    assert snap.queue(QueueKind.CONFLICTS).count == 1 and snap.queue(QueueKind.CONFLICTS).oldest is not None
    assert snap.health.online and snap.health.error is None and not snap.stale
    (why,) = [item for item in snap.info if item.key == "oldest_outbox"]
    assert why.value.startswith("not known: ") and "404" in why.value
    verdict = judge(BackendView(snap), datetime.now(UTC))
    assert verdict.level is Level.ATTENTION  # the conflict, judged on counts that are still known


async def test_a_failing_job_list_leaves_the_rest(backend, fake: FakeDcdr) -> None:
    fake.overrides[("GET", "/ami/JobInfo")] = lambda request: httpx.Response(200, json="jobs")
    snap = await backend.snapshot()
    assert snap.jobs == [] and snap.queue(QueueKind.OUTBOX).count == 2
    (why,) = [item for item in snap.info if item.key == "jobs"]
    assert why.value.startswith("not known: ") and "/ami/JobInfo" in why.value


async def test_cannot_reach_the_central_server_says_so(backend, fake: FakeDcdr) -> None:
    fake.state.update(online=False, hdsi=False, ami=False)
    snap = await backend.snapshot()
    assert snap.health.online is False and snap.health.error is not None
    assert (
        snap.health.error.message
        == "The dCDR answers but cannot reach the central server (HDSI and AMI unreachable)"
    )
    (line,) = [text for _, text in notices(None, BackendView(snap), None, datetime.now(UTC))]
    assert "no answer" not in line and "cannot reach the central server" in line
    health = await backend.check_connection()
    assert health.online is False and health.error == snap.health.error
