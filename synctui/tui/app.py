"""The synctui dashboard: a Textual app that draws what an `AgentClient` reports.

The app knows the agent only through the `AgentClient` protocol. State arrives from
`client.updates()` in a worker into the app's reactives (`agent_state`, `agent_error`,
`selected_backend`); on each change every screen on the stack gets an `AgentStateChanged` message. The app judges every backend itself (`synctui.verdict.judge`, with its own clock) on
each change and on a tick, because "stuck" and "late" depend on time passing: whatever says "safe"
on screen reads `app.verdicts` and nothing else.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import time
from collections.abc import Awaitable, Callable, Collection, Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar

from textual import events
from textual.app import App
from textual.binding import Binding, BindingType
from textual.command import Provider
from textual.filter import LineFilter
from textual.notifications import SeverityLevel
from textual.reactive import var
from textual.screen import Screen

from synctui.attention import AttentionWatch
from synctui.client_interface import AgentClient, AgentRefused, AgentUnavailable, follow_updates
from synctui.config import Config, default_state_dir
from synctui.i18n import N_, _
from synctui.model import QUEUE_NAMES, AgentState, BackendView, Level, QueueKind, Verdict
from synctui.tui.console_glyphs import ConsoleGlyphs, drawable
from synctui.tui.format import safe
from synctui.tui.keymap import DashboardBinding, unusable_ids, usable_keymap
from synctui.tui.look import console_look
from synctui.tui.messages import AgentStateChanged
from synctui.tui.screens.main import MainScreen
from synctui.tui.themes import default_theme_name, load_themes, stylesheets
from synctui.verdict import judge

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]


def _local_now() -> datetime:
    return datetime.now(UTC).astimezone()


def dashboard_commands() -> type[Provider]:
    """The palette's provider, imported when the palette first opens (not needed to draw)."""
    from synctui.tui.commands import DashboardCommands

    return DashboardCommands


def default_screenshot_dir() -> Path:
    return default_state_dir() / "screenshots"


def resume_collector() -> None:
    """Resume the cyclic garbage collector that the dashboard pauses while it starts (see
    synctui.cli.dashboard.run), once the first frame is drawn. What start-up built lives as long as the
    app, so it is frozen first (gc.freeze): the collections that follow do not walk it again and again.
    Where nobody paused the collector (tests, embedding) nothing changes."""
    if not gc.isenabled():
        gc.freeze()
        gc.enable()


