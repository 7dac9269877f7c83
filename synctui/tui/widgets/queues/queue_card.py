"""One queue card: label, count, trend, oldest age, stuck badge.

Titles fit the card: the backend's own label when it has room, the short one (Outbox, Inbox…) when
it does not; the backend's detail goes in the bottom border when it fits there, else on the card's
free lines, else split at its " · " between the two (the first parts inside, the rest in the border);
on a narrow card the trend line gives its room to the detail when that is what it takes to show it
whole (the detail says what the count is), and only when none of that holds is it cut.

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
from synctui.tui.look import glyphs, low_bandwidth

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
        self.inside_detail = ""  # the part of the detail drawn on the card's free lines
        self.trend_yields = False  # the trend's line holds the detail instead (narrow cards)

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
        self.inside_detail, below, self.trend_yields = self._place_detail(self._detail())
        subtitle = Content(one_line(below, self.title_room)) if below else None
        if title != self.border_title:  # each assignment repaints the card
            self.border_title = title
        if subtitle != self.border_subtitle:
            self.border_subtitle = subtitle

    def _place_detail(self, detail: str) -> tuple[str, str, bool]:
        """(the part on the card's free lines, the part in the bottom border, whether the trend line gives
        its room to the detail): the detail whole where it fits, the trend kept when it can be."""
        if len(detail) <= self.title_room:
            return "", detail, False
        for yields in (False, True):
            if self._detail_lines(detail, yields) is not None:
                return detail, "", yields
            parts = detail.split(" · ")
            for cut in range(len(parts) - 1, 0, -1):
                inside, below = " · ".join(parts[:cut]), " · ".join(parts[cut:])
                if len(below) <= self.title_room and self._detail_lines(inside, yields) is not None:
                    return inside, below, yields
        # Split between words: the free lines, then the border.
        free = self._free_lines(True)
        lines = textwrap.wrap(detail, self._inside_width)
        inside, below = " ".join(lines[:free]), " ".join(lines[free:])
        if free and len(below) <= self.title_room:
            return inside, below, True
        return "", detail, False  # cut in the border: nothing holds it whole

    def _detail(self) -> str:
        return adapter_text(one_line(self.stat.detail, 200)) if self.stat.known and self.stat.detail else ""

    @property
    def _inside_width(self) -> int:
        return max(1, self.content_region.width or self.title_room)

    def _free_lines(self, trend_yields: bool) -> int:
        """The card's lines under the count that the detail may take: the trend's (when there is no
        trend, or it yields) and the age's (when there is no age)."""
        count = self.stat.count
        if count is None:
            return 2
        return (1 if trend_yields or not self._spark() else 0) + (0 if count and self._oldest() else 1)

    def _detail_lines(self, detail: str, trend_yields: bool) -> list[str] | None:
        """The detail wrapped on the card's free lines, or None when it does not fit there."""
        free = self._free_lines(trend_yields)
        lines = textwrap.wrap(detail, self._inside_width) if free else []
        return lines if lines and len(lines) <= free else None

    def _spark(self) -> str:
        if self.now is None or self.stat.count is None:
            return ""
        width = max(1, self.content_region.width or 16)
        now = hist.slot_start(self.now, width, SPARK_SPAN) if low_bandwidth(self.app) else self.now
        return hist.sparkline(
            hist.resample(self.history, self.kind, now, width, SPARK_SPAN), glyphs(self.app).spark
        )

    def _oldest(self) -> str:
        if self.stat.oldest is None or self.now is None:
            return ""
        # by the minute: an age stepping every 10 s redrew all four cards (~3 KB to the terminal) each time
        return _("oldest {age}").format(age=age(self.now - self.stat.oldest, minutes=True))

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
        told = [
            Content.from_markup("[$text-muted]$t[/]", t=line)
            for line in self._detail_lines(self.inside_detail, self.trend_yields) or []
        ]
        if len(told) == 2:
            return Content("\n").join([first, *told])
        if told:  # one free line: where there is no history, else where there is no age
            return Content("\n").join(
                [first, told[0], third]
                if self.trend_yields or not self._spark()
                else [first, second, told[0]]
            )
        return Content("\n").join([first, second, third])

    def action_open(self) -> None:
        self.post_message(self.Selected(self.kind))

    def on_click(self, event: events.Click) -> None:
        self.focus()
        self.post_message(self.Selected(self.kind))
