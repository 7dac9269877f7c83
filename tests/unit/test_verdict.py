"""The verdict, table-driven: every level and reason, on snapshots shaped like each backend family."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from synctui.model import (
    ActionStatus,
    BackendView,
    Category,
    DepthPoint,
    Health,
    Level,
    QueueKind,
    QueueStat,
    Rejection,
    Snapshot,
    SyncLogRow,
    SyncProgress,
    Thresholds,
)
from synctui.verdict import judge, stuck_queues, worst

NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
OUT, INB, ADM, CON = QueueKind.OUTBOX, QueueKind.INBOX, QueueKind.ADMIN, QueueKind.CONFLICTS


def ago(**kw: float) -> datetime:
    return NOW - timedelta(**kw)


# Each family maps its backend onto the four queues differently: SanteDB has all four and a sync log
# per resource; mSupply has no admin queue (n/a), labels of its own and per-step log rows; HCM keeps
# "Data unsynced" rows, an awaiting-confirmation inbox, no admin queue and a log per entity type.
FAMILIES = {
    "santedb": dict(
        queues={OUT: 0, INB: 0, ADM: 0, CON: 0},
        labels={},
        log=[SyncLogRow("patient", "Patient", last_success=ago(minutes=5))],
    ),
    "msupply": dict(
        queues={OUT: 0, INB: 0, ADM: None, CON: 0},
        labels={OUT: "Push queue", INB: "To pull", CON: "Sync errors"},
        log=[
            SyncLogRow("push", "Push", last_success=ago(minutes=2)),
            SyncLogRow("pull", "Pull", last_success=ago(minutes=2)),
        ],
    ),
    "hcm": dict(
        queues={OUT: 0, INB: 0, ADM: None, CON: 0},
        labels={OUT: "Data unsynced", INB: "Awaiting confirmation", CON: "Not confirmed"},
        log=[SyncLogRow("individual", "individual", last_success=ago(hours=1))],
    ),
}


def view(family: str, *, counts=None, log=None, history=(), action=None, **snap) -> BackendView:
    spec = FAMILIES[family]
    queues = dict(spec["queues"], **(counts or {}))
    snapshot = Snapshot(
        backend=f"{family}-1",
        kind=family,
        queues=[
            QueueStat(k, c, oldest=ago(hours=1) if c else None, label=spec["labels"].get(k))
            for k, c in queues.items()
        ],
        health=snap.pop("health", Health(online=True, latency_ms=20.0, auth_ok=True)),
        log=spec["log"] if log is None else log,
        taken_at=snap.pop("taken_at", ago(seconds=3)),
        thresholds=snap.pop("thresholds", Thresholds(warning=timedelta(days=1), error=timedelta(days=3))),
        **snap,
    )
    return BackendView(
        snapshot, history=list(history), action=action, next_refresh=NOW + timedelta(seconds=2)
    )


def steady(kind: QueueKind, count: int, minutes: float) -> list[DepthPoint]:
    return [DepthPoint(ago(minutes=minutes), {kind: count}), DepthPoint(ago(minutes=1), {kind: count})]


OFFLINE = Rejection(Category.RETRYABLE, "connection refused", advice="Check the network cable or Wi-Fi.")
FAILED_SYNC = ActionStatus(
    "a1", "x", "synchronize", "failed", started=ago(minutes=3), finished=ago(minutes=2), ok=False,
    rejection=Rejection(Category.AUTH, "the server refused the device credentials", advice="Re-enter the password"),
)  # fmt: skip

# (case id, view arguments, expected level, expected reason codes)
CASES = [
    ("all-zero-recent", {}, Level.SAFE, []),
    ("outbox-moving", {"counts": {OUT: 12}, "history": steady(OUT, 12, 3)}, Level.WAITING, ["outbox"]),
    ("inbox-moving", {"counts": {INB: 4}}, Level.WAITING, ["inbox"]),
    ("outbox-stuck", {"counts": {OUT: 12}, "history": steady(OUT, 12, 25)}, Level.ATTENTION, ["stuck"]),
    ("conflicts", {"counts": {CON: 2}}, Level.ATTENTION, ["conflicts"]),
    ("conflicts-and-outbox", {"counts": {CON: 2, OUT: 3}}, Level.ATTENTION, ["conflicts", "outbox"]),
    (
        "log-warning",
        {"log": [SyncLogRow("p", "Patient", last_success=ago(days=1, hours=2))]},
        Level.WAITING,
        ["log-old"],
    ),
    (
        "log-error",
        {"log": [SyncLogRow("p", "Patient", last_success=ago(days=4))]},
        Level.ATTENTION,
        ["log-too-old"],
    ),
    ("log-never", {"log": [SyncLogRow("p", "Patient", last_success=None)]}, Level.ATTENTION, ["log-too-old"]),
    ("sync-running", {"progress": SyncProgress(message="Sending", running=True)}, Level.WAITING, ["syncing"]),
    ("sync-hung", {"progress": SyncProgress(message="Pulling", hung=True)}, Level.ATTENTION, ["sync-hung"]),
    ("sync-failed", {"action": FAILED_SYNC, "log": []}, Level.ATTENTION, ["sync-failed"]),
    (
        "backend-reports-error",
        {"health": Health(online=True, error=Rejection(Category.SERVER, "integration failed"))},
        Level.ATTENTION,
        ["backend-error"],
    ),
    ("offline", {"health": Health(online=False, error=OFFLINE)}, Level.UNKNOWN, ["offline"]),
    (
        "refresh-failing-with-conflicts",
        {"counts": {CON: 2}, "stale": True, "health": Health(online=False, error=OFFLINE)},
        Level.UNKNOWN,
        ["refresh-failing", "conflicts"],
    ),
    ("restored-not-refreshed", {"stale": True}, Level.UNKNOWN, ["not-refreshed-yet"]),
    ("count-unknown", {"counts": {INB: None}}, None, None),  # see the family-specific test below
]


@pytest.mark.parametrize("family", FAMILIES)
@pytest.mark.parametrize(
    ("case", "args", "level", "codes"),
    [c for c in CASES if c[2] is not None],
    ids=[c[0] for c in CASES if c[2] is not None],
)
def test_verdict(family, case, args, level, codes):
    verdict = judge(view(family, **args), NOW)
    assert verdict.level is level, (verdict.level, verdict.reasons)
    assert sorted(r.code for r in verdict.reasons) == sorted(codes)
    for reason in verdict.reasons:
        assert reason.line and reason.next_step, reason  # every reason says what and what to do
    assert verdict.summary.startswith("All synced") == (level is Level.SAFE)


@pytest.mark.parametrize("family", FAMILIES)
def test_never_refreshed_is_unknown_and_says_why(family):
    placeholder = view(family, stale=True, health=Health(online=False, error=OFFLINE))
    placeholder = replace(
        placeholder,
        snapshot=replace(
            placeholder.snapshot, queues=[QueueStat(k, None, known=False) for k in QueueKind], log=[]
        ),
    )
    verdict = judge(placeholder, NOW)
    assert verdict.level is Level.UNKNOWN
    assert [r.code for r in verdict.reasons] == ["never-refreshed"]
    assert "Not known yet" in verdict.reasons[0].line and "connection refused" in verdict.reasons[0].line
    assert verdict.reasons[0].next_step == OFFLINE.advice


def test_a_queue_whose_count_is_not_known_is_unknown_never_zero():
    partial = view("santedb")
    queues = [replace(q, count=None, known=False) if q.kind == CON else q for q in partial.snapshot.queues]
    verdict = judge(replace(partial, snapshot=replace(partial.snapshot, queues=queues)), NOW)
    assert verdict.level is Level.UNKNOWN and verdict.reasons[0].code == "count-unknown"


def test_no_outbox_and_no_conflicts_queue_is_never_safe():
    bare = view("santedb", counts={OUT: None, CON: None})
    verdict = judge(bare, NOW)
    assert verdict.level is Level.UNKNOWN and verdict.has("no-queue")


def test_data_not_refreshed_when_due_is_unknown():
    late = replace(view("hcm"), next_refresh=NOW - timedelta(minutes=5))
    assert judge(late, NOW).level is Level.UNKNOWN and judge(late, NOW).has("data-late")


def test_agent_unreachable_is_unknown_whatever_the_last_data():
    verdict = judge(view("msupply"), NOW, agent_error="connection refused")
    assert verdict.level is Level.UNKNOWN and verdict.reasons[0].code == "agent-unreachable"


def test_a_failed_sync_older_than_a_later_success_no_longer_counts():
    later_success = [SyncLogRow("p", "Patient", last_success=ago(minutes=1))]
    assert judge(view("santedb", action=FAILED_SYNC, log=later_success), NOW).level is Level.SAFE


def test_a_queue_becomes_stuck_as_time_passes():
    waiting = view("santedb", counts={OUT: 5}, history=[DepthPoint(ago(minutes=1), {OUT: 5})])
    assert judge(waiting, NOW).level is Level.WAITING
    after = waiting.snapshot.thresholds.stuck_after
    later = replace(waiting, next_refresh=NOW + after)  # refreshed all along, nothing moved
    assert judge(later, NOW + after).level is Level.ATTENTION


def test_stuck_after_is_the_backends_own():
    brisk = Thresholds(stuck_after=timedelta(minutes=2))
    moving = view("santedb", counts={OUT: 5}, history=steady(OUT, 5, 3))
    assert judge(moving, NOW).level is Level.WAITING  # 3 min unchanged: not stuck by the default 10 min
    stuck = view("santedb", counts={OUT: 5}, history=steady(OUT, 5, 3), thresholds=brisk)
    verdict = judge(stuck, NOW)
    assert verdict.level is Level.ATTENTION and verdict.has("stuck")
    assert [(s.stat.kind, s.since) for s in stuck_queues(stuck, NOW)] == [(OUT, ago(minutes=3))]


def test_unchanged_conflicts_are_stuck_but_judged_as_conflicts_and_empty_queues_never_stuck():
    history = [
        DepthPoint(ago(hours=2), {OUT: 0, CON: 4, INB: 3}),
        DepthPoint(ago(minutes=1), {OUT: 0, CON: 4}),
    ]
    unchanged = view("santedb", counts={CON: 4, INB: None}, history=history)
    assert [s.stat.kind for s in stuck_queues(unchanged, NOW)] == [CON]
    assert [r.code for r in judge(unchanged, NOW).reasons] == ["conflicts"]


def test_worst_and_exit_codes():
    assert [lv.exit_code for lv in Level] == [0, 1, 2, 3]
    verdicts = [judge(view("santedb"), NOW), judge(view("hcm", counts={CON: 1}), NOW)]
    assert worst(verdicts) is Level.ATTENTION
    assert worst([]) is Level.UNKNOWN  # never safe by default


def test_a_queue_whose_oldest_entry_is_newer_than_its_unchanged_count_is_not_stuck():
    # 5 entries for 25 minutes, but the oldest of them came in 2 minutes ago: the queue moved then
    moved = view("santedb", counts={OUT: 5}, history=steady(OUT, 5, 25))
    fresh = replace(
        moved.snapshot,
        queues=[replace(q, oldest=ago(minutes=2)) if q.kind is OUT else q for q in moved.snapshot.queues],
    )
    assert stuck_queues(replace(moved, snapshot=fresh), NOW) == []
    assert not judge(replace(moved, snapshot=fresh), NOW).has("stuck")


def test_an_unknown_depth_ends_the_unchanged_run():
    # the agent restarted 3 minutes ago: what the outbox did while it was down is not known
    history = [*steady(OUT, 5, 25)[:1], DepthPoint(ago(minutes=3), {}), DepthPoint(ago(minutes=1), {OUT: 5})]
    restarted = view("santedb", counts={OUT: 5}, history=history)
    assert stuck_queues(restarted, NOW) == []
    assert judge(restarted, NOW).level is Level.WAITING


@pytest.mark.parametrize(
    ("kind", "step"),
    [(OUT, "They go with the next sync"), (INB, "They arrive with the next sync"), (ADM, "handled")],
)
def test_waiting_entries_say_which_way_they_go(kind: QueueKind, step: str) -> None:
    reason = judge(view("santedb", counts={kind: 4}), NOW).reasons[0]
    assert reason.code == kind.value and step in reason.next_step
