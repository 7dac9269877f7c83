"""The backend selector in the header: one tab per backend, marked with its verdict.

The mark is the verdict's (synctui.verdict) and nothing else: the success colour only for SAFE,
amber for WAITING, red for ATTENTION, a distinct "?" for UNKNOWN; each level has its own shape, so
it reads without colour. An UNKNOWN backend that is offline or cannot be refreshed says so.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual import events
from textual.content import Content
from textual.message import Message
from textual.widget import Widget

from synctui.model import BackendView, Level, Verdict
from synctui.tui.format import safe
from synctui.tui.look import LEVEL_STYLE, glyphs

# The few UNKNOWN causes worth a word on the tab itself (the banner says the rest).
UNKNOWN_WORDS = {"offline": "offline", "refresh-failing": "stale", "agent-unreachable": "stale"}


@dataclass(frozen=True)
class TabInfo:
    name: str
    level: Level
    word: str = ""  # a short word after the mark: "offline", "stale"


def tab_info(view: BackendView, verdict: Verdict | None) -> TabInfo:
    name = view.snapshot.backend
    if verdict is None:
        return TabInfo(name, Level.UNKNOWN)
    word = ""
    if verdict.level is Level.UNKNOWN:
        word = next((UNKNOWN_WORDS[r.code] for r in verdict.reasons if r.code in UNKNOWN_WORDS), "")
    return TabInfo(name, verdict.level, word)


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

    def show(self, views: list[BackendView], selected: str | None, verdicts: dict[str, Verdict]) -> None:
        tabs = [tab_info(v, verdicts.get(v.snapshot.backend)) for v in views]
        if tabs == self._tabs and selected == self._selected:
            return  # a push that changes nothing here sends nothing to the terminal
        self._tabs = tabs
        self._selected = selected
        self.refresh()

    def render(self) -> Content:
        if not self._tabs:
            return Content.from_markup("[$text-muted]no backends yet[/]")
        width = self.size.width or 80
        # Too wide for the header: first the other tabs drop their word ("stale"), then their name;
        # every tab keeps its number and verdict mark, and the selected one its name.
        for squeeze in (0, 1, 2):
            labels = self._labels(squeeze, room=width)
            if sum(label.cell_length for label in labels) + len(labels) - 1 <= width:
                break
        parts: list[Content] = []
        self._spans = []
        x = 0
        for tab, label in zip(self._tabs, labels, strict=True):
            if parts:
                parts.append(Content.assemble(("│", "dim")))
                x += 1
            self._spans.append((x, x + label.cell_length, tab.name))
            x += label.cell_length
            parts.append(label)
        return Content("").join(parts)

    def _labels(self, squeeze: int, room: int) -> list[Content]:
        g = glyphs(self.app)
        compact = squeeze >= 2
        others = sum(len(f" {i} ") + 2 for i, tab in enumerate(self._tabs, 1) if tab.name != self._selected)
        labels = []
        for index, tab in enumerate(self._tabs, 1):
            marker, style = g.level(tab.level), LEVEL_STYLE[tab.level]
            selected = tab.name == self._selected
            word = f" {safe(tab.word)}" if tab.word and (selected or not squeeze) else ""
            name = safe(tab.name)
            if compact and not selected:
                labels.append(Content.assemble(f" {index} ", (marker, f"{style} bold"), " "))
                continue
            if compact:
                fits = max(4, room - others - len(self._tabs) - len(f" {index} ") - len(word) - 3)
                name = name if len(name) <= fits else name[: fits - 1] + "…"
            labels.append(
                Content.assemble(
                    (f" {index} ", "bold" if selected else ""),
                    (name, "bold reverse" if selected else ""),
                    " ",
                    (marker + word, f"{style} bold"),
                    " ",
                )
            )
        return labels

    def on_click(self, event: events.Click) -> None:
        for start, end, name in self._spans:
            if start <= event.x < end:
                self.post_message(self.Selected(name))
                return
