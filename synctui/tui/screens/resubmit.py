"""Re-Submit To Server (OpenIZ): ask for a date range, confirm as the catalogue says (word, PIN), then
follow the agent's background action in the progress dialog, which can cancel it. It ends with what the
agent counted ("queued 4 records the server lacks; 8 already waiting were not queued again") and what
is left, as the verdict says: never "everything reached the server" while records wait to be sent."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from textual.screen import Screen

from synctui.actions import action
from synctui.i18n import N_
from synctui.tui.screens.confirm import Confirmation, ConfirmRequest, ConfirmScreen
from synctui.tui.screens.sync_progress import SyncProgressScreen, Words

if TYPE_CHECKING:
    from synctui.tui.app import SyncTuiApp

LINES = [
    N_("They are queued again, as updates, and sent at the next sync."),
    N_("You can cancel it; what was queued stays queued."),
    N_("Enter the range as FIRST..LAST, e.g. 2026-11-01..2026-11-24 (whole days)."),
]
RESUBMIT_WORDS = Words(
    "resubmit",
    N_("Re-submitting…"),
    N_("Re-submitted"),
    N_("Re-Submit finished"),
    N_("Re-Submit Failed"),
    N_("Re-Submit cancelled"),
    N_("re-submit"),
)


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
    request = ConfirmRequest.for_action(
        action("resubmit"),
        backend,
        pin_required=app.pin_required,
        lines=LINES,
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
                words=RESUBMIT_WORDS,
            )
        )

    app.push_screen(ConfirmScreen(request), confirmed)
