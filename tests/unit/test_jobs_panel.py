"""The jobs panel's run times: the end of a run says its date only when it differs from the start's."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from synctui.model import Job, JobState
from synctui.tui.widgets.sync.jobs_panel import job_line

NOW = datetime(2026, 12, 1, 0, 37, tzinfo=UTC)


def run_of(start: datetime, finish: datetime) -> str:
    job = Job("j", "Upstream Synchronization Job", JobState.COMPLETED, last_start=start, last_finish=finish)
    return job_line(job, NOW).plain


def test_a_run_yesterday_gives_its_date_once() -> None:
    start = datetime(2026, 11, 30, 21, 37, tzinfo=UTC)
    assert "11-30 21:37–21:38" in run_of(start, start + timedelta(minutes=1))


def test_a_run_past_midnight_gives_the_end_its_date() -> None:
    start = datetime(2026, 11, 30, 23, 58, tzinfo=UTC)
    assert "11-30 23:58–12-01 00:03" in run_of(start, start + timedelta(minutes=5))


def test_a_run_today_gives_times_only() -> None:
    start = datetime(2026, 12, 1, 0, 10, tzinfo=UTC)
    assert "00:10–00:12" in run_of(start, start + timedelta(minutes=2))
