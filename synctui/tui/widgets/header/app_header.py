"""One-line header: app name, backend tabs, where the agent is and whether it answers, the clock.

The tabs come first: when their names do not fit, the agent's location and then the app name give
way (an unreachable agent and read-only are always said)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.content import Content
from textual.widgets import Static

from synctui.i18n import _
from synctui.model import AgentState, Verdict
from synctui.tui.format import safe
from synctui.tui.widgets.header.backend_tabs import BackendTabs
from synctui.tui.widgets.shared.steady_static import SteadyStatic

MIN_WHERE = 12  # the fewest cells worth giving the agent's location


def agent_location(description: str, state: AgentState | None, limit: int = 20) -> str:
    if state is not None and state.embedded:
        return _("embedded agent")
    text = description or _("agent")
    return text if len(text) <= limit else "…" + text[-(limit - 1) :]


class AppHeader(Horizontal):
    DEFAULT_CSS = """
    AppHeader { height: 1; background: $panel; color: $foreground; dock: top; }
    AppHeader #app-title { width: auto; padding: 0 1; text-style: bold; color: $primary; }
    AppHeader #agent-status { width: auto; padding: 0 1; }
    AppHeader.-no-title #app-title { display: none; }
    """
    CLOCK_CELLS = 10  # "HH:MM:SS" and its padding

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.where_room = 20  # cells for the agent's location; 0 = not shown

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
        description = getattr(app.client, "description", "")
        where = safe(agent_location(description, state, self.where_room)) if self.where_room else ""
        if error:
            status = Content.from_markup("[$error bold]agent unreachable[/] [dim]$where[/]", where=where)
        elif state is None:
            status = Content.from_markup("[$text-muted]connecting to $where…[/]", where=where)
        else:
            status = Content(where)
        if getattr(app, "is_readonly", False):
            status = Content.assemble((" read-only ", "$warning bold reverse"), " ", status)
        clock = now.strftime("%H:%M")
        gap = "  " if status.cell_length else ""
        self.query_one("#agent-status", SteadyStatic).update(Content.assemble(status, gap, (clock, "bold")))

    def show(self, state: AgentState | None, selected: str | None, verdicts: dict[str, Verdict]) -> None:
        views = state.backends if state is not None else []
        self.query_one(BackendTabs).show(views, selected, verdicts)
        self.make_room()
        self.refresh_status()

    def on_resize(self) -> None:
        self.make_room()
        self.refresh_status()

    def make_room(self) -> None:
        """The location gets what the tabs' whole names leave (shortened, or dropped below MIN_WHERE),
        and the app name goes too when the names still do not fit."""
        tabs = self.query_one(BackendTabs).natural_width()
        width = self.size.width or self.app.size.width
        title = len("synctui") + 2
        spare = width - tabs - title - self.CLOCK_CELLS - 2
        if getattr(self.app, "is_readonly", False):
            spare -= len(" read-only  ")
        self.where_room = spare if spare >= MIN_WHERE else 0
        self.set_class(tabs + title + self.CLOCK_CELLS > width, "-no-title")
