"""One-line header: app name, backend tabs, where the agent is and whether it answers, the clock."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.content import Content
from textual.widgets import Static

from synctui.model import AgentState, Verdict
from synctui.tui.format import safe
from synctui.tui.widgets.backend_tabs import BackendTabs
from synctui.tui.widgets.steady_static import SteadyStatic


def agent_location(description: str, state: AgentState | None, limit: int = 20) -> str:
    if state is not None and state.embedded:
        return "embedded agent"
    text = description or "agent"
    return text if len(text) <= limit else "…" + text[-(limit - 1) :]


class AppHeader(Horizontal):
    DEFAULT_CSS = """
    AppHeader { height: 1; background: $panel; color: $foreground; dock: top; }
    AppHeader #app-title { width: auto; padding: 0 1; text-style: bold; color: $primary; }
    AppHeader #agent-status { width: auto; padding: 0 1; }
    """

    def compose(self) -> ComposeResult:
        yield Static("synctui", id="app-title")
        yield BackendTabs(id="backend-tabs")
        yield SteadyStatic("", id="agent-status")

    def on_mount(self) -> None:
        # Checked every second, redrawn only when the text changed: the clock shows minutes, so at rest
        # the header costs the terminal one line a minute.
        self.set_interval(1.0, self.refresh_status)

    def refresh_status(self) -> None:
        app = self.app
        state: AgentState | None = getattr(app, "agent_state", None)
        error: str | None = getattr(app, "agent_error", None)
        now = app.now()
        where = safe(agent_location(getattr(app.client, "description", ""), state))
        if error:
            status = Content.from_markup("[$error bold]agent unreachable[/] [dim]$where[/]", where=where)
        elif state is None:
            status = Content.from_markup("[$text-muted]connecting to $where…[/]", where=where)
        else:
            status = Content(where)
        if getattr(app, "is_readonly", False):
            status = Content.assemble((" read-only ", "$warning bold reverse"), " ", status)
        clock = now.strftime("%H:%M")
        self.query_one("#agent-status", SteadyStatic).update(Content.assemble(status, "  ", (clock, "bold")))

    def show(self, state: AgentState | None, selected: str | None, verdicts: dict[str, Verdict]) -> None:
        views = state.backends if state is not None else []
        self.query_one(BackendTabs).show(views, selected, verdicts)
        self.refresh_status()
