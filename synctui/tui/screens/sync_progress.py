"""Synchronize Now: "Synchronizing…" with step bars, then "Data Synced" (Close) or "Sync Failed" (Retry, Close).

The modal starts the action with `client.synchronize()` and then follows `BackendView.action` with the same
id in the state the agent pushes, so a sync started elsewhere (or joined) is followed the same way.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from synctui.client import AgentRefused, AgentUnavailable
from synctui.model import ActionStatus, Rejection, SyncProgress
from synctui.tui.bindings import bindings_for
from synctui.tui.format import bar, one_line
from synctui.tui.look import glyphs
from synctui.tui.widgets.steady_static import SteadyStatic

if TYPE_CHECKING:
    from synctui.tui.app import SyncTuiApp

FINAL_STATES = {"done", "failed", "completed", "cancelled", "error"}


def is_final(action: ActionStatus) -> bool:
    return action.state in FINAL_STATES or action.finished is not None or action.ok is not None


def succeeded(action: ActionStatus) -> bool:
    if action.ok is not None:
        return action.ok
    return action.state in ("done", "completed")


class SyncProgressScreen(ModalScreen[None]):
    SCOPE = "sync"
    BINDINGS: list[Binding] = bindings_for("sync")
    DEFAULT_CSS = """
    SyncProgressScreen { align: center middle; }
    SyncProgressScreen #dialog {
        width: 64; max-width: 100%; height: auto; max-height: 100%;
        border: thick $primary; background: $surface; padding: 0 1;
    }
    SyncProgressScreen.-done #dialog { border: thick $success; }
    SyncProgressScreen.-failed #dialog { border: thick $error; }
    SyncProgressScreen #sync-title { text-style: bold; height: 1; margin-bottom: 1; }
    SyncProgressScreen.-done #sync-title { color: $success; }
    SyncProgressScreen.-failed #sync-title { color: $error; }
    SyncProgressScreen.-hung #dialog { border: thick $warning; }
    SyncProgressScreen.-hung #sync-title { color: $warning; }
    SyncProgressScreen #sync-body { height: auto; }
    SyncProgressScreen #sync-buttons { height: auto; align-horizontal: right; margin-top: 1; }
    SyncProgressScreen #sync-buttons Button { margin-left: 1; min-width: 10; }
    SyncProgressScreen #retry { display: none; }
    SyncProgressScreen.-failed #retry { display: block; }
    SyncProgressScreen #cancel { display: none; }
    SyncProgressScreen.-cancellable #cancel { display: block; }
    """

    def __init__(
        self,
        backend: str,
        starter: Callable[[], Awaitable[ActionStatus]] | None = None,
        labels: tuple[str, str, str] = ("Synchronizing…", "Data Synced", "Sync Failed"),
    ) -> None:
        """`starter` starts the action (default: Synchronize Now); `labels` are its running, done and
        failed titles. A long action other than a sync can be cancelled from here."""
        super().__init__()
        self.backend = backend
        self.starter = starter
        self.labels = labels
        self.phase = "starting"  # starting, running, done, failed
        self.status: ActionStatus | None = None
        self.failure: tuple[str, Rejection | None] | None = None

    @property
    def tui(self) -> SyncTuiApp:
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static("", id="sync-title")
            yield SteadyStatic("", id="sync-body")
            with Horizontal(id="sync-buttons"):
                yield Button("Retry", id="retry", variant="primary")
                yield Button("Cancel it", id="cancel", variant="error")
                yield Button("Run in background", id="close")

    def on_mount(self) -> None:
        self.start()

    # --- the action -----------------------------------------------------------------------------

    def start(self) -> None:
        self.phase = "starting"
        self.status = None
        self.failure = None
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
            self.fail(f"the agent refused: {exc.message}", None)
            return
        self.status = status
        self.absorb(status)
        self.show_state()

    def show_state(self) -> None:
        """Called by the app on every pushed state."""
        if self.status is None or self.phase in ("done", "failed"):
            self.draw()
            return
        state = self.tui.agent_state
        view = state.view(self.backend) if state is not None else None
        action = view.action if view is not None else None
        if action is not None and action.id == self.status.id:
            self.absorb(action)
        else:
            self.draw()

    def absorb(self, action: ActionStatus) -> None:
        if self.phase in ("done", "failed"):
            return
        self.status = action
        if not is_final(action):
            self.phase = "running"
        elif succeeded(action):
            self.phase = "done"
        else:
            message = action.rejection.message if action.rejection else action.message
            self.fail(message or "the backend did not say why", action.rejection)
            return
        self.draw()

    def fail(self, message: str, rejection: Rejection | None) -> None:
        self.phase = "failed"
        self.failure = (message, rejection)
        self.draw()

    # --- drawing --------------------------------------------------------------------------------

    def draw(self) -> None:
        if not self.is_mounted:
            return
        g = glyphs(self.app)
        self.set_class(self.phase == "done", "-done")
        self.set_class(self.phase == "failed", "-failed")
        title = self.query_one("#sync-title", Static)
        body = self.query_one("#sync-body", Static)
        close = self.query_one("#close", Button)
        hung = self.phase == "running" and bool(
            self.status and self.status.progress and self.status.progress.hung
        )
        self.set_class(hung, "-hung")
        self.set_class(self.starter is not None and self.phase == "running", "-cancellable")
        if hung:
            title.update(f"{g.warning} Sync appears hung: {self.backend}")
            body.update(self.progress_text())
            close.label = "Close"
        elif self.phase in ("starting", "running"):
            title.update(f"{g.running} {self.labels[0]} {self.backend}")
            body.update(self.progress_text())
            close.label = "Run in background"
        elif self.phase == "done":
            title.update(f"{g.ok} {self.labels[1]}")
            body.update(self.done_text())
            close.label = "Close"
        else:
            title.update(f"{g.error} {self.labels[2]}")
            body.update(self.failed_text())
            close.label = "Close"
        self.refresh_bindings()

    def progress_text(self) -> Content:
        g = glyphs(self.app)
        progress: SyncProgress | None = self.status.progress if self.status else None
        lines: list[Content] = []
        if self.status is None:
            lines.append(Content.from_markup("[$text-muted]asking the agent to start…[/]"))
        elif progress is None or not progress.steps:
            lines.append(Content(self.status.message or "waiting for the backend to report progress…"))
        else:
            for step in progress.steps:
                mark = g.ok if step.finished else (g.running if step.started else " ")
                fraction = None
                if step.total:
                    fraction = (step.done or 0) / step.total
                elif step.finished:
                    fraction = 1.0
                counts = f"{step.done or 0}/{step.total}" if step.total else ""
                lines.append(
                    Content.assemble(
                        (f"{mark} ", "$success" if step.finished else "$primary"),
                        one_line(step.name, 22).ljust(22),
                        " ",
                        (bar(fraction, 20, g.bar_full, g.bar_empty), "$primary"),
                        f" {counts}",
                    )
                )
            overall = progress.fraction
            if overall is not None:
                lines.append(
                    Content.assemble(
                        ("\n  overall".ljust(24), "bold"),
                        " ",
                        (bar(overall, 20, g.bar_full, g.bar_empty), "$primary bold"),
                        f" {round(overall * 100)}%",
                    )
                )
            if progress.hung:
                lines.append(
                    Content.from_markup(
                        "[$warning bold]The sync appears hung: no progress and no error for a long time.[/]"
                    )
                )
            if progress.message:
                lines.append(Content(one_line(progress.message, 200)))
        if self.tui.agent_error:
            lines.append(
                Content.from_markup("[$error]lost contact with the agent; the sync may still be running[/]")
            )
        return Content("\n").join(lines)

    def done_text(self) -> Content:
        status = self.status
        lines = [Content(f"Everything recorded on this device for {self.backend} reached the server.")]
        if status is not None:
            if status.counts:
                lines.append(Content(" · ".join(f"{v:,} {k}" for k, v in status.counts.items())))
            if status.message:
                lines.append(Content.from_markup("[$text-muted]$m[/]", m=one_line(status.message, 200)))
        return Content("\n").join(lines)

    def failed_text(self) -> Content:
        message, rejection = self.failure or ("unknown reason", None)
        lines = [Content.assemble(("Reason: ", "bold"), (one_line(message, 300), "$error bold"))]
        if rejection is not None:
            if rejection.advice:
                lines.append(Content.assemble(("What to do: ", "bold"), one_line(rejection.advice, 300)))
            facts = [str(rejection.category)]
            if rejection.code:
                facts.append(rejection.code)
            if rejection.status:
                facts.append(f"HTTP {rejection.status}")
            lines.append(Content.from_markup("[$text-muted]$f[/]", f=" · ".join(facts)))
        if self.status is not None and self.status.counts:
            lines.append(Content(" · ".join(f"{v:,} {k}" for k, v in self.status.counts.items())))
        return Content("\n").join(lines)

    # --- buttons and keys -----------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "retry":
            return self.phase == "failed"
        return True

    def action_retry(self) -> None:
        if self.phase == "failed":
            self.start()

    def cancel_action(self) -> None:
        if self.status is not None and self.phase == "running":
            self.run_worker(self._cancel(self.status.id), group="cancel", exclusive=True)

    async def _cancel(self, action_id: str) -> None:
        try:
            await self.tui.client.cancel(self.backend, action_id)
        except (AgentUnavailable, AgentRefused) as exc:
            self.notify(f"could not cancel: {exc}", severity="error")

    def action_close(self) -> None:
        self.dismiss()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "retry":
            self.action_retry()
        elif event.button.id == "cancel":
            self.cancel_action()
        else:
            self.action_close()