class SyncTuiApp(App[None]):
    TITLE = "synctui"
    CSS_PATH = stylesheets()  # type: ignore[assignment]
    BINDINGS: ClassVar[list[BindingType]] = [
        DashboardBinding(
            "q", "quit", N_("Quit"), id="quit", palette=N_("Quit"), help=N_("Leave the dashboard")
        ),
        DashboardBinding(
            "question_mark,f1", "help", N_("Help"), id="help", palette=N_("Help"), help=N_("List all keys")
        ),
        DashboardBinding(
            "ctrl+p",
            "command_palette",
            N_("Commands"),
            show=False,
            priority=True,
            id="command_palette",
            help=N_("Open the command palette"),
        ),
        DashboardBinding(
            "t",
            "cycle_theme",
            N_("Theme"),
            show=False,
            id="cycle_theme",
            palette=N_("Next theme"),
            help=N_(
                "Dark → light → sunlight → console",
            ),
        ),
        DashboardBinding(
            "a",
            "audit",
            N_("Audit"),
            show=False,
            id="audit",
            palette=N_("Audit log"),
            help=N_("Who changed what, when"),
        ),
        DashboardBinding(
            "u",
            "archive",
            N_("Archive"),
            show=False,
            id="archive",
            palette=N_("Archive (discarded entries)"),
            help=N_("Entries that were discarded, archived first; restore one (undo a discard)"),
        ),
    ]
    COMMANDS = App.COMMANDS | {dashboard_commands}
    RETRY_DELAYS: tuple[float, ...] = (0.5, 1.0, 2.0, 5.0, 10.0, 30.0)
    PAGE_SIZE = 50
    FIRST_STATE_WAIT = 0.5  # seconds: at most this long without a frame, waiting for the first state
    JUDGE_EVERY = 5.0  # seconds: re-judge with the clock even when the agent pushes nothing
    KEY_BURST = 0.6  # seconds after a dialog closes during which repeats of its closing keys are dropped

    # Every push is news (the verdicts depend on the time it arrives), hence always_update.
    agent_state: var[AgentState | None] = var(None, always_update=True, init=False)
    agent_error: var[str | None] = var(None, init=False)
    selected_backend: var[str | None] = var(None, init=False)

    def __init__(
        self,
        client: AgentClient,
        *,
        theme: str | None = None,
        keymap: dict[str, str] | None = None,
        readonly: bool = False,
        clock: Clock | None = None,
        close_client: bool = False,
        config: Config | None = None,
        bell: bool = False,
        screenshot_dir: Path | None = None,
        low_bandwidth: bool = False,
        first_state: Callable[[], Awaitable[AgentState]] | None = None,
    ) -> None:
        """`bell`: ring the terminal bell when a backend turns to ATTENTION. `screenshot_dir`: where
        Screenshot saves its SVG files (default: screenshots/ in the state folder). `low_bandwidth`:
        ages in steps of a minute and no animations, for a slow link (fewer bytes to the terminal).
        `first_state`: the agent's state asked for before start-up, awaited (at most FIRST_STATE_WAIT)
        before the first frame so that the first frame already shows it."""
        super().__init__()
        self.first_state = first_state
        self.low_bandwidth = low_bandwidth
        if low_bandwidth:
            self.animation_level = "none"
        self.client = client
        self.config = config  # this device's config: Submit a Bug needs it (none: not offered)
        self.readonly = readonly
        self.clock: Clock = clock or _local_now
        self.close_client = close_client
        self.startup_warnings: list[str] = []
        self.in_flight: set[str] = set()  # change actions running now (one call per key)
        self.verdicts: dict[str, Verdict] = {}  # per backend, judged here with self.now()
        self.ring_bell = bell
        self.attention = AttentionWatch()
        self.screenshot_dir = screenshot_dir or default_screenshot_dir()
        self._swallow: tuple[frozenset[str], float, Screen | None] = (frozenset(), 0.0, None)
        self.console_glyphs = ConsoleGlyphs()

        self.theme_set = load_themes()
        self.startup_warnings.extend(self.theme_set.errors)
        for definition in self.theme_set.themes:
            self.register_theme(definition)
        chosen = self.theme_set.resolve(theme) or self.theme_set.resolve(default_theme_name())
        if theme and self.theme_set.resolve(theme) is None:
            self.startup_warnings.append(
                _("unknown theme {theme}; available: {themes}").format(
                    theme=repr(theme), themes=", ".join(self.theme_names)
                )
            )
        if chosen:
            self.start_with_theme(chosen)

        self.user_keymap = dict(keymap or {})
        self.keymap = usable_keymap(keymap)  # binding id → keys; Textual applies it to every binding
        if self.keymap:
            self.set_keymap(self.keymap)

    def start_with_theme(self, name: str) -> None:
        """Select theme `name` before anything is styled. Setting `theme` makes Textual parse the whole
        stylesheet again at start (`App.refresh_css`, ≈ 4 ms of the first frame, and the later parse
        cannot reuse it). A theme that maps ANSI colours as the one Textual started with (same dark and
        ansi: Textual built its colour filter for that) needs only its variables and classes, set before
        the first parse; any other goes through `theme`."""
        start, theme = self.current_theme, self.get_theme(name)
        if theme is None or (theme.dark, theme.ansi) != (start.dark, start.ansi):
            self.theme = name
            return
        self.set_reactive(App.theme, name)
        dark = theme.dark
        self.update_classes(
            {f"-theme-{name}": True, "-dark-mode": dark, "-light-mode": not dark}, update=False
        )
        self.stylesheet.set_variables(self.get_css_variables())

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = True,
    ) -> None:
        """Every notification goes through here (a widget's `notify` calls the app's): what it says
        often quotes a backend or the agent, so control characters are shown as escapes, never obeyed."""
        super().notify(
            safe(message, multiline=True),
            title=safe(title),
            severity=severity,
            timeout=timeout,
            markup=markup,
        )

    # --- time and selection ---------------------------------------------------------------------

    def now(self) -> datetime:
        return self.clock()

    @property
    def is_readonly(self) -> bool:
        """`--readonly`, or an agent that refuses every change: no change action is offered."""
        return self.readonly or bool(self.agent_state and self.agent_state.readonly)

    @property
    def readonly_allows_sync(self) -> bool:
        """The agent's `[agent] readonly_allows_sync`: Synchronize Now stays offered when read-only."""
        return bool(self.agent_state and self.agent_state.readonly_allows_sync)

    @property
    def reaches_device(self) -> bool:
        """False on a support bundle opened read-only: nothing there can ask the device."""
        return getattr(self.client, "reaches_device", True)

    @property
    def pin_required(self) -> bool:
        return bool(self.agent_state and self.agent_state.pin_required)

    def verdict(self, backend: str) -> Verdict:
        """The verdict on `backend` as of the last judgement (UNKNOWN when it was never judged)."""
        return self.verdicts.get(backend) or Verdict(
            Level.UNKNOWN, [], _("Not known: no data from the agent yet")
        )

    def judge_all(self) -> bool:
        """Judge every backend now; True when a verdict changed."""
        state = self.agent_state
        now = self.now()
        verdicts = {
            view.snapshot.backend: judge(view, now, agent_error=self.agent_error)
            for view in (state.backends if state is not None else [])
        }
        changed = verdicts != self.verdicts
        self.verdicts = verdicts
        if self.attention.turned(verdicts) and self.ring_bell:
            self.bell()
        return changed

    def get_line_filters(self) -> Sequence[LineFilter]:
        filters = super().get_line_filters()
        return [*filters, self.console_glyphs] if console_look(self) else filters

    def get_key_display(self, binding: Binding) -> str:
        shown = super().get_key_display(binding)
        if console_look(self) and not all(drawable(char) for char in shown):
            return binding.key  # "enter", "left": the console font has no ⏎ or ←
        return shown

    @property
    def theme_names(self) -> list[str]:
        return self.theme_set.names or ["textual-dark"]

    def get_default_screen(self) -> Screen:
        return MainScreen()

    @property
    def fully_composed(self) -> bool:
        """The main screen is whole: its second step (sync log, jobs, footer, after the first frame) is
        done. What a test or a screenshot waits for before it looks at the whole screen."""
        main = self.screen_stack[0] if self.screen_stack else None
        return isinstance(main, MainScreen) and main.fully_composed

    def selected_view(self) -> BackendView | None:
        state = self.agent_state
        if state is None or not state.backends:
            return None
        if self.selected_backend is not None:
            view = state.view(self.selected_backend)
            if view is not None:
                return view
        return state.backends[0]

    def select_backend(self, name: str) -> None:
        self.selected_backend = name

    def step_backend(self, step: int) -> None:
        state = self.agent_state
        if state is None or not state.backends:
            return
        names = [view.snapshot.backend for view in state.backends]
        current = self.selected_view()
        index = names.index(current.snapshot.backend) if current is not None else 0
        self.select_backend(names[(index + step) % len(names)])

    # --- following the agent --------------------------------------------------------------------

    async def on_load(self) -> None:
        """Take `first_state` before the screen is composed; one that fails or comes late is left to
        the update stream, which says why or brings it."""
        if self.first_state is None:
            return
        try:
            state = await asyncio.wait_for(self.first_state(), self.FIRST_STATE_WAIT)
        except (AgentUnavailable, AgentRefused, TimeoutError):
            log.debug("the state asked for before start-up did not come", exc_info=True)
            return
        self.set_reactive(SyncTuiApp.agent_state, state)
        self.judge_all()

    def on_mount(self) -> None:
        for warning in self.startup_warnings:
            self.notify(warning, severity="warning", timeout=8)
        if self.user_keymap:
            self.call_after_refresh(self._check_keymap)
        self.theme_changed_signal.subscribe(self, lambda _theme: self.state_changed())
        self.set_interval(self.JUDGE_EVERY, self._judge_tick)
        # The stream is read by a worker, so the first frame never waits on it. With no state yet,
        # starting it now lets connecting to the agent overlap the first render; with `first_state`
        # taken, its first push (the same state) would only delay that frame.
        if self.agent_state is None:
            self._start_following()
        else:
            self.call_after_refresh(self._start_following)
        self.call_after_refresh(resume_collector)

    def _check_keymap(self) -> None:
        """Say which keymap entries remap nothing; after the first frame, since it imports every screen."""
        from synctui.tui.key_groups import binding_ids

        if unusable := unusable_ids(self.user_keymap, binding_ids()):
            self.notify(
                _("keymap names unknown binding ids: {ids}").format(ids=", ".join(unusable)),
                severity="warning",
                timeout=8,
            )

    def _start_following(self) -> None:
        self.run_worker(self._follow_agent(), name="agent-updates", group="agent", exclusive=True)

    async def _follow_agent(self) -> None:
        async for update in follow_updates(self.client, self.RETRY_DELAYS):
            if isinstance(update, str):
                self.apply_error(update)
            else:
                self.apply_state(update)

    def apply_state(self, state: AgentState) -> None:
        self.set_reactive(SyncTuiApp.agent_error, None)  # the state's watcher redraws for both
        self.agent_state = state

    def apply_error(self, reason: str) -> None:
        self.agent_error = reason

    def watch_agent_state(self) -> None:
        self.state_changed()

    def watch_agent_error(self) -> None:
        self.state_changed()

    def watch_selected_backend(self) -> None:
        self.state_changed()

    def _judge_tick(self) -> None:
        if self.judge_all():
            self.tell_screens()

    def state_changed(self) -> None:
        """Judge every backend, then tell every screen on the stack to redraw."""
        try:
            self.judge_all()
        except Exception:  # a judging bug must not hide the data: everything stays UNKNOWN
            log.exception("judging the backends failed")
            self.verdicts = {}
        self.tell_screens()

    def tell_screens(self) -> None:
        for screen in self.screen_stack:
            if screen.is_mounted:
                screen.post_message(AgentStateChanged())

    # --- keys ---------------------------------------------------------------------------------------

    def swallow_burst(self, keys: Collection[str]) -> None:
        """Called by a dialog as it closes: for a moment, presses of `keys` on the screen below it are
        dropped, so the rest of a burst (Enter Enter after typing RESET) does not fall through to that
        screen. A screen opened meanwhile (the next dialog) gets its keys as usual."""
        below = self.screen_stack[-2] if len(self.screen_stack) > 1 else None
        self._swallow = (frozenset(keys), time.monotonic() + self.KEY_BURST, below)

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.Key) and not event.is_forwarded:
            keys, until, below = self._swallow
            if event.key in keys and self.screen is below and time.monotonic() < until:
                event.prevent_default()
                event.stop()
                return
        await super().on_event(event)

    # --- actions --------------------------------------------------------------------------------

    def action_help(self) -> None:
        from synctui.tui.screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def action_audit(self) -> None:
        from synctui.tui.screens.audit import AuditScreen

        if not isinstance(self.screen, AuditScreen):
            self.push_screen(AuditScreen())

    def action_archive(self) -> None:
        from synctui.tui.screens.archive import ArchiveScreen

        if not isinstance(self.screen, ArchiveScreen):
            self.push_screen(ArchiveScreen())

    def deliver_screenshot(
        self, filename: str | None = None, path: str | None = None, time_format: str | None = None
    ) -> str | None:
        """Textual's Screenshot (palette and action) saves to ~/Downloads, and fails where there is
        none: save the SVG in the screenshot folder instead, and say where (or why not)."""
        folder = Path(path) if path else self.screenshot_dir
        try:
            folder.mkdir(parents=True, exist_ok=True, mode=0o700)
            saved = self.save_screenshot(filename, str(folder), time_format)
        except OSError as exc:
            self.notify(
                _("Screenshot not saved: cannot write in {folder}: {error}").format(
                    folder=folder, error=exc.strerror or exc
                ),
                title="Screenshot",
                severity="error",
                markup=False,
            )
            return None
        self.notify(
            _("Screenshot saved to {path}").format(path=saved), title=_("Screenshot"), markup=False, timeout=8
        )
        return saved

    def action_cycle_theme(self) -> None:
        names = self.theme_names
        index = names.index(self.theme) if self.theme in names else -1
        self.theme = names[(index + 1) % len(names)]
        self.notify(f"theme: {self.theme}", timeout=2)

    def set_theme(self, name: str) -> None:
        self.theme = name

    def action_synchronize(self) -> None:
        from synctui.tui.changes import offers
        from synctui.tui.screens.sync_progress import SyncProgressScreen

        view = self.selected_view()
        if view is None:
            self.notify(_("no backend to synchronize yet"), severity="warning")
            return
        if not offers(self, view.snapshot.backend, "synchronize"):
            self.notify(
                _("Synchronize Now is not available for {backend}").format(backend=view.snapshot.backend),
                severity="warning",
            )
            return
        self.push_screen(SyncProgressScreen(view.snapshot.backend))

    def action_refresh(self) -> None:
        view = self.selected_view()
        self.run_worker(
            self._refresh(view.snapshot.backend if view else None), group="refresh", exclusive=True
        )

    async def _refresh(self, backend: str | None) -> None:
        try:
            await self.client.refresh(backend)
        except (AgentUnavailable, AgentRefused) as exc:
            self.notify(_("refresh failed: {error}").format(error=exc), severity="error")
            return
        self.notify(_("refreshing {backend}…").format(backend=backend or _("all backends")), timeout=2)

    def open_queue(self, kind: QueueKind) -> None:
        from synctui.tui.screens.queue_browser import QueueBrowserScreen

        view = self.selected_view()
        if view is None:
            self.notify(_("no data from the agent yet"), severity="warning")
            return
        stat = view.snapshot.queue(kind)
        if stat.known and stat.count is None:
            self.notify(
                _("{backend} has no {queue} queue").format(
                    backend=view.snapshot.backend, queue=QUEUE_NAMES[kind]
                ),
                severity="warning",
            )
            return
        self.push_screen(QueueBrowserScreen(view.snapshot.backend, kind, stat))

    def palette_actions(self) -> Iterable[tuple[str, str, str, Callable[[], Any]]]:
        """Extra palette entries that depend on the data, one per backend and per theme: (English name,
        local name, help, what it does)."""
        for view in self.agent_state.backends if self.agent_state else []:
            name = view.snapshot.backend
            yield (
                f"Show backend {safe(name)}",
                _("Show backend {backend}").format(backend=safe(name)),
                _("Switch the dashboard to {backend}").format(backend=safe(name)),
                lambda n=name: self.select_backend(n),
            )
        for name in self.theme_names:
            yield (
                f"Theme: {name}",
                _("Theme: {name}").format(name=name),
                _("Switch the colour theme"),
                lambda n=name: self.set_theme(n),
            )

    async def on_unmount(self) -> None:
        if self.close_client:
            try:
                await self.client.aclose()
            except Exception:
                log.debug("closing the agent client failed", exc_info=True)
