"""A paged view of one queue: asks the agent for one page at a time, never for the whole queue; and the
changes on its entries: multi-select, retry / discard selected, Re-Queue Conflicted. What a page shows
(columns, cells, caption) and the paging arithmetic are in synctui.tui.screens.queue_page.

Which changes are offered, and how they are confirmed, comes from the catalogue for this queue: in
Conflicts discarding is "Leave Server Version", in the Outbox it is "Drop Unsent Change" (the server
never receives them) and the dead-letter Retry / Re-Queue are not offered there.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Input, Static

from synctui.actions import ActionSpec, action, discard_action
from synctui.client_interface import AgentRefused, AgentUnavailable
from synctui.i18n import N_, _, ngettext, number
from synctui.model import (
    ActionResult,
    EntryPage,
    QueueEntry,
    QueueKind,
    QueueStat,
)
from synctui.tui.changes import offers, run_change
from synctui.tui.format import count_text, one_line, queue_label, safe
from synctui.tui.keymap import DashboardBinding
from synctui.tui.look import glyphs
from synctui.tui.messages import redraw
from synctui.tui.screens.confirm import Confirmation, ConfirmRequest, ConfirmScreen
from synctui.tui.screens.queue_page import (
    COLUMNS,
    GIVING_WAY,
    entry_cells,
    has_next,
    jump_offset,
    page_caption,
    problem_text,
)
from synctui.tui.widgets.queues.entry_rows import EntryRows
from synctui.tui.widgets.shared.action_result import ActionResultView
from synctui.tui.widgets.shared.dashboard_footer import DashboardFooter

if TYPE_CHECKING:
    from synctui.tui.app import SyncTuiApp


class QueueBrowserScreen(Screen):
    PAGER_KEYS = N_("n next · p prev · g go to · / filter · Enter open")
    BINDINGS: ClassVar[list[BindingType]] = [
        DashboardBinding(
            "n,ctrl+pagedown",
            "next_page",
            N_("Next page"),
            id="next_page",
            palette=N_("Next page"),
            help=N_("Load the next page of entries"),
        ),
        DashboardBinding(
            "p,ctrl+pageup",
            "prev_page",
            N_("Prev page"),
            id="prev_page",
            palette=N_("Previous page"),
            help=N_("Load the previous page"),
        ),
        DashboardBinding(
            "slash",
            "filter",
            N_("Filter"),
            id="filter_entries",
            palette=N_("Filter entries"),
            help=N_("Filter entries (sent to the backend)"),
        ),
        DashboardBinding(
            "g",
            "jump",
            N_("Go to"),
            id="jump_to_entry",
            palette=N_("Go to entry number"),
            help=N_("Show the page holding entry N (e.g. 500001)"),
        ),
        DashboardBinding(
            "r",
            "reload",
            N_("Reload"),
            id="reload_page",
            palette=N_("Reload page"),
            help=N_("Reload this page"),
        ),
        DashboardBinding("escape", "close", N_("Back"), id="close_browser", help=N_("Back to the dashboard")),
        DashboardBinding(
            "space",
            "toggle_select",
            N_("Select"),
            id="toggle_select",
            help=N_("Select / unselect the entry under the cursor"),
        ),
        DashboardBinding(
            "R",
            "retry_selected",
            N_("Retry sel."),
            id="retry_selected",
            palette=N_("Retry selected entries"),
            help=N_("Send the selected rejected entries again (Conflicts)"),
            catalogue="retry",
        ),
        DashboardBinding(
            "D",
            "discard_selected",
            N_("Discard sel."),
            id="discard_selected",
            palette=N_("Discard selected entries"),
            help=N_("Conflicts: Leave Server Version · Outbox: Drop Unsent Change"),
            catalogue="discard",
        ),
        DashboardBinding(
            "A",
            "requeue_conflicted",
            N_("Re-Queue all"),
            id="requeue_conflicted",
            palette=N_("Re-Queue Conflicted"),
            help=N_("Send every rejected entry again (Conflicts)"),
            catalogue="retry-all",
        ),
    ]
    DEFAULT_CSS = """
    QueueBrowserScreen #browser-title { height: 1; background: $panel; padding: 0 1; text-style: bold; }
    QueueBrowserScreen .entry-box { display: none; height: 1; border: none; padding: 0 1; }
    QueueBrowserScreen .entry-box.-shown { display: block; }
    QueueBrowserScreen #entries { height: 1fr; }
    QueueBrowserScreen #entry-problem { height: auto; max-height: 3; padding: 0 1; display: none; }
    QueueBrowserScreen #entry-problem.-shown { display: block; }
    QueueBrowserScreen #pager { height: auto; max-height: 3; padding: 0 1; background: $boost; }
    QueueBrowserScreen #pager-caption { width: 1fr; }
    QueueBrowserScreen #pager-keys { width: auto; max-width: 65%; color: $text-muted; }
    """

    def __init__(self, backend: str, kind: QueueKind, stat: QueueStat | None = None) -> None:
        super().__init__()
        self.backend = backend
        self.kind = kind
        self.stat = stat or QueueStat(kind=kind, count=None, known=False)
        self.page_offset = 0
        self.filter_text: str | None = None
        self.page: EntryPage | None = None
        self.error: str | None = None
        self.selected: set[str] = set()
        self._paging: tuple[bool, bool] | None = None  # (has next, has previous) the footer shows

    @property
    def tui(self) -> SyncTuiApp:
        return self.app  # type: ignore[return-value]

    @property
    def page_size(self) -> int:
        return self.tui.PAGE_SIZE

    @property
    def shown(self) -> int:
        return len(self.page.entries) if self.page is not None else 0

    def compose(self) -> ComposeResult:
        count = count_text(self.stat.count, self.stat.known)
        title = f"{safe(self.backend)} › {queue_label(self.stat, self.kind)} ({count})"
        yield Static(Content(title), id="browser-title")
        yield Input(
            placeholder=_("filter (Enter to apply, Esc to clear)"), id="entry-filter", classes="entry-box"
        )
        yield Input(
            placeholder=_("go to entry number (Enter to go, Esc to cancel)"),
            id="entry-jump",
            classes="entry-box",
        )
        yield ActionResultView(id="action-result")
        yield EntryRows(
            tuple(_(name) if name.strip() else name for name in COLUMNS), giving_way=GIVING_WAY, id="entries"
        )
        yield Static("", id="entry-problem")
        with Horizontal(id="pager"):
            yield Static(_("loading…"), id="pager-caption")
            yield Static(_(self.PAGER_KEYS), id="pager-keys")
        yield DashboardFooter()

    def on_mount(self) -> None:
        rows = self.query_one("#entries", EntryRows)
        rows.focus()
        self.watch(rows, "cursor_row", self.show_problem, init=False)
        self.load()

    def show_problem(self) -> None:
        """The selected entry's id and problem whole (their columns are cut when the screen is narrow)."""
        entry = self.selected_entry()
        line = self.query_one("#entry-problem", Static)
        line.set_class(entry is not None, "-shown")
        if entry is None:
            return
        ident = one_line(entry.id, 200)
        # three lines at most (the rows keep the room): a longer problem ends in "…", whole in Enter's details
        width = line.content_region.width or self.app.size.width - 2
        room = max(40, 3 * width - len(ident) - 40)  # words wrapped whole leave some cells unused
        problem = f"  {problem_text(entry.rejection, room)}" if entry.rejection is not None else ""
        line.update(Content.assemble((ident, "$text-muted"), problem))

    # --- loading --------------------------------------------------------------------------------

    @work(exclusive=True, group="page")
    async def load(self) -> None:
        caption = self.query_one("#pager-caption", Static)
        caption.update(
            _("loading {first}–{last}…").format(
                first=number(self.page_offset + 1), last=number(self.page_offset + self.page_size)
            ),
            layout=False,
        )
        try:
            page = await self.tui.client.entries(
                self.backend,
                self.kind,
                offset=self.page_offset,
                limit=self.page_size,
                filter=self.filter_text,
            )
        except (AgentUnavailable, AgentRefused) as exc:
            self.error = str(exc)
            caption.update(
                Content.assemble(
                    (_("could not load entries: {why}").format(why=one_line(str(exc), 300)), "$error")
                )
            )
            return
        self.error = None
        self.page = page
        self.draw_page()

    def draw_page(self) -> None:
        page = self.page
        now = self.tui.now()
        entries = list(page.entries) if page is not None else []
        self.query_one("#entries", EntryRows).show_rows(
            [[self.selection_mark(entry.id), *entry_cells(entry, now)] for entry in entries]
        )
        self.query_one("#pager-caption", Static).update(page_caption(page, len(entries)), layout=False)
        self.show_problem()
        # The footer is rebuilt on every refresh of the bindings: only when next / prev changed.
        paging = (has_next(page), self.page_offset > 0)
        if paging != self._paging:
            self._paging = paging
            self.refresh_bindings()

    def selected_entry(self) -> QueueEntry | None:
        if self.page is None:
            return None
        row = self.query_one("#entries", EntryRows).cursor_row
        if 0 <= row < len(self.page.entries):
            return self.page.entries[row]
        return None

    # --- actions --------------------------------------------------------------------------------

    def on_agent_state_changed(self) -> None:
        redraw(self, self.show_state)

    def show_state(self) -> None:
        self.refresh_bindings()
        self.show_selection()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        allowed = self.change_allowed(action)
        if allowed is not None:
            return allowed
        if action == "next_page":
            return has_next(self.page)
        if action == "prev_page":
            return self.page_offset > 0
        return True

    def action_next_page(self) -> None:
        if has_next(self.page):
            self.page_offset += self.page_size
            self.load()

    def action_prev_page(self) -> None:
        if self.page_offset > 0:
            self.page_offset = max(0, self.page_offset - self.page_size)
            self.load()

    def action_reload(self) -> None:
        self.load()

    def action_filter(self) -> None:
        self.show_box("#entry-filter")

    def action_jump(self) -> None:
        self.show_box("#entry-jump")

    def show_box(self, selector: str) -> None:
        box = self.query_one(selector, Input)
        box.add_class("-shown")
        box.focus()

    def hide_box(self, box: Input) -> None:
        box.remove_class("-shown")
        self.query_one("#entries", EntryRows).focus()

    def action_close(self) -> None:
        self.dismiss()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "entry-jump":
            self.jump(event.input)
            return
        self.filter_text = event.value.strip() or None
        if not self.filter_text:
            event.input.remove_class("-shown")
        self.page_offset = 0
        self.query_one("#entries", EntryRows).focus()
        self.load()

    def jump(self, box: Input) -> None:
        total = self.page.total if self.page is not None else None
        try:
            offset = jump_offset(box.value, self.page_size, total)
        except ValueError as exc:
            self.query_one("#pager-caption", Static).update(
                Content.from_markup("[$error]$why[/]", why=str(exc))
            )
            return
        box.value = ""
        self.hide_box(box)
        self.page_offset = offset
        self.load()

    def on_key(self, event) -> None:
        box = self.focused
        if event.key != "escape" or not isinstance(box, Input):
            return
        event.stop()
        box.value = ""
        self.hide_box(box)
        if box.id == "entry-jump":
            self.query_one("#pager-caption", Static).update(page_caption(self.page, self.shown))
        elif self.filter_text:
            self.filter_text = None
            self.page_offset = 0
            self.load()

    def on_entry_rows_row_selected(self, event: EntryRows.RowSelected) -> None:
        entry = self.selected_entry()
        if entry is None:
            return
        from synctui.tui.screens.entry_inspector import EntryInspectorScreen

        self.app.push_screen(EntryInspectorScreen(self.backend, self.kind, entry))

    # --- changes on the entries ------------------------------------------------------------------

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
            keys.append("R " + action("retry").label.lower())
        if self.change_allowed("discard_selected"):
            keys.append(f"D {self.discard_spec.label.lower()}")
        selected = _("{n} selected").format(n=len(self.selected))
        self.query_one("#pager-keys", Static).update(
            " · ".join([selected, *keys]) if self.selected else _(self.PAGER_KEYS)
        )

    def subject(self, count: int | None) -> str:
        label = queue_label(self.stat, self.kind)
        if count is None:
            return _("every {queue} entry").format(queue=label)
        return ngettext("{n} {queue} entry", "{n} {queue} entries", count).format(
            n=number(count), queue=label
        )

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
            lines=[N_("They are sent at the next sync.")],
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
            view.show_error(spec.label, error or _("no answer"))
            return
        view.show_result(spec, result)
        self.selected.clear()
        self.show_selection()
        self.load()
