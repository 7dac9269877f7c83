"""The main screen: header, problems, all-synced banner or summary, queue cards, sync log, jobs."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Input

from synctui.model import AgentState, Level, QueueKind
from synctui.tui.actions import offers
from synctui.tui.bindings import bindings_for
from synctui.tui.format import CARD_ORDER
from synctui.tui.screens.log_actions import LogActionsScreen
from synctui.tui.widgets.all_synced_banner import AllSyncedBanner
from synctui.tui.widgets.app_header import AppHeader
from synctui.tui.widgets.backend_tabs import BackendTabs
from synctui.tui.widgets.footer import LocalFooter
from synctui.tui.widgets.jobs_panel import JobsPanel
from synctui.tui.widgets.queue_card import QueueCard
from synctui.tui.widgets.queue_diagnosis import QueueDiagnosis
from synctui.tui.widgets.status_banner import StatusBanner
from synctui.tui.widgets.sync_log_table import SyncLogTable
from synctui.tui.widgets.sync_progress_panel import SyncProgressPanel
from synctui.verdict import never_read, stuck_queues


class MainScreen(LogActionsScreen):
    BINDINGS: list[Binding] = bindings_for("main")
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (160, "-wide")]  # noqa: RUF012
    DEFAULT_CSS = """
    MainScreen #cards { height: 5; }
    MainScreen #body { height: 1fr; }
    MainScreen.-wide #body { layout: horizontal; }
    MainScreen.-wide #log-pane { width: 3fr; }
    MainScreen.-wide JobsPanel { width: 2fr; height: 1fr; max-height: 100%; border: round $secondary; }
    MainScreen #log-filter { display: none; height: 1; border: none; padding: 0 1; }
    MainScreen #log-filter.-shown { display: block; }
    """

    def compose(self) -> ComposeResult:
        yield AppHeader(id="header")
        yield StatusBanner(id="notices")
        yield AllSyncedBanner("", id="synced")
        yield SyncProgressPanel("", id="progress")
        yield QueueDiagnosis("", id="diagnosis")
        with Horizontal(id="cards"):
            for kind in CARD_ORDER:
                yield QueueCard(kind, id=f"card-{kind.value}")
        with Vertical(id="body"):
            with Vertical(id="log-pane"):
                yield Input(placeholder="filter record types (Esc clears)", id="log-filter")
                yield SyncLogTable(id="sync-log")
            yield JobsPanel(id="jobs")
        yield LocalFooter()

    _bindings_key: object = None

    def on_mount(self) -> None:
        self.show_state()

    # --- drawing --------------------------------------------------------------------------------

    def show_state(self) -> None:
        app = self.tui
        state: AgentState | None = app.agent_state
        error = app.agent_error
        now = app.now()
        view = app.selected_view()
        verdicts = app.verdicts
        verdict = verdicts.get(view.snapshot.backend) if view is not None else None
        self.query_one(AppHeader).show(state, view.snapshot.backend if view else None, verdicts)
        self.query_one(StatusBanner).show(state, view, error, now, verdict)
        if state is not None:
            all_safe = bool(verdicts) and all(v.level is Level.SAFE for v in verdicts.values())
            self.query_one(AllSyncedBanner).show(state, view, verdict, now, all_safe)
        stale = error is not None or (view is not None and view.snapshot.stale)
        health_error = view.snapshot.health.error if view is not None else None
        why_unknown = health_error.message if health_error is not None else None
        self.query_one(QueueDiagnosis).show(view, now)
        stuck = {s.stat.kind for s in stuck_queues(view, now)} if view is not None else set()
        for kind in CARD_ORDER:
            card = self.query_one(f"#card-{kind.value}", QueueCard)
            if view is None:
                continue
            card.show(view.snapshot.queue(kind), view.history, now, stale, why_unknown, kind in stuck)
        if view is not None:
            counted = self.counted.get(view.snapshot.backend)
            known = not never_read(view.snapshot)
            self.query_one(SyncLogTable).show(
                view.snapshot.log, view.snapshot.thresholds, now, counted, known
            )
            schedule = [view.sync_schedule] if view.sync_schedule is not None else []
            self.query_one(JobsPanel).show([*schedule, *view.snapshot.jobs], now, known)
        self.query_one(SyncProgressPanel).show(view.snapshot.progress if view is not None else None)
        # Which bindings apply depends only on these; refreshing them rebuilds the footer.
        bindings_key = (
            view.snapshot.backend if view else None,
            view.snapshot.capabilities if view else None,
            bool(view.snapshot.log) if view else False,
            app.is_readonly,
            app.readonly_allows_sync,
            len(state.backends) if state else 0,
        )
        if bindings_key != self._bindings_key:
            self._bindings_key = bindings_key
            self.refresh_bindings()

    # --- actions --------------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        allowed = self.log_check(action)
        if allowed is not None:
            return allowed
        if action in ("resubmit", "synchronize"):
            view = self.current_view()
            return view is not None and offers(self.tui, view.snapshot.backend, action)
        if action == "bug_report":
            return self.tui.config is not None
        if action in ("next_backend", "prev_backend"):
            state = self.tui.agent_state
            return state is not None and len(state.backends) > 1
        return True

    def action_synchronize(self) -> None:
        self.tui.action_synchronize()

    def action_resubmit(self) -> None:
        from synctui.tui.screens.resubmit import ask_resubmit  # dialogs: not needed to draw

        view = self.current_view()
        if view is None or not self.check_action("resubmit", ()):
            return
        ask_resubmit(self, view.snapshot.backend)

    def action_refresh(self) -> None:
        self.tui.action_refresh()

    def action_bug_report(self) -> None:
        from synctui.tui.screens.bug_report import BugReportScreen

        if self.check_action("bug_report", ()):
            self.app.push_screen(BugReportScreen())

    def action_open_queue(self, kind: str) -> None:
        self.tui.open_queue(QueueKind(kind))

    def action_next_backend(self) -> None:
        self.tui.step_backend(1)

    def action_prev_backend(self) -> None:
        self.tui.step_backend(-1)

    def action_filter_log(self) -> None:
        box = self.query_one("#log-filter", Input)
        box.add_class("-shown")
        box.focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id == "log-filter":
            self.query_one(SyncLogTable).set_filter(event.value)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "log-filter":
            self.query_one(SyncLogTable).focus()
            if not event.value:
                event.input.remove_class("-shown")

    def on_key(self, event) -> None:
        box = self.query_one("#log-filter", Input)
        if event.key == "escape" and box.has_focus:
            box.value = ""
            box.remove_class("-shown")
            self.query_one(SyncLogTable).focus()
            event.stop()

    def on_queue_card_selected(self, message: QueueCard.Selected) -> None:
        self.tui.open_queue(message.kind)

    def on_backend_tabs_selected(self, message: BackendTabs.Selected) -> None:
        self.tui.select_backend(message.name)
