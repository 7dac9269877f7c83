"""One queued entry: facts, rejection with advice, payload; retry, compare and discard from here."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Static

from synctui.actions import ActionSpec, action, discard_action
from synctui.client_interface import AgentRefused, AgentUnavailable
from synctui.i18n import N_, _, ngettext, number
from synctui.model import ActionResult, EntryDetail, QueueEntry, QueueKind, Rejection
from synctui.tui.changes import offers, run_change
from synctui.tui.entry_text import entry_facts, payload_part, pretty_payload, rejection_text
from synctui.tui.format import one_line, queue_label, safe
from synctui.tui.keymap import DashboardBinding
from synctui.tui.messages import redraw
from synctui.tui.screens.confirm import Confirmation, ConfirmRequest, ConfirmScreen
from synctui.tui.screens.queue_browser import QueueBrowserScreen
from synctui.tui.widgets.shared.action_result import ActionResultView
from synctui.tui.widgets.shared.dashboard_footer import DashboardFooter

if TYPE_CHECKING:
    from synctui.tui.app import SyncTuiApp

__all__ = ["EntryInspectorScreen", "pretty_payload"]


class EntryInspectorScreen(Screen):
    BINDINGS: ClassVar[list[BindingType]] = [
        DashboardBinding(
            "v",
            "toggle_raw",
            N_("Raw"),
            id="toggle_raw",
            palette=N_("Show raw rejection"),
            help=N_("Show / hide the raw rejection text"),
        ),
        DashboardBinding("escape", "close", N_("Back"), id="close_inspector", help=N_("Back to the queue")),
        DashboardBinding(
            "r",
            "retry_entry",
            N_("Retry"),
            id="retry_entry",
            palette=N_("Retry this entry"),
            help=N_("Send this entry again"),
            catalogue="retry",
        ),
        DashboardBinding(
            "c",
            "compare_entry",
            N_("Compare"),
            id="compare_entry",
            palette=N_("Compare with server"),
            help=N_("Local copy beside the server copy"),
            catalogue="compare",
            needs_device=True,
        ),
        DashboardBinding(
            "d",
            "discard_entry",
            N_("Discard"),
            id="discard_entry",
            palette=N_("Discard this entry"),
            help=N_("Conflicts: Leave Server Version · Outbox: Drop Unsent Change"),
            catalogue="discard",
        ),
        DashboardBinding(
            "f",
            "full_payload",
            N_("Full"),
            id="full_payload",
            palette=N_("Show the whole payload"),
            help=N_("Show the payload beyond the first part"),
        ),
    ]
    DEFAULT_CSS = """
    EntryInspectorScreen #inspector-title { height: 1; background: $panel; padding: 0 1; text-style: bold; }
    EntryInspectorScreen .section { height: auto; padding: 0 1; margin-bottom: 1; border: round $secondary; }
    EntryInspectorScreen #rejection { border: round $error; }
    EntryInspectorScreen #payload { text-wrap: nowrap; width: auto; min-width: 100%; }
    EntryInspectorScreen #raw { width: 100%; }
    EntryInspectorScreen #inspector-body { overflow-x: auto; }
    EntryInspectorScreen #raw { display: none; }
    EntryInspectorScreen #raw.-shown { display: block; }
    """

    def __init__(self, backend: str, kind: QueueKind, entry: QueueEntry) -> None:
        super().__init__()
        self.backend = backend
        self.kind = kind
        self.entry = entry
        self.detail: EntryDetail | None = None
        self.full = False
        self.hidden_lines = 0
        self.discarded = False

    @property
    def tui(self) -> SyncTuiApp:
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        yield Static(
            Content(f"{safe(self.backend)} › {queue_label(None, self.kind)} › {one_line(self.entry.id, 60)}"),
            id="inspector-title",
        )
        with VerticalScroll(id="inspector-body"):
            yield ActionResultView(id="result")
            yield Static(entry_facts(self.entry, self.tui.now()), id="facts", classes="section")
            yield Static("", id="rejection", classes="section")
            yield Static("", id="raw", classes="section")
            yield Static("loading payload…", id="payload", classes="section")
        yield DashboardFooter()

    def on_mount(self) -> None:
        for section, title in (
            ("facts", _("Entry")),
            ("rejection", _("Rejection")),
            ("raw", _("Raw reason")),
        ):
            self.query_one(f"#{section}").border_title = title
        self.query_one("#payload").border_title = _("Payload")
        self.show_rejection(self.entry.rejection)
        self.query_one("#inspector-body").focus()
        self.load()

    def on_agent_state_changed(self) -> None:
        redraw(self, self.show_state)

    def show_state(self) -> None:
        self.refresh_bindings()

    def show_rejection(self, rejection: Rejection | None) -> None:
        box = self.query_one("#rejection", Static)
        box.display = rejection is not None
        if rejection is not None:
            box.update(rejection_text(rejection))
            self.query_one("#raw", Static).update(
                Content(safe(rejection.raw, multiline=True) or "(no raw text)")
            )

    @work(exclusive=True, group="entry")
    async def load(self) -> None:
        payload = self.query_one("#payload", Static)
        try:
            detail = await self.tui.client.entry(self.backend, self.kind, self.entry.id)
        except (AgentUnavailable, AgentRefused) as exc:
            payload.update(
                Content.from_markup("[$error]could not load the entry: $why[/]", why=one_line(str(exc), 400))
            )
            return
        self.detail = detail
        self.entry = detail.entry
        self.query_one("#facts", Static).update(entry_facts(detail.entry, self.tui.now()))
        self.show_rejection(detail.entry.rejection or self.entry.rejection)
        self.draw_payload()
        self.refresh_bindings()

    def draw_payload(self) -> None:
        detail = self.detail
        if detail is None:
            return
        payload = self.query_one("#payload", Static)
        text, hidden = payload_part(pretty_payload(detail.payload, detail.content_type), self.full)
        self.hidden_lines = hidden
        notes = []
        if hidden:
            more = ngettext(
                "… {n} more line: press f to see all", "… {n} more lines: press f to see all", hidden
            )
            notes.append(more.format(n=number(hidden)))
        if detail.truncated:
            notes.append(
                _("⚠ the agent cut this payload: it is incomplete here (the backend keeps all of it)")
            )
        payload.border_title = Content(_("Payload") + f" ({one_line(detail.content_type, 60)})")
        body = Content(text or _("(empty)"))
        if notes:
            body = Content.assemble(body, "\n", ("\n".join(notes), "$warning bold"))
        payload.update(body)

    # --- actions --------------------------------------------------------------------------------

    @property
    def discard_spec(self) -> ActionSpec:
        return discard_action(self.kind)

    def offers(self, spec: str | ActionSpec) -> bool:
        return not self.discarded and offers(self.tui, self.backend, spec, self.kind)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "retry_entry":
            return self.offers("retry")
        if action == "discard_entry":
            return self.offers(self.discard_spec)
        if action == "compare_entry":
            return self.offers("compare")
        if action == "full_payload":
            return self.hidden_lines > 0
        return True

    def action_toggle_raw(self) -> None:
        raw = self.query_one("#raw")
        raw.toggle_class("-shown")
        if raw.has_class("-shown"):  # below the rejection, often off screen: bring it into view
            self.call_after_refresh(raw.scroll_visible, animate=False, top=True)

    def action_full_payload(self) -> None:
        self.full = True
        self.draw_payload()
        self.refresh_bindings()

    def action_compare_entry(self) -> None:
        if not self.check_action("compare_entry", ()):
            return
        from synctui.tui.screens.compare import CompareScreen

        self.app.push_screen(CompareScreen(self.backend, self.kind, self.entry.id))

    def action_retry_entry(self) -> None:
        if not self.check_action("retry_entry", ()):
            return
        spec = action("retry")
        ids = [self.entry.id]
        run_change(
            self,
            f"retry:{self.backend}:{self.entry.id}",
            lambda: self.tui.client.retry(self.backend, ids),
            lambda result, error: self.after(spec, result, error),
        )

    def action_discard_entry(self) -> None:
        if not self.check_action("discard_entry", ()):
            return
        subject = f"{one_line(self.entry.record_type, 30)} {one_line(self.entry.id, 40)}"
        request = ConfirmRequest.for_action(
            self.discard_spec, subject, pin_required=self.tui.pin_required, count=1
        )
        self.app.push_screen(ConfirmScreen(request), self.discard_confirmed)

    def discard_confirmed(self, answer: Confirmation | None) -> None:
        if answer is None:
            return
        spec = self.discard_spec
        ids = [self.entry.id]
        run_change(
            self,
            f"discard:{self.backend}:{self.entry.id}",
            lambda: self.tui.client.discard(self.backend, self.kind, ids, pin=answer.pin),
            lambda result, error: self.after(spec, result, error),
        )

    def after(self, spec: ActionSpec, result: ActionResult | None, error: str | None) -> None:
        view = self.query_one("#result", ActionResultView)
        if result is None:
            view.show_error(spec.label, error or _("no answer"))
            return
        view.show_result(spec, result)
        self.query_one("#inspector-body").scroll_home(animate=False)
        if spec.name.startswith("discard") and result.ok:
            self.discarded = True
            self.query_one("#inspector-title", Static).update(
                Content(
                    f"{safe(self.backend)} › {queue_label(None, self.kind)} › {one_line(self.entry.id, 50)} "
                    + _("(discarded)")
                )
            )
        else:
            self.load()
        for screen in self.app.screen_stack:
            if isinstance(screen, QueueBrowserScreen):
                screen.load()
        self.refresh_bindings()

    def action_close(self) -> None:
        self.dismiss()
