"""The backend selector in the header: one tab per backend, marked with its verdict.

The mark is the verdict's (synctui.verdict) and nothing else: the success colour only for SAFE,
amber for WAITING, red for ATTENTION, a distinct "?" for UNKNOWN; each level has its own shape, so
it reads without colour. An UNKNOWN backend that is offline or cannot be refreshed says so.
"""

from __future__ import annotations

from typing import NamedTuple

from textual import events
from textual.content import Content
from textual.message import Message
from textual.widget import Widget

from synctui.i18n import N_, Words
from synctui.model import BackendView, Level, Verdict
from synctui.tui.format import safe
from synctui.tui.look import LEVEL_STYLE, glyphs

MIN_NAME = 4  # the fewest cells a shortened name keeps ("cli…")

# The few UNKNOWN causes worth a word on the tab itself (the banner says the rest).
UNKNOWN_WORDS = Words(
    {"offline": N_("offline"), "refresh-failing": N_("stale"), "agent-unreachable": N_("stale")}
)


def shorten(name: str, room: int | None) -> str:
    return name if room is None or len(name) <= room else name[: max(room - 1, 1)] + "…"


class TabInfo(NamedTuple):
    """What one backend's tab shows: its name, its verdict's mark and a short word."""

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

    def natural_width(self) -> int:
        """Cells the tabs take with every name whole and every word shown."""
        return self._width(self._labels(name_room=None, words=True))

    def render(self) -> Content:
        if not self._tabs:
            return Content.from_markup("[$text-muted]no backends yet[/]")
        width = self.size.width or 80
        labels = self._labels(name_room=None, words=True)
        if self._width(labels) > width:
            labels = self._labels(name_room=None, words=False)
        # Too wide for the header: the other tabs' names are shortened first, the selected one's last;
        # every tab keeps its verdict mark and at least the start of its name.
        for room in range(max((len(tab.name) for tab in self._tabs), default=0) - 1, MIN_NAME - 1, -1):
            if self._width(labels) <= width:
                break
            labels = self._labels(name_room=room, words=False)
        for room in range(max(len(self._selected or ""), MIN_NAME) - 1, MIN_NAME - 1, -1):
            if self._width(labels) <= width:
                break
            labels = self._labels(name_room=MIN_NAME, words=False, selected_room=room)
        labels = self._in_view(labels, width)
        parts: list[Content] = []
        self._spans = []
        x = 0
        for name, label in labels:
            if parts:
                parts.append(Content.assemble(("│", "dim")))
                x += 1
            if name:
                self._spans.append((x, x + label.cell_length, name))
            x += label.cell_length
            parts.append(label)
        return Content("").join(parts)

    @staticmethod
    def _width(labels: list[tuple[str, Content]]) -> int:
        return sum(label.cell_length for _, label in labels) + len(labels) - 1

    def _in_view(self, labels: list[tuple[str, Content]], width: int) -> list[tuple[str, Content]]:
        """So many backends that even short names do not fit: the tabs around the selected one."""
        if self._width(labels) <= width:
            return labels
        at = next((i for i, (name, _) in enumerate(labels) if name == self._selected), 0)
        start, end = at, at + 1

        def fits(part: list[tuple[str, Content]]) -> bool:
            return self._width(part) + 2 <= width  # room for the "‹" and "›" marks

        grown = True
        while grown:
            grown = False
            if end < len(labels) and fits(labels[start : end + 1]):
                end, grown = end + 1, True
            if start > 0 and fits(labels[start - 1 : end]):
                start, grown = start - 1, True
        shown = labels[start:end]
        if start > 0:
            shown = [("", Content.assemble(("‹", "dim"))), *shown]
        if end < len(labels):
            shown = [*shown, ("", Content.assemble(("›", "dim")))]
        return shown

    def _labels(
        self, name_room: int | None, words: bool, selected_room: int | None = None
    ) -> list[tuple[str, Content]]:
        """One (name, label) per tab: " name ▲ word "; names longer than their room end in "…"."""
        g = glyphs(self.app)
        labels = []
        for tab in self._tabs:
            marker, style = g.level(tab.level), LEVEL_STYLE[tab.level]
            selected = tab.name == self._selected
            room = selected_room if selected else name_room
            word = f" {safe(tab.word)}" if tab.word and (selected or words) else ""
            name = shorten(safe(tab.name), room)
            labels.append(
                (
                    tab.name,
                    Content.assemble(
                        " ",
                        (name, "bold reverse" if selected else ""),
                        " ",
                        (marker + word, f"{style} bold"),
                        " ",
                    ),
                )
            )
        return labels

    def on_click(self, event: events.Click) -> None:
        for start, end, name in self._spans:
            if start <= event.x < end:
                self.post_message(self.Selected(name))
                return
