"""The change actions of the queue browser: multi-select, retry / discard selected, Re-Queue Conflicted."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual.screen import Screen
from textual.widgets import DataTable, Static

from synctui.model import ActionResult, Capability, QueueEntry, QueueKind, QueueStat
from synctui.tui.actions import may_change, run_change
from synctui.tui.look import glyphs
from synctui.tui.screens.confirm import Confirmation, ConfirmRequest, ConfirmScreen
from synctui.tui.widgets.action_result import ActionResultView

if TYPE_CHECKING:
    from synctui.model import EntryPage
    from synctui.tui.app import SyncTuiApp

ARCHIVE_LINE = "The agent archives every discarded entry (payload and details) before deleting it."


class QueueActionsScreen(Screen):
    """Base of QueueBrowserScreen: the actions on selected entries (it provides the page and loading)."""

    PAGER_KEYS = "n next · p prev · / filter · Enter open"
    backend: str
    kind: QueueKind
    stat: QueueStat
    page: EntryPage | None
    selected: set[str]

    @property
    def tui(self) -> SyncTuiApp:
        return self.app  # type: ignore[return-value]

    def selected_entry(self) -> QueueEntry | None:
        raise NotImplementedError

    def load(self) -> object:
        raise NotImplementedError

    def selection_mark(self, entry_id: str) -> Text:
        return Text(glyphs(self.app).ok if entry_id in self.selected else " ", style="bold")

    def chosen_ids(self) -> list[str]:
        """The selected entries, or the one under the cursor when none is selected."""
        if self.selected:
            return sorted(self.selected)
        entry: QueueEntry | None = self.selected_entry()
        return [entry.id] if entry is not None else []

    def change_allowed(self, action: str) -> bool | None:
        """check_action for the change actions; None when `action` is not one of them."""
        app = self.tui
        if action in ("toggle_select", "retry_selected"):
            return may_change(app, self.backend, Capability.RETRY) or (
                action == "toggle_select" and may_change(app, self.backend, Capability.DISCARD)
            )
        if action == "discard_selected":
            return may_change(app, self.backend, Capability.DISCARD)
        if action == "requeue_conflicted":
            return self.kind == QueueKind.CONFLICTS and may_change(app, self.backend, Capability.RETRY)
        return None

    def action_toggle_select(self) -> None:
        if not self.change_allowed("toggle_select"):
            return
        table = self.query_one("#entries", DataTable)
        entry = self.selected_entry()
        if entry is None:
            return
        self.selected.symmetric_difference_update({entry.id})
        table.update_cell(str(table.cursor_row), "sel", self.selection_mark(entry.id))
        if table.cursor_row < table.row_count - 1:
            table.move_cursor(row=table.cursor_row + 1, animate=False)
        self.show_selection()

    def show_selection(self) -> None:
        self.query_one("#pager-keys", Static).update(
            f"{len(self.selected)} selected · R retry · D discard" if self.selected else self.PAGER_KEYS
        )

    def action_retry_selected(self) -> None:
        ids = self.chosen_ids()
        if not self.change_allowed("retry_selected") or not ids:
            return
        run_change(
            self,
            f"retry:{self.backend}",
            lambda: self.tui.client.retry(self.backend, ids),
            lambda result, error: self.after_change("Retry", result, error),
        )

    def action_discard_selected(self) -> None:
        ids = self.chosen_ids()
        if not self.change_allowed("discard_selected") or not ids:
            return
        request = ConfirmRequest(
            title=f"Discard {len(ids)} {self.kind.value} entries (Leave Server Version)?",
            lines=["The server keeps its version; these local entries are dropped.", ARCHIVE_LINE],
            count=len(ids),
            word="DISCARD",
            pin=self.tui.pin_required,
            confirm_label="Discard",
        )

        def confirmed(answer: Confirmation | None) -> None:
            if answer is not None:
                run_change(
                    self,
                    f"discard:{self.backend}",
                    lambda: self.tui.client.discard(self.backend, self.kind, ids, pin=answer.pin),
                    lambda result, error: self.after_change("Discard", result, error),
                )

        self.app.push_screen(ConfirmScreen(request), confirmed)

    def action_requeue_conflicted(self) -> None:
        if not self.change_allowed("requeue_conflicted"):
            return
        total = self.page.total if self.page is not None and self.page.total is not None else None
        count = total if total is not None else self.stat.count
        request = ConfirmRequest(
            title="Re-Queue Conflicted: send every conflicted entry again?",
            lines=[
                "Every entry in Conflicts goes back to the queue and is sent at the next sync.",
                "Entries the server rejects again come back here.",
            ],
            count=count,
            word="RETRY",
            pin=self.tui.pin_required,
            confirm_label="Re-Queue",
        )

        def confirmed(answer: Confirmation | None) -> None:
            if answer is not None:
                run_change(
                    self,
                    f"retry:{self.backend}",
                    lambda: self.tui.client.retry(self.backend, None, pin=answer.pin),
                    lambda result, error: self.after_change("Re-Queue Conflicted", result, error),
                )

        self.app.push_screen(ConfirmScreen(request), confirmed)

    def after_change(self, what: str, result: ActionResult | None, error: str | None) -> None:
        view = self.query_one("#action-result", ActionResultView)
        if result is None:
            view.show_error(what, error or "no answer")
            return
        view.show_result(what, result)
        self.selected.clear()
        self.show_selection()
        self.reload_after_change()

    def reload_after_change(self) -> None:
        self.load()
