"""Synchronize Now (and other long actions): progress, then the truthful end.

The modal starts the action (`client.synchronize()` by default) and follows `BackendView.action` with
the same id in the state the agent pushes, so a sync started elsewhere (or joined) is followed the
same way. When the action ends well the dialog waits for the first snapshot the agent took after it
ended (the agent refreshes right after), judges it (synctui.verdict) and says "Data Synced" only when
the verdict is SAFE; otherwise "Sync finished — 3 entries need attention" with the reasons and the
keys that open them. A failed action ends in "Sync Failed" with its reason (Retry, Close).
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, ClassVar

from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from synctui.client_interface import AgentRefused, AgentUnavailable
from synctui.i18n import N_, _
from synctui.model import ActionStatus, Level, QueueKind, Rejection, Verdict
from synctui.tui.changes import offers
from synctui.tui.format import safe
from synctui.tui.keymap import DashboardBinding
from synctui.tui.look import glyphs
from synctui.tui.messages import redraw
from synctui.tui.sync_text import done_text, failed_text, joined_line, progress_text, settling_text
from synctui.tui.widgets.shared.steady_static import SteadyStatic
from synctui.verdict import outcome_headline

if TYPE_CHECKING:
    from synctui.tui.app import SyncTuiApp

FINAL_STATES = {"done", "failed", "completed", "cancelled", "error"}
ASK_REFRESH_AFTER = 10.0  # seconds of waiting for a fresh snapshot before asking the agent for one


@dataclass(frozen=True)
class Words:
    """How a long action is named in its dialog (English, marked N_(); shown through _())."""

    action: str  # the catalogue id (Retry is offered only when the catalogue offers it)
    running: str
    safe: str  # the title when the verdict afterwards is SAFE, and only then
    finished: str  # the title's start otherwise: "Sync finished — 2 entries need attention"
    failed: str
    cancelled: str
    noun: str  # "joined the sync already in progress"


SYNC_WORDS = Words(
    "synchronize",
    N_("Synchronizing…"),
    N_("Data Synced"),
    N_("Sync finished"),
    N_("Sync Failed"),
    N_("Sync cancelled"),
    N_("sync"),
)


def is_final(action: ActionStatus) -> bool:
    return action.state in FINAL_STATES or action.finished is not None or action.ok is not None


def succeeded(action: ActionStatus) -> bool:
    if action.ok is not None:
        return action.ok
    return action.state in ("done", "completed")


class SyncProgressScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        DashboardBinding("r", "retry", N_("Retry"), id="sync_retry", help=N_("Retry a failed sync")),
        DashboardBinding(
            "4",
            "open_conflicts",
            N_("Conflicts"),
            id="sync_open_conflicts",
            help=N_("After a sync that left rejected entries: close and open Conflicts"),
        ),
        DashboardBinding("escape,c", "close", N_("Close"), id="sync_close", help=N_("Close the dialog")),
    ]
    DEFAULT_CSS = """
    SyncProgressScreen { align: center middle; }
    SyncProgressScreen #dialog {
        width: 64; max-width: 100%; height: auto; max-height: 100%;
        border: thick $primary; background: $surface; padding: 0 1;
    }
    SyncProgressScreen.-done #dialog { border: thick $success; }
    SyncProgressScreen.-failed #dialog { border: thick $error; }
    SyncProgressScreen.-attention #dialog { border: thick $error; }
    SyncProgressScreen.-waiting #dialog { border: thick $warning; }
    SyncProgressScreen.-unknown #dialog { border: thick $accent; }
    SyncProgressScreen #sync-title { text-style: bold; height: auto; margin-bottom: 1; }
    SyncProgressScreen.-done #sync-title { color: $success; }
    SyncProgressScreen.-failed #sync-title { color: $error; }
    SyncProgressScreen.-attention #sync-title { color: $error; }
    SyncProgressScreen.-waiting #sync-title { color: $warning; }
    SyncProgressScreen.-unknown #sync-title { color: $accent; }
    SyncProgressScreen.-hung #dialog { border: thick $warning; }
    SyncProgressScreen.-hung #sync-title { color: $warning; }
    SyncProgressScreen #sync-body { height: auto; }
    SyncProgressScreen #sync-buttons { height: auto; align-horizontal: right; margin-top: 1; }
    SyncProgressScreen #sync-buttons Button { margin-left: 1; min-width: 10; }
    SyncProgressScreen #retry { display: none; }
    SyncProgressScreen.-failed #retry { display: block; }
    SyncProgressScreen #cancel { display: none; }
    SyncProgressScreen.-cancellable #cancel { display: block; }
    SyncProgressScreen #open-conflicts { display: none; }
    SyncProgressScreen.-conflicts #open-conflicts { display: block; }
    """

    def __init__(
        self,
        backend: str,
        starter: Callable[[], Awaitable[ActionStatus]] | None = None,
        words: Words = SYNC_WORDS,
    ) -> None:
        """`starter` starts the action (default: Synchronize Now); `words` name it. A long action other
        than a sync can be cancelled from here."""
        super().__init__()
        self.backend = backend
        self.starter = starter
        self.words = words
        self.phase = "starting"  # starting, running, settling, done, failed
        self.status: ActionStatus | None = None
        self.joined = False
        self.failure: tuple[str, Rejection | None] | None = None
        self.finished_at: datetime | None = None  # when the action ended (the agent's clock)
        self.final_revision = 0  # the state revision in which the end was seen
        self.verdict: Verdict | None = None  # judged on the first snapshot taken after the end
        self.conflicts: int | None = None
        self.waiting: int | None = None
        self.closed = False

    @property
    def tui(self) -> SyncTuiApp:
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static("", id="sync-title")
            yield SteadyStatic("", id="sync-body")
            with Horizontal(id="sync-buttons"):
                yield Button(_("Open Conflicts (4)"), id="open-conflicts", variant="warning")
                yield Button(_("Retry"), id="retry", variant="primary")
                yield Button(_("Cancel it"), id="cancel", variant="error")
                yield Button(_("Run in background"), id="close")

    def on_mount(self) -> None:
        self.start()

    # --- the action -----------------------------------------------------------------------------

    def start(self) -> None:
        self.phase = "starting"
        self.status = None
        self.joined = False
        self.failure = None
        self.finished_at = None
        self.verdict = None
        self.draw()
        self.run_worker(self._start(), group="sync", exclusive=True)

    async def _start(self) -> None:
        try:
            starter = self.starter or (lambda: self.tui.client.synchronize(self.backend))
            status = await starter()
        except AgentUnavailable as exc:
            self.fail(str(exc), None)
            return
        except AgentRefused as exc:
            self.fail(_("the agent refused: {reason}").format(reason=exc.message), None)
            return
        self.joined = status.joined
        self.absorb(status)
        self.show_state()

    def on_agent_state_changed(self) -> None:
        redraw(self, self.show_state)

    def show_state(self) -> None:
        """Called by the app on every pushed state (after it judged every backend)."""
        if self.status is None or self.phase in ("done", "failed"):
            self.draw()
            return
        state = self.tui.agent_state
        view = state.view(self.backend) if state is not None else None
        if self.phase in ("starting", "running"):
            action = view.action if view is not None else None
            if action is not None and action.id == self.status.id:
                self.absorb(action)
        if self.phase == "settling":
            self.settle()
        self.draw()

    def absorb(self, action: ActionStatus) -> None:
        if self.phase not in ("starting", "running"):
            return
        self.status = action
        if not is_final(action):
            self.phase = "running"
        elif succeeded(action):
            self.phase = "settling"
            self.finished_at = action.finished or self.tui.now()
            state = self.tui.agent_state
            self.final_revision = state.revision if state is not None else 0
            self.set_timer(ASK_REFRESH_AFTER, self.ask_refresh)
        else:
            message = action.rejection.message if action.rejection else action.message
            self.fail(message or _("the backend did not say why"), action.rejection)
            return
        self.draw()

    def settle(self) -> None:
        """Judge the first snapshot taken after the action ended (or the first push that says the
        agent could not read the backend again); until then the end is "checking the result"."""
        state = self.tui.agent_state
        view = state.view(self.backend) if state is not None else None
        if view is None or self.finished_at is None or self.tui.agent_error:
            return
        snap = view.snapshot
        fresh = snap.taken_at >= self.finished_at
        refresh_failed = snap.stale and state is not None and state.revision > self.final_revision
        if not (fresh or refresh_failed):
            return
        self.verdict = self.tui.verdict(self.backend)
        conflicts = snap.queue(QueueKind.CONFLICTS)
        self.conflicts = conflicts.count if conflicts.known else None
        waiting = [snap.queue(k) for k in (QueueKind.OUTBOX, QueueKind.INBOX, QueueKind.ADMIN)]
        self.waiting = sum(q.count or 0 for q in waiting if q.known)
        self.phase = "done"

    def ask_refresh(self) -> None:
        if self.phase == "settling" and self.is_mounted:
            self.run_worker(self._refresh(), group="refresh", exclusive=True)

    async def _refresh(self) -> None:
        with contextlib.suppress(AgentUnavailable, AgentRefused):  # the dialog says it is waiting
            await self.tui.client.refresh(self.backend)

    def fail(self, message: str, rejection: Rejection | None) -> None:
        self.phase = "failed"
        self.failure = (message, rejection)
        self.draw()

    # --- drawing --------------------------------------------------------------------------------

    def draw(self) -> None:
        if not self.is_mounted:
            return
        g = glyphs(self.app)
        level = self.verdict.level if self.phase == "done" and self.verdict is not None else None
        self.set_class(level is Level.SAFE, "-done")
        self.set_class(self.phase == "failed", "-failed")
        self.set_class(level is Level.ATTENTION, "-attention")
        self.set_class(level is Level.WAITING, "-waiting")
        self.set_class(level is Level.UNKNOWN, "-unknown")
        self.set_class(self.phase == "done" and bool(self.conflicts), "-conflicts")
        title = self.query_one("#sync-title", Static)
        body = self.query_one("#sync-body", Static)
        close = self.query_one("#close", Button)
        hung = self.phase == "running" and bool(
            self.status and self.status.progress and self.status.progress.hung
        )
        self.set_class(hung, "-hung")
        self.set_class(self.starter is not None and self.phase == "running", "-cancellable")
        words = self.words
        if hung:
            hung_title = _("Sync appears hung: {backend}").format(backend=safe(self.backend))
            title.update(Content(f"{g.warning} {hung_title}"))
            body.update(progress_text(g, self.status, self.joined_note(), bool(self.tui.agent_error)))
            close.label = _("Close")
        elif self.phase in ("starting", "running"):
            joined = " " + _("(joined)") if self.joined else ""
            title.update(Content(f"{g.running} {_(words.running)} {safe(self.backend)}{joined}"))
            body.update(progress_text(g, self.status, self.joined_note(), bool(self.tui.agent_error)))
            close.label = _("Run in background")
        elif self.phase == "settling":
            title.update(f"{g.running} {_(words.finished)} {g.dash} " + _("checking the result…"))
            body.update(
                settling_text(self.status, self.backend, self.joined_note(), bool(self.tui.agent_error))
            )
            close.label = _("Close")
        elif self.phase == "done" and self.verdict is not None:
            if self.verdict.level is Level.SAFE:
                title.update(f"{g.ok} {_(words.safe)}")
            else:
                what = outcome_headline(self.verdict, self.conflicts, self.waiting)
                title.update(f"{g.level(self.verdict.level)} {_(words.finished)} {g.dash} {what}")
            body.update(done_text(self.app, self.verdict, self.status, self.backend, self.joined_note()))
            close.label = _("Close")
        else:
            cancelled = self.status is not None and self.status.state == "cancelled"
            title.update(f"{g.warning} {_(words.cancelled)}" if cancelled else f"{g.error} {_(words.failed)}")
            body.update(failed_text(self.failure, self.status))
            close.label = _("Close")
        self.refresh_bindings()

    def joined_note(self) -> Content | None:
        if not self.joined:
            return None
        return joined_line(self.status, self.words.noun, self.tui.now())

    # --- buttons and keys -----------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "retry":
            return self.phase == "failed" and offers(self.tui, self.backend, self.words.action)
        if action == "open_conflicts":
            return self.phase == "done" and bool(self.conflicts)
        return True

    def action_retry(self) -> None:
        if self.check_action("retry", ()):
            self.start()

    def action_open_conflicts(self) -> None:
        if not self.check_action("open_conflicts", ()):
            return
        app = self.tui
        self.action_close()
        app.call_later(app.open_queue, QueueKind.CONFLICTS)

    def cancel_action(self) -> None:
        if self.status is not None and self.phase == "running":
            self.run_worker(self._cancel(self.status.id), group="cancel", exclusive=True)

    async def _cancel(self, action_id: str) -> None:
        try:
            await self.tui.client.cancel(self.backend, action_id)
        except (AgentUnavailable, AgentRefused) as exc:
            self.notify(_("could not cancel: {error}").format(error=exc), severity="error")

    def action_close(self) -> None:
        """Close once; the rest of a key burst (c c, Esc Esc) does not reach the dashboard."""
        if self.closed:
            return
        self.closed = True
        self.tui.swallow_burst(("escape", "c", "enter", "4"))
        self.dismiss()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "retry":
            self.action_retry()
        elif event.button.id == "cancel":
            self.cancel_action()
        elif event.button.id == "open-conflicts":
            self.action_open_conflicts()
        else:
            self.action_close()
