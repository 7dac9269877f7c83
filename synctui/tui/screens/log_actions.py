"""Main-screen actions on the sync log and the backend: Count Remotes, Reset (one row / all), details."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.screen import Screen

from synctui.actions import action
from synctui.model import ActionResult, BackendView, SyncLogRow
from synctui.tui.actions import offers, result_line, run_change
from synctui.tui.format import one_line
from synctui.tui.widgets.sync_log_table import SyncLogTable

if TYPE_CHECKING:
    from synctui.tui.app import SyncTuiApp
    from synctui.tui.screens.confirm import Confirmation


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

    def log_check(self, action: str) -> bool | None:
        """check_action for the actions of this class; None when `action` is not one of them."""
        view = self.current_view()
        name = view.snapshot.backend if view is not None else ""
        if action == "backend_details":
            return view is not None
        if action == "count_remotes":
            return view is not None and offers(self.tui, name, "count-remotes")
        if action in ("reset_row", "reset_all"):
            spec = "reset" if action == "reset_row" else "reset-all"
            return view is not None and bool(view.snapshot.log) and offers(self.tui, name, spec)
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
        self.ask_reset("reset", [row.key], f"the sync log row {one_line(row.record_type, 40)}")

    def action_reset_all(self) -> None:
        view = self.current_view()
        if view is None or not self.log_check("reset_all"):
            return
        rows = len(view.snapshot.log)
        self.ask_reset("reset-all", None, f"all {rows} sync log rows of {view.snapshot.backend}")

    def ask_reset(self, name: str, keys: list[str] | None, subject: str) -> None:
        from synctui.tui.screens.confirm import ConfirmRequest, ConfirmScreen  # not needed to draw

        view = self.current_view()
        if view is None:
            return
        backend = view.snapshot.backend
        spec = action(name)
        lines = [] if keys is not None else [f"Affects all {len(view.snapshot.log)} log rows."]
        request = ConfirmRequest.for_action(spec, subject, pin_required=self.tui.pin_required, lines=lines)

        def confirmed(answer: Confirmation | None) -> None:
            if answer is not None:
                run_change(
                    self,
                    f"reset:{backend}",
                    lambda: self.tui.client.reset(backend, keys, pin=answer.pin),
                    lambda result, error: self.after_reset(spec.name, result, error),
                )

        self.app.push_screen(ConfirmScreen(request), confirmed)

    def after_reset(self, name: str, result: ActionResult | None, error: str | None) -> None:
        title = action(name).title
        if result is None:
            self.notify(f"{title} failed: {error}", severity="error", timeout=8)
            return
        failed = [r for r in result.results if not r.ok]
        text = f"{title}: {result_line(name, result)}"
        if failed:
            text += "; " + "; ".join(f"{r.id}: {one_line(r.message, 60)}" for r in failed[:3])
        self.notify(text, severity="information" if result.ok else "error", timeout=8)
        self.tui.action_refresh()
