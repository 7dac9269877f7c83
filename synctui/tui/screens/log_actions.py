"""Main-screen actions on the sync log and the backend: Count Remotes, Reset (one row / all), details."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.screen import Screen

from synctui.model import ActionResult, BackendView, Capability, SyncLogRow
from synctui.tui.actions import may_change, result_line, run_change, supports
from synctui.tui.format import one_line
from synctui.tui.screens.confirm import Confirmation, ConfirmRequest, ConfirmScreen
from synctui.tui.widgets.sync_log_table import SyncLogTable

if TYPE_CHECKING:
    from synctui.tui.app import SyncTuiApp

RESET_LINES = [
    "Sync markers are cleared, no data is deleted; the log rows will be re-fetched from the server.",
]


class LogActionsScreen(Screen):
    """Base of MainScreen (which draws the state); remote counts are kept per backend until replaced."""

    def __init__(self) -> None:
        super().__init__()
        self.counted: dict[str, dict[str, SyncLogRow]] = {}

    @property
    def tui(self) -> SyncTuiApp:
        return self.app  # type: ignore[return-value]

    def current_view(self) -> BackendView | None:
        return self.tui.selected_view()

    def show_state(self) -> None:
        raise NotImplementedError

    def log_check(self, action: str) -> bool | None:
        """check_action for the actions of this class; None when `action` is not one of them."""
        view = self.current_view()
        name = view.snapshot.backend if view is not None else ""
        if action == "backend_details":
            return view is not None
        if action == "count_remotes":
            return view is not None and supports(self.tui, name, Capability.COUNT_REMOTES)
        if action in ("reset_row", "reset_all"):
            return (
                view is not None and bool(view.snapshot.log) and may_change(self.tui, name, Capability.RESET)
            )
        return None

    def action_backend_details(self) -> None:
        from synctui.tui.screens.backend_details import BackendDetailsScreen

        view = self.current_view()
        if view is not None:
            self.app.push_screen(BackendDetailsScreen(view.snapshot.backend))

    def action_count_remotes(self) -> None:
        view = self.current_view()
        if view is None or not self.log_check("count_remotes"):
            return
        backend = view.snapshot.backend

        def done(rows: list[SyncLogRow] | None, error: str | None) -> None:
            if rows is None:
                self.notify(f"Count remotes failed: {error}", severity="error", timeout=8)
                return
            self.counted[backend] = {row.key: row for row in rows}
            differ = sum(
                1 for row in rows if row.remote_count is not None and row.remote_count != row.local_count
            )
            self.notify(f"{backend}: counted {len(rows)} record types, {differ} differ from the local count")
            self.show_state()

        if run_change(self, f"count:{backend}", lambda: self.tui.client.count_remotes(backend), done):
            self.notify(f"counting records on the {backend} server…", timeout=3)

    def action_reset_row(self) -> None:
        row = self.query_one(SyncLogTable).selected_row()
        if row is None or not self.log_check("reset_row"):
            return
        self.ask_reset([row.key], f"Reset the sync log row {one_line(row.record_type, 40)}?", 1)

    def action_reset_all(self) -> None:
        view = self.current_view()
        if view is None or not self.log_check("reset_all"):
            return
        self.ask_reset(
            None, f"Reset ALL {len(view.snapshot.log)} sync log rows of {view.snapshot.backend}?", None
        )

    def ask_reset(self, keys: list[str] | None, title: str, count: int | None) -> None:
        view = self.current_view()
        if view is None:
            return
        backend = view.snapshot.backend
        lines = list(RESET_LINES)
        if keys is None:
            lines.append(f"Affects all {len(view.snapshot.log)} log rows.")
        request = ConfirmRequest(
            title=title,
            lines=lines,
            count=count,
            word="RESET",
            pin=self.tui.pin_required,
            confirm_label="Reset",
        )

        def confirmed(answer: Confirmation | None) -> None:
            if answer is not None:
                run_change(
                    self,
                    f"reset:{backend}",
                    lambda: self.tui.client.reset(backend, keys, pin=answer.pin),
                    self.after_reset,
                )

        self.app.push_screen(ConfirmScreen(request), confirmed)

    def after_reset(self, result: ActionResult | None, error: str | None) -> None:
        if result is None:
            self.notify(f"Reset failed: {error}", severity="error", timeout=8)
            return
        failed = [r for r in result.results if not r.ok]
        text = f"Reset {result_line(result)}"
        if failed:
            text += "; " + "; ".join(f"{r.id}: {one_line(r.message, 60)}" for r in failed[:3])
        self.notify(text, severity="information" if result.ok else "error", timeout=8)
        self.tui.action_refresh()
