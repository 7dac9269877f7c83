"""The main screen: header, problems, all-synced banner or summary, queue cards, sync log, jobs.

Composed in two steps: the first frame draws the header, the banners and the cards (what a technician
looks at first); the sync log, the jobs and the footer are mounted right after it (`compose_rest`),
their modules imported and their stylesheets parsed then. `fully_composed` says when that is done."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import Screen

from synctui.i18n import N_, _
from synctui.model import AgentState, BackendView, Level, QueueKind, SyncLogRow, Verdict
from synctui.tui.changes import offers
from synctui.tui.format import CARD_ORDER, one_line
from synctui.tui.keymap import DashboardBinding
from synctui.tui.messages import redraw
from synctui.tui.screens.main_banners import Banners
from synctui.tui.screens.main_log_changes import ask_reset, count_remotes
from synctui.tui.widgets.header.app_header import AppHeader
from synctui.tui.widgets.header.backend_tabs import BackendTabs
from synctui.tui.widgets.header.status_banner import StatusBanner
from synctui.tui.widgets.queues.queue_card import QueueCard
from synctui.tui.widgets.queues.queue_diagnosis import QueueDiagnosis
from synctui.tui.widgets.sync.all_synced_banner import AllSyncedBanner
from synctui.tui.widgets.sync.sync_progress_panel import SyncProgressPanel, sync_progress
from synctui.verdict import never_read, stuck_queues

if TYPE_CHECKING:
    from datetime import datetime

    from textual.widgets import Input

    from synctui.tui.app import SyncTuiApp
    from synctui.tui.widgets.sync.jobs_panel import JobsPanel
    from synctui.tui.widgets.sync.sync_log_table import SyncLogTable


class MainScreen(Screen):
    """The dashboard of the selected backend; remote counts (Count Remotes) are kept per backend until
    replaced."""

    BINDINGS: ClassVar[list[BindingType]] = [
        DashboardBinding(
            "s",
            "synchronize",
            N_("Sync now"),
            id="synchronize",
            palette=N_("Synchronize now"),
            help=N_("Send and receive now, with progress"),
            catalogue="synchronize",
        ),
        DashboardBinding(
            "r",
            "refresh",
            N_("Refresh"),
            id="refresh",
            palette=N_("Refresh"),
            help=N_("Ask the agent to refresh"),
            needs_device=True,
        ),
        DashboardBinding(
            "1",
            "open_queue('outbox')",
            N_("Outbox"),
            show=False,
            id="open_outbox",
            palette=N_("Open Outbox"),
            help=N_("Browse the outbox"),
        ),
        DashboardBinding(
            "2",
            "open_queue('inbox')",
            N_("Inbox"),
            show=False,
            id="open_inbox",
            palette=N_("Open Inbox"),
            help=N_("Browse the inbox"),
        ),
        DashboardBinding(
            "3",
            "open_queue('admin')",
            N_("Admin"),
            show=False,
            id="open_admin",
            palette=N_("Open Admin queue"),
            help=N_("Browse the admin queue"),
        ),
        DashboardBinding(
            "4",
            "open_queue('conflicts')",
            N_("Conflicts"),
            show=False,
            id="open_conflicts",
            palette=N_("Open Conflicts"),
            help=N_("Browse rejected / conflicting entries"),
        ),
        DashboardBinding(
            "right,right_square_bracket",
            "next_backend",
            N_("Backend"),
            show=False,
            id="next_backend",
            palette=N_("Next backend"),
            help=N_("Show the next backend"),
        ),
        DashboardBinding(
            "left,left_square_bracket",
            "prev_backend",
            N_("Prev backend"),
            show=False,
            id="prev_backend",
            palette=N_("Previous backend"),
            help=N_("Show the previous backend"),
        ),
        DashboardBinding(
            "slash",
            "filter_log",
            N_("Filter log"),
            id="filter_log",
            palette=N_("Filter sync log"),
            help=N_("Filter the sync log by record type"),
        ),
        DashboardBinding(
            "b",
            "bug_report",
            N_("Bug report"),
            show=False,
            id="bug_report",
            palette=N_("Submit a Bug"),
            help=N_("Write a support bundle: what goes in, part by part, never a secret"),
            needs_device=True,  # the device's config, logs and agent
        ),
        DashboardBinding(
            "i",
            "backend_details",
            N_("Details"),
            id="backend_details",
            palette=N_("Backend details"),
            help=N_("Site facts, health and settings"),
        ),
        DashboardBinding(
            "S",
            "resubmit",
            N_("Re-submit"),
            show=False,
            id="resubmit",
            palette=N_("Re-Submit To Server…"),
            help=N_("Queue again what was created in a date range and the server lacks (OpenIZ)"),
            catalogue="resubmit",
        ),
        DashboardBinding(
            "c",
            "count_remotes",
            N_("Count"),
            id="count_remotes",
            palette=N_("Count remotes"),
            help=N_("Count records on the server beside the local counts"),
            catalogue="count-remotes",
            needs_device=True,
        ),
        DashboardBinding(
            "x",
            "reset_row",
            N_("Reset row"),
            id="reset_row",
            palette=N_("Reset sync log row"),
            help=N_("Clear the sync markers of the selected log row"),
            catalogue="reset",
        ),
        DashboardBinding(
            "X",
            "reset_all",
            N_("Reset all"),
            show=False,
            id="reset_all",
            palette=N_("Reset all sync log rows"),
            help=N_("Clear the sync markers of every log row"),
            catalogue="reset-all",
        ),
    ]
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

    def __init__(self) -> None:
        super().__init__()
        self.counted: dict[str, dict[str, SyncLogRow]] = {}
        self.fully_composed = False  # the sync log, the jobs and the footer are mounted (compose_rest)
        self.log_filter: Input | None = None
        self.log_table: SyncLogTable | None = None
        self.jobs: JobsPanel | None = None
        self.banners = Banners()  # mounted when first they have something to show

    @property
    def tui(self) -> SyncTuiApp:
        return self.app  # type: ignore[return-value]

    def current_view(self) -> BackendView | None:
        return self.tui.selected_view()

    def log_check(self, action: str) -> bool | None:
        """check_action for the details and the sync log actions; None when `action` is not one of them."""
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

    def compose(self) -> ComposeResult:
        yield AppHeader(id="header")
        yield from (banner for banner, _before in self.banners.due(*self.drawn_from()))
        with Horizontal(id="cards"):
            for kind in CARD_ORDER:
                yield QueueCard(kind, id=f"card-{kind.value}")
        # the body under the cards (the sync log, the jobs) comes with compose_rest

    _bindings_key: object = None

    def on_mount(self) -> None:
        self.show_state()
        self.call_after_refresh(self.compose_rest)

    async def compose_rest(self) -> None:
        """After the first frame: the body (the sync log with its filter, the jobs) and the footer, then
        the state drawn on them."""
        from textual.widgets import Input

        from synctui.tui.widgets.shared.dashboard_footer import DashboardFooter
        from synctui.tui.widgets.sync.jobs_panel import JobsPanel
        from synctui.tui.widgets.sync.sync_log_table import SyncLogTable

        log_filter = Input(placeholder=_("filter record types (Esc clears)"), id="log-filter")
        log_table = SyncLogTable(id="sync-log")
        jobs = JobsPanel(id="jobs")
        body = Vertical(Vertical(log_filter, log_table, id="log-pane"), jobs, id="body")
        # The app may have ended before this runs or while it mounts (q pressed at once, a test done).
        if not self.is_attached:
            return
        await self.mount_all([body, DashboardFooter()])
        if not self.is_attached:
            return
        self.log_filter, self.log_table, self.jobs = log_filter, log_table, jobs
        self.fully_composed = True
        self._bindings_key = None  # the footer draws its keys on the next bindings signal
        self.show_state()

    # --- drawing --------------------------------------------------------------------------------

    def on_agent_state_changed(self) -> None:
        redraw(self, self.show_state)

    def drawn_from(
        self,
    ) -> tuple[AgentState | None, BackendView | None, str | None, datetime, Verdict | None]:
        """(state, selected view, agent error, now, the view's verdict): what the screen is drawn from."""
        app = self.tui
        view = app.selected_view()
        verdict = app.verdicts.get(view.snapshot.backend) if view is not None else None
        return app.agent_state, view, app.agent_error, app.now(), verdict

    def show_state(self) -> None:
        app = self.tui
        state, view, error, now, verdict = drawn = self.drawn_from()
        verdicts = app.verdicts
        for banner, before in list(self.banners.due(*drawn)):
            self.mount(banner, before=before)
        self.query_one(AppHeader).show(state, view.snapshot.backend if view else None, verdicts)
        if notices := self.banners.get(StatusBanner):
            notices.show(state, view, error, now, verdict)
        if (synced := self.banners.get(AllSyncedBanner)) and state is not None:
            all_safe = bool(verdicts) and all(v.level is Level.SAFE for v in verdicts.values())
            synced.show(state, view, verdict, now, all_safe)
        stale = error is not None or (view is not None and view.snapshot.stale)
        health_error = view.snapshot.health.error if view is not None else None
        why_unknown = health_error.message if health_error is not None else None
        if diagnosis := self.banners.get(QueueDiagnosis):
            diagnosis.show(view, now)
        stuck = {s.stat.kind for s in stuck_queues(view, now)} if view is not None else set()
        for kind in CARD_ORDER:
            card = self.query_one(f"#card-{kind.value}", QueueCard)
            if view is None:
                continue
            card.show(view.snapshot.queue(kind), view.history, now, stale, why_unknown, kind in stuck)
        if view is not None and self.log_table is not None and self.jobs is not None:
            counted = self.counted.get(view.snapshot.backend)
            known = not never_read(view.snapshot)
            self.log_table.show(view.snapshot.log, view.snapshot.thresholds, now, counted, known)
            schedule = [view.sync_schedule] if view.sync_schedule is not None else []
            self.jobs.show([*schedule, *view.snapshot.jobs], now, known)
        if progress := self.banners.get(SyncProgressPanel):
            progress.show(sync_progress(view))
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
        if action == "refresh":
            return self.tui.reaches_device
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
        box = self.log_filter
        if box is not None:
            box.add_class("-shown")
            box.focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input is self.log_filter and self.log_table is not None:
            self.log_table.set_filter(event.value)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input is self.log_filter and self.log_table is not None:
            self.log_table.focus()
            if not event.value:
                event.input.remove_class("-shown")

    def on_key(self, event) -> None:
        box, table = self.log_filter, self.log_table
        if event.key == "escape" and box is not None and table is not None and box.has_focus:
            box.value = ""
            box.remove_class("-shown")
            table.focus()
            event.stop()

    def on_queue_card_selected(self, message: QueueCard.Selected) -> None:
        self.tui.open_queue(message.kind)

    def on_backend_tabs_selected(self, message: BackendTabs.Selected) -> None:
        self.tui.select_backend(message.name)

    # --- the sync log and the backend: details, Count Remotes, Reset (one row / all; main_log_changes) -

    def action_backend_details(self) -> None:
        from synctui.tui.screens.backend_details import BackendDetailsScreen

        view = self.current_view()
        if view is not None:
            self.app.push_screen(BackendDetailsScreen(view.snapshot.backend))

    def action_count_remotes(self) -> None:
        view = self.current_view()
        if view is None or not self.log_check("count_remotes"):
            return
        count_remotes(self, view.snapshot.backend)

    def action_reset_row(self) -> None:
        row = self.log_table.selected_row() if self.log_table is not None else None
        if row is None or not self.log_check("reset_row"):
            return
        ask_reset(
            self, "reset", [row.key], _("the sync log row {row}").format(row=one_line(row.record_type, 40))
        )

    def action_reset_all(self) -> None:
        view = self.current_view()
        if view is None or not self.log_check("reset_all"):
            return
        rows = len(view.snapshot.log)
        ask_reset(
            self,
            "reset-all",
            None,
            _("all {n} sync log rows of {backend}").format(n=rows, backend=view.snapshot.backend),
        )
