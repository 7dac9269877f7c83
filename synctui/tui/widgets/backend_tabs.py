"""The backend selector in the header: one tab per backend with its online / offline / stale marker."""

from __future__ import annotations

from dataclasses import dataclass

from textual import events
from textual.content import Content
from textual.message import Message
from textual.widget import Widget

from synctui.model import BackendView
from synctui.tui.look import glyphs


@dataclass(frozen=True)
class TabInfo:
    name: str
    state: str  # online, offline, stale


def tab_state(view: BackendView, agent_stale: bool) -> str:
    snapshot = view.snapshot
    if snapshot.health is not None and not snapshot.health.online:
        return "offline"
    if snapshot.stale or agent_stale:
        return "stale"
    return "online"


class BackendTabs(Widget):
    DEFAULT_CSS = """
    BackendTabs { width: 1fr; height: 1; }
    """

    class Selected(Message):
        def __init__(self, name: str) -> None:
            super().__init__()
            self.name = name

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._tabs: list[TabInfo] = []
        self._selected: str | None = None
        self._spans: list[tuple[int, int, str]] = []

    def show(self, views: list[BackendView], selected: str | None, agent_stale: bool) -> None:
        self._tabs = [TabInfo(v.snapshot.backend, tab_state(v, agent_stale)) for v in views]
        self._selected = selected
        self.refresh()

    def render(self) -> Content:
        g = glyphs(self.app)
        if not self._tabs:
            return Content.from_markup("[$text-muted]no backends yet[/]")
        parts: list[Content] = []
        self._spans = []
        x = 0
        for index, tab in enumerate(self._tabs, 1):
            marker, style, word = {
                "online": (g.online, "$success", ""),
                "offline": (g.offline, "$error", " offline"),
                "stale": (g.stale, "$warning", " stale"),
            }[tab.state]
            selected = tab.name == self._selected
            label = Content.assemble(
                (f" {index} ", "bold" if selected else ""),
                (tab.name, "bold reverse" if selected else ""),
                " ",
                (marker + word, f"{style} bold"),
                " ",
            )
            if parts:
                parts.append(Content.assemble(("│", "dim")))
                x += 1
            self._spans.append((x, x + label.cell_length, tab.name))
            x += label.cell_length
            parts.append(label)
        return Content("").join(parts)

    def on_click(self, event: events.Click) -> None:
        for start, end, name in self._spans:
            if start <= event.x < end:
                self.post_message(self.Selected(name))
                return
