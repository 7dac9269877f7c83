"""The one-line diagnosis of stuck and rejected queues: counted, plural-correct, within 80 columns."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from synctui.diagnosis import Diagnosis, diagnoses, tally
from synctui.model import (
    BackendView,
    Category,
    DepthPoint,
    Health,
    QueueEntry,
    QueueKind,
    QueueStat,
    RejectedCount,
    Rejection,
    Snapshot,
)

NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
OUT, CON = QueueKind.OUTBOX, QueueKind.CONFLICTS
REVIEW = "press 4 to review"


def view(outbox=0, conflicts=0, rejected=None, history=(), known=True) -> BackendView:
    queues = [QueueStat(OUT, outbox, known=known), QueueStat(CON, conflicts, known=known)]
    snap = Snapshot("clinic", "santedb", queues, Health(online=True), taken_at=NOW)
    return BackendView(snap, history=list(history), rejected=rejected)


def lines(v: BackendView, how: str = REVIEW) -> list[str]:
    return [d.line(how) for d in diagnoses(v, NOW)]


def entry(category: Category | None, status: int | None = None) -> QueueEntry:
    rejection = Rejection(category, "why", status=status) if category else None
    return QueueEntry("1", CON, "Patient", "Insert", rejection=rejection)


def test_tally_groups_by_category_and_status_most_first():
    entries = [entry(Category.CONFLICT, 409), entry(Category.FIX_DATA, 422), entry(Category.FIX_DATA, 422)]
    assert tally([*entries, entry(None)]) == [
        RejectedCount(Category.FIX_DATA, 2, 422),
        RejectedCount(Category.CONFLICT, 1, 409),
        RejectedCount(Category.UNKNOWN, 1, None),
    ]


def test_the_example_of_the_issue():
    rejected = [RejectedCount(Category.FIX_DATA, 1, 422), RejectedCount(Category.CONFLICT, 1, 409)]
    assert lines(view(conflicts=2, rejected=rejected)) == [
        "2 rejected: 1 business rule (422), 1 conflict (409) — press 4 to review"
    ]


def test_plurals_statuses_of_one_category_and_entries_not_read_yet():
    rejected = [
        RejectedCount(Category.FIX_DATA, 3, 422),
        RejectedCount(Category.FIX_DATA, 1, 400),
        RejectedCount(Category.SERVER, 1, None),
    ]
    assert lines(view(conflicts=1205, rejected=rejected), "") == [
        "1,205 rejected: 4 business rules (400, 422), 1 server error, 1,200 not read yet"
    ]


def test_a_tally_older_than_the_count_is_not_shown_and_no_tally_gives_the_count():
    stale = [RejectedCount(Category.CONFLICT, 5, 409)]
    assert lines(view(conflicts=2, rejected=stale)) == ["2 rejected — press 4 to review"]
    assert lines(view(conflicts=1, rejected=None)) == ["1 rejected — press 4 to review"]


def test_a_stuck_outbox_gets_a_line_and_a_moving_one_none():
    steady = [DepthPoint(NOW - timedelta(minutes=12), {OUT: 5})]
    assert lines(view(outbox=5, history=steady), "press s to synchronize") == [
        "Outbox: 5 entries unchanged for 12 min — press s to synchronize"
    ]
    moving = [DepthPoint(NOW - timedelta(minutes=2), {OUT: 5})]
    assert lines(view(outbox=5, history=moving)) == []


def test_nothing_before_the_first_read_or_when_all_is_empty():
    assert lines(view(conflicts=3, known=False)) == []
    assert lines(view()) == []


def test_a_long_breakdown_is_shortened_at_whole_parts_and_still_adds_up():
    rejected = [
        RejectedCount(Category.FIX_DATA, 4, 422),
        RejectedCount(Category.CONFLICT, 3, 409),
        RejectedCount(Category.RETRYABLE, 2, 503),
        RejectedCount(Category.GONE, 1, 410),
        RejectedCount(Category.AUTH, 1, 403),
    ]
    [line] = lines(view(conflicts=11, rejected=rejected))
    assert len(line) <= 80
    assert line == "11 rejected: 4 business rules (422), 7 others — press 4 to review"


def test_a_head_too_long_for_the_width_is_cut_at_a_word():
    diagnosis = Diagnosis(
        OUT, "Entries waiting to be sent to the central server: 5 unchanged for 12 min", "synchronize"
    )
    line = diagnosis.line("press s to synchronize", width=60)
    assert len(line) <= 60 and line.endswith(" … — press s to synchronize")
    assert line.startswith("Entries waiting to be sent to the …")
