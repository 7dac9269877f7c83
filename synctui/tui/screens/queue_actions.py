"""The change actions of the queue browser: multi-select, retry / discard selected, Re-Queue Conflicted.

Which are offered, and how they are confirmed, comes from the catalogue for this queue: in Conflicts
discarding is "Leave Server Version", in the Outbox it is "Drop Unsent Change" (the server never
receives them) and the dead-letter Retry / Re-Queue are not offered there.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual.screen import Screen
from textual.widgets import Static

from synctui.actions import ActionSpec, action, discard_action
from synctui.model import ActionResult, QueueEntry, QueueKind, QueueStat
from synctui.tui.actions import offers, run_change
from synctui.tui.format import queue_label
from synctui.tui.look import glyphs
from synctui.tui.screens.confirm import Confirmation, ConfirmRequest, ConfirmScreen
from synctui.tui.shows_state import ShowsState
from synctui.tui.widgets.action_result import ActionResultView
from synctui.tui.widgets.entry_rows import EntryRows

if TYPE_CHECKING:
    from synctui.model import EntryPage
    from synctui.tui.app import SyncTuiApp


class QueueActionsScreen(ShowsState, Screen):
    """Base of QueueBrowserScreen: the actions on selected entries (it provides the page and loading)."""

    PAGER_KEYS = "n next · p prev · g go to · / filter · Enter open"
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

    @property
    def discard_spec(self) -> ActionSpec:
        return discard_action(self.kind)

    def offers(self, spec: str | ActionSpec) -> bool:
        return offers(self.tui, self.backend, spec, self.kind)

    def change_allowed(self, name: str) -> bool | None:
        """check_action for the change actions; None when `name` is not one of them."""
        if name == "toggle_select":
            return self.offers("retry") or self.offers(self.discard_spec)
        if name == "retry_selected":
            return self.offers("retry")
        if name == "discard_selected":
            return self.offers(self.discard_spec)
        if name == "requeue_conflicted":
            return self.offers("retry-all")
        return None

    def action_toggle_select(self) -> None:
        if not self.change_allowed("toggle_select"):
            return
        rows = self.query_one("#entries", EntryRows)
        entry = self.selected_entry()
        if entry is None:
            return
        self.selected.symmetric_difference_update({entry.id})
        rows.update_cell(rows.cursor_row, 0, self.selection_mark(entry.id))
        rows.cursor_row += 1  # held at the last row
        self.show_selection()

    def show_selection(self) -> None:
        keys = []
        if self.change_allowed("retry_selected"):
            keys.append("R retry")
        if self.change_allowed("discard_selected"):
            keys.append(f"D {self.discard_spec.title.lower()}")
        self.query_one("#pager-keys", Static).update(
            " · ".join([f"{len(self.selected)} selected", *keys]) if self.selected else self.PAGER_KEYS
        )

    def subject(self, count: int | None) -> str:
        label = queue_label(self.stat, self.kind)
        if count is None:
            return f"every {label} entry"
        return f"{count:,} {label} {'entry' if count == 1 else 'entries'}"

    def action_retry_selected(self) -> None:
        ids = self.chosen_ids()
        if not self.change_allowed("retry_selected") or not ids:
            return
        self.run_entry_action(action("retry"), ids, None)

    def action_discard_selected(self) -> None:
        ids = self.chosen_ids()
        if not self.change_allowed("discard_selected") or not ids:
            return
        spec = self.discard_spec
        request = ConfirmRequest.for_action(
            spec,
            self.subject(len(ids)),
            pin_required=self.tui.pin_required,
            count=len(ids),
        )

        def confirmed(answer: Confirmation | None) -> None:
            if answer is not None:
                self.run_entry_action(spec, ids, answer.pin)

        self.app.push_screen(ConfirmScreen(request), confirmed)

    def action_requeue_conflicted(self) -> None:
        if not self.change_allowed("requeue_conflicted"):
            return
        total = self.page.total if self.page is not None and self.page.total is not None else None
        count = total if total is not None else (self.stat.count if self.stat.known else None)
        spec = action("retry-all")
        request = ConfirmRequest.for_action(
            spec,
            self.subject(count),
            pin_required=self.tui.pin_required,
            count=count,
            lines=["They are sent at the next sync."],
        )

        def confirmed(answer: Confirmation | None) -> None:
            if answer is not None:
                self.run_entry_action(spec, None, answer.pin)

        self.app.push_screen(ConfirmScreen(request), confirmed)

    def run_entry_action(self, spec: ActionSpec, ids: list[str] | None, pin: str | None) -> None:
        """Retry (ids, or all with None) or discard `ids`, then show the result counted."""
        client = self.tui.client
        if spec.name in ("retry", "retry-all"):
            call = lambda: client.retry(self.backend, ids, pin=pin)  # noqa: E731
            key = f"retry:{self.backend}"
        else:
            chosen = list(ids or [])
            call = lambda: client.discard(self.backend, self.kind, chosen, pin=pin)  # noqa: E731
            key = f"discard:{self.backend}"
        run_change(self, key, call, lambda result, error: self.after_change(spec, result, error))

    def after_change(self, spec: ActionSpec, result: ActionResult | None, error: str | None) -> None:
        view = self.query_one("#action-result", ActionResultView)
        if result is None:
            view.show_error(spec.title, error or "no answer")
            return
        view.show_result(spec, result)
        self.selected.clear()
        self.show_selection()
        self.reload_after_change()

    def reload_after_change(self) -> None:
        self.load()
