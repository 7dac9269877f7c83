"""Re-Submit To Server (OpenIZ): ask for a date range, confirm with the word and the PIN, then follow
the agent's background action in the progress dialog, which can cancel it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from textual.screen import Screen

from synctui.tui.screens.confirm import Confirmation, ConfirmRequest, ConfirmScreen
from synctui.tui.screens.sync_progress import SyncProgressScreen

if TYPE_CHECKING:
    from synctui.tui.app import SyncTuiApp

LINES = [
    "Records created in the range that the server does not have are queued again, as updates.",
    "It can take 20-30 minutes on a large device; you can cancel it, and what was queued stays queued.",
    "Enter the range as FIRST..LAST, e.g. 2026-11-01..2026-11-24 (whole days).",
]


def parse_range(text: str) -> tuple[datetime, datetime]:
    """ "2026-11-01..2026-11-24" (or a single day) as the first moment of the first day and the last
    moment of the last; ValueError with a readable message otherwise."""
    first, _, last = text.strip().partition("..")
    try:
        since = datetime.strptime(first.strip(), "%Y-%m-%d").replace(tzinfo=UTC)
        until = datetime.strptime((last or first).strip(), "%Y-%m-%d").replace(tzinfo=UTC)
    except ValueError:
        raise ValueError(f"{text!r} is not a range like 2026-11-01..2026-11-24") from None
    if until < since:
        raise ValueError("the range ends before it starts")
    return since, until + timedelta(days=1) - timedelta(seconds=1)


def ask_resubmit(screen: Screen, backend: str) -> None:
    app: SyncTuiApp = screen.app  # type: ignore[assignment]
    today = app.now().date()
    request = ConfirmRequest(
        title=f"Re-Submit To Server: {backend}",
        lines=LINES,
        word="RESUBMIT",
        pin=app.pin_required,
        confirm_label="Re-submit",
        value_label="Date range",
        value=f"{today - timedelta(days=7):%Y-%m-%d}..{today:%Y-%m-%d}",
    )

    def confirmed(answer: Confirmation | None) -> None:
        if answer is None:
            return
        try:
            since, until = parse_range(answer.value or "")
        except ValueError as exc:
            app.notify(str(exc), severity="error")
            return
        app.push_screen(
            SyncProgressScreen(
                backend,
                starter=lambda: app.client.resubmit(backend, since, until, pin=answer.pin),
                labels=("Re-submitting…", "Re-submitted", "Re-Submit Failed"),
            )
        )

    app.push_screen(ConfirmScreen(request), confirmed)
