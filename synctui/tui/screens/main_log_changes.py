"""The main screen's changes to the sync log, asked of the agent: Count Remotes (the server's count beside
each local count, kept per backend on the screen) and Reset (one row or all, confirmed first), each
saying what happened, counted."""

from __future__ import annotations

from typing import TYPE_CHECKING

from synctui.actions import action
from synctui.i18n import _, labelled, ngettext
from synctui.model import ActionResult, SyncLogRow
from synctui.tui.changes import result_line, run_change
from synctui.tui.format import one_line

if TYPE_CHECKING:
    from synctui.tui.screens.confirm import Confirmation
    from synctui.tui.screens.main import MainScreen


def count_remotes(screen: MainScreen, backend: str) -> None:
    """Ask the agent to count `backend`'s records on its server; the counts go to `screen.counted`."""

    def done(rows: list[SyncLogRow] | None, error: str | None) -> None:
        if rows is None:
            screen.notify(_("Count remotes failed: {error}").format(error=error), severity="error", timeout=8)
            return
        screen.counted[backend] = {row.key: row for row in rows}
        differ = sum(
            1 for row in rows if row.remote_count is not None and row.remote_count != row.local_count
        )
        counted = ngettext(
            "{backend}: counted {n} record type, {differ} differ from the local count",
            "{backend}: counted {n} record types, {differ} differ from the local count",
            len(rows),
        )
        screen.notify(counted.format(backend=backend, n=len(rows), differ=differ))
        screen.show_state()

    if run_change(screen, f"count:{backend}", lambda: screen.tui.client.count_remotes(backend), done):
        screen.notify(_("counting records on the {backend} server…").format(backend=backend), timeout=3)


def ask_reset(screen: MainScreen, name: str, keys: list[str] | None, subject: str) -> None:
    """Confirm, then reset the sync markers of the rows `keys` (None: every row) of the selected backend."""
    from synctui.tui.screens.confirm import ConfirmRequest, ConfirmScreen  # not needed to draw

    view = screen.current_view()
    if view is None:
        return
    tui = screen.tui
    backend = view.snapshot.backend
    spec = action(name)
    lines = [] if keys is not None else [_("Affects all {n} log rows.").format(n=len(view.snapshot.log))]
    request = ConfirmRequest.for_action(spec, subject, pin_required=tui.pin_required, lines=lines)

    def confirmed(answer: Confirmation | None) -> None:
        if answer is not None:
            run_change(
                screen,
                f"reset:{backend}",
                lambda: tui.client.reset(backend, keys, pin=answer.pin),
                lambda result, error: after_reset(screen, spec.name, result, error),
            )

    tui.push_screen(ConfirmScreen(request), confirmed)


def after_reset(screen: MainScreen, name: str, result: ActionResult | None, error: str | None) -> None:
    """Say what the reset did (the first failures by id), then ask the agent to refresh."""
    title = action(name).label
    if result is None:
        screen.notify(
            _("{action} failed: {error}").format(action=title, error=error), severity="error", timeout=8
        )
        return
    failed = [r for r in result.results if not r.ok]
    text = labelled(title, result_line(name, result))
    if failed:
        text += "".join(
            _("; {more}").format(more=labelled(r.id, one_line(r.message, 60))) for r in failed[:3]
        )
    screen.notify(text, severity="information" if result.ok else "error", timeout=8)
    screen.tui.action_refresh()
