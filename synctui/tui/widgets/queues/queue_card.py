"""One queue card: label, count, trend, oldest age, stuck badge.

Titles fit the card: the backend's own label when it has room, the short one (Outbox, Inbox…) when
it does not; the backend's detail goes in the bottom border when it fits there, else on the card's
free lines, and only when neither holds it is it cut.

The count is "n/a" when the backend has no such queue, and "?" with "not known yet" and the reason
when the queue exists but its count is not known (before the first good refresh): never 0.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import ClassVar

from textual import events
from textual.binding import BindingType
from textual.content import Content
from textual.message import Message
from textual.widget import Widget

from synctui.i18n import N_, _, adapter_text
from synctui.model import DepthPoint, QueueKind, QueueStat
from synctui.tui import history as hist
from synctui.tui.format import DEFAULT_LABELS, age, count_text, one_line, queue_label
from synctui.tui.keymap import DashboardBinding
from synctui.tui.look import glyphs

SPARK_SPAN = timedelta(hours=6)
BORDER_CELLS = 6  # the corners, a line each side and the spaces around a border title


class QueueCard(Widget, can_focus=True):
    DEFAULT_CSS = """
    QueueCard {
        width: 1fr; height: 5; padding: 0 1;
        border: round $secondary; border-title-style: bold; border-title-color: $foreground;
        border-subtitle-color: $text-muted;
    }
    QueueCard.-na { border: round $panel-lighten-2; color: $text-muted; }
    QueueCard.-unknown { border: round $accent; }
    QueueCard.-stuck { border: round $warning; }
    QueueCard.-alert { border: round $error; border-title-color: $error; }
    QueueCard:focus { border: heavy $primary; background: $boost; }
    QueueCard.-stuck:focus { border: heavy $warning; }
    QueueCard.-alert:focus { border: heavy $error; }
    QueueCard.-stale { color: $text-muted; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        DashboardBinding("enter", "open", N_("Open"), id="open_card", help=N_("Open the focused queue")),
    ]

    class Selected(Message):
        def __init__(self, kind: QueueKind) -> None:
            super().__init__()
            self.kind = kind

    def __init__(self, kind: QueueKind, **kwargs) -> None:
        super().__init__(**kwargs)
        self.kind = kind
        self.stat = QueueStat(kind=kind, count=None, known=False)
        self.why_unknown = _("waiting for the agent's first report")
        self.history: Sequence[DepthPoint] = ()
        self.now: datetime | None = None
        self.stuck = False
        self.stale = False
        self.border_title = queue_label(None, kind)
        self._drawn: tuple | None = None

    def show(
        self,
        stat: QueueStat,
        history: Sequence[DepthPoint] | None,
        now: datetime,
        stale: bool = False,
        why_unknown: str | None = None,
        stuck: bool = False,
    ) -> None:
        """`why_unknown`: why the count is not known, when it is not (e.g. the backend's health error);
        `stuck`: the verdict found the queue stuck (`synctui.verdict.stuck_queues`)."""
        self.stat = stat
        self.why_unknown = why_unknown or _("waiting for the first refresh")
        self.history = history or ()
        self.now = now
        self.stale = stale
        self.stuck = stuck
        self.fit_titles()
        self.set_class(stat.known and stat.count is None, "-na")
        self.set_class(not stat.known, "-unknown")
        self.set_class(stat.known and self.kind == QueueKind.CONFLICTS and bool(stat.count), "-alert")
        self.set_class(self.stuck, "-stuck")
        self.set_class(stale, "-stale")
        # Pushes mostly repeat the same figures: repaint only when the drawn text changed.
        drawn = self.render()
        key = (drawn.plain, tuple(drawn.spans))
        if key != self._drawn:
            self._drawn = key
            self.refresh()

    def on_resize(self) -> None:
        self.fit_titles()

    @property
    def title_room(self) -> int:
        return max(1, (self.outer_size.width or 20) - BORDER_CELLS)

    def fit_titles(self) -> None:
        label = queue_label(self.stat, self.kind)
        if len(label) > self.title_room:
            label = DEFAULT_LABELS.get(self.kind, label)
        title = Content(label)  # literal: a backend names it
        detail = self._detail()
        inside = len(detail) > self.title_room and self._detail_lines(detail) is not None
        subtitle = Content(one_line(detail, self.title_room)) if detail and not inside else None
        if title != self.border_title:  # each assignment repaints the card
            self.border_title = title
        if subtitle != self.border_subtitle:
            self.border_subtitle = subtitle

    def _detail(self) -> str:
        return adapter_text(one_line(self.stat.detail, 200)) if self.stat.known and self.stat.detail else ""

    def _detail_lines(self, detail: str) -> list[str] | None:
        """The detail wrapped on the card's free lines (no history, no age, an empty or n/a queue), or
        None when it does not fit there."""
        count = self.stat.count
        free = 2
        if count is not None:
            free = (0 if self._spark() else 1) + (0 if count and self._oldest() else 1)
        lines = textwrap.wrap(detail, max(1, self.content_region.width or self.title_room)) if free else []
        return lines if lines and len(lines) <= free else None

    def _spark(self) -> str:
        if self.now is None or self.stat.count is None:
            return ""
        width = max(1, self.content_region.width or 16)
        return hist.sparkline(
            hist.resample(self.history, self.kind, self.now, width, SPARK_SPAN), glyphs(self.app).spark
        )

    def _oldest(self) -> str:
        if self.stat.oldest is None or self.now is None:
            return ""
        return _("oldest {age}").format(age=age(self.now - self.stat.oldest))

    def render(self) -> Content:
        g = glyphs(self.app)
        stat = self.stat
        if not stat.known:
            return Content("\n").join(
                [
                    Content.assemble(("?", "bold $accent"), " ", (_("not known yet"), "$accent")),
                    Content.assemble((one_line(stat.detail or self.why_unknown, 200), "$text-muted")),
                ]
            )
        count = stat.count
        if count is None:
            first = Content.assemble((_("n/a"), "bold"))
            second = Content.assemble((_("not kept here"), "$text-muted"))
        else:
            style = "$error bold" if self.kind == QueueKind.CONFLICTS and count else "bold"
            first = Content.assemble((count_text(count), style))
            if self.stuck:
                first = Content.assemble(
                    first, "  ", (" " + g.warning + " " + _("stuck") + " ", "$warning bold reverse")
                )
            spark = self._spark()
            second = Content.assemble((spark, "$primary") if spark else (_("no history"), "$text-muted"))
        third = Content("")
        if count and (oldest := self._oldest()):
            third = Content(oldest)
        elif count == 0:
            third = Content.assemble((_("empty"), "$text-muted"))
        detail = self._detail() if self.border_subtitle is None else ""
        told = [
            Content.from_markup("[$text-muted]$t[/]", t=line) for line in self._detail_lines(detail) or []
        ]
        if len(told) == 2:
            return Content("\n").join([first, *told])
        if told:  # one free line: where there is no history, else where there is no age
            return Content("\n").join(
                [first, told[0], third] if not self._spark() else [first, second, told[0]]
            )
        return Content("\n").join([first, second, third])

    def action_open(self) -> None:
        self.post_message(self.Selected(self.kind))

    def on_click(self, event: events.Click) -> None:
        self.focus()
        self.post_message(self.Selected(self.kind))
