"""The end of a completed sync says what it left, counted per reason, in the adapter's words."""

from __future__ import annotations

from datetime import UTC, datetime

from synctui.model import ActionStatus, Category, Rejection
from synctui.tui.sync_text import outcome_lines

LEFT = Rejection(
    Category.UNKNOWN,
    "3 entries were rejected by the server: 2 business rules (422), 1 conflict (409)",
    "Open Conflicts: each entry says why it was rejected and what to do about it.",
    code="REJECTED",
)


def _status(ok: bool, rejection: Rejection | None) -> ActionStatus:
    started = datetime(2026, 1, 1, tzinfo=UTC)
    return ActionStatus(
        "a-1",
        "clinic",
        "synchronize",
        "done" if ok else "failed",
        started,
        started,
        ok=ok,
        message="Sync finished: 3 sent, 0 received, 3 rejected by the server (in Conflicts)",
        rejection=rejection,
        counts={"sent": 3, "received": 0, "rejected": 3},
    )


def test_a_completed_sync_shows_the_rejections_counted_per_reason() -> None:
    lines = [line.plain for line in outcome_lines(_status(True, LEFT))]
    assert lines == [
        "Sync finished: 3 sent, 0 received, 3 rejected by the server (in Conflicts)",
        "3 entries were rejected by the server: 2 business rules (422), 1 conflict (409)",
    ]


def test_a_failed_sync_does_not_repeat_its_reason_here() -> None:
    lines = [line.plain for line in outcome_lines(_status(False, LEFT))]
    assert lines == ["Sync finished: 3 sent, 0 received, 3 rejected by the server (in Conflicts)"]
