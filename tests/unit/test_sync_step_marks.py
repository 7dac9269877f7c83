"""A step a sync failed at is marked failed, never with the running mark."""

from __future__ import annotations

from datetime import UTC, datetime

from synctui.model import ActionStatus, SyncProgress, SyncStep
from synctui.tui.look import UNICODE
from synctui.tui.sync_text import progress_text
from synctui.tui.widgets.sync.sync_progress_panel import steps_text

NOW = datetime(2026, 1, 1, tzinfo=UTC)
PROGRESS = SyncProgress(
    steps=[
        SyncStep("Push", total=5, done=5, started=NOW, finished=NOW),
        SyncStep("Pull central", total=10, done=3, started=NOW, failed=True),
    ],
    message="Central is busy",
    running=False,
)


def test_the_sync_dialog_marks_the_failed_step() -> None:
    status = ActionStatus("a", "pharmacy", "synchronize", "failed", NOW, NOW, PROGRESS, ok=False)
    lines = progress_text(UNICODE, status, None, False).plain.splitlines()
    failed = next(line for line in lines if "Pull central" in line)
    assert failed.startswith(UNICODE.error) and UNICODE.running not in failed


def test_the_progress_panel_marks_the_failed_step() -> None:
    assert steps_text(PROGRESS, UNICODE) == f"Push {UNICODE.ok} · Pull central {UNICODE.error}"
