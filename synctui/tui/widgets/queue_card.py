"""One queue card: label, count, trend, oldest age, stuck badge.

The count is "n/a" when the backend has no such queue, and "?" with "not known yet" and the reason
when the queue exists but its count is not known (before the first good refresh): never 0.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from textual import events
from textual.binding import Binding
from textual.content import Content
from textual.message import Message
from textual.widget import Widget

from synctui.model import DepthPoint, QueueKind, QueueStat
from synctui.tui import history as hist
from synctui.tui.bindings import bindings_for
from synctui.tui.format import age, count_text, one_line, queue_label
from synctui.tui.look import glyphs

SPARK_SPAN = timedelta(hours=6)


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
    BINDINGS: list[Binding] = bindings_for("card")

    class Selected(Message):
        def __init__(self, kind: QueueKind) -> None:
            super().__init__()
            self.kind = kind

    def __init__(self, kind: QueueKind, **kwargs) -> None:
        super().__init__(**kwargs)
        self.kind = kind
        self.stat = QueueStat(kind=kind, count=None, known=False)
        self.why_unknown = "waiting for the agent's first report"
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
        self.why_unknown = why_unknown or "waiting for the first refresh"
        self.history = history or ()
        self.now = now
        self.stale = stale
        self.stuck = stuck
        title = Content(queue_label(stat, self.kind))  # literal: a backend names it
        subtitle = Content(one_line(stat.detail, 40)) if stat.detail else None
        if title != self.border_title:  # each assignment repaints the card
            self.border_title = title
        if subtitle != self.border_subtitle:
            self.border_subtitle = subtitle
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

    def render(self) -> Content:
        g = glyphs(self.app)
        stat = self.stat
        if not stat.known:
            return Content("\n").join(
                [
                    Content.assemble(("?", "bold $accent"), " ", ("not known yet", "$accent")),
                    Content.assemble((one_line(stat.detail or self.why_unknown, 200), "$text-muted")),
                ]
            )
        count = stat.count
        if count is None:
            first = Content.from_markup("[b]n/a[/b] [$text-muted]not kept here[/]")
        else:
            style = "$error bold" if self.kind == QueueKind.CONFLICTS and count else "bold"
            first = Content.assemble((count_text(count), style))
            if self.stuck:
                first = Content.assemble(first, "  ", (f" {g.warning} stuck ", "$warning bold reverse"))
        width = max(1, self.content_region.width or 16)
        spark = ""
        if self.now is not None and count is not None:
            values = hist.resample(self.history, self.kind, self.now, width, SPARK_SPAN)
            spark = hist.sparkline(values, g.spark)
        second = (
            Content.assemble((spark, "$primary"))
            if spark
            else Content.from_markup("[$text-muted]no history[/]")
        )
        if count is None:
            second = Content("")
        third = Content("")
        if count and stat.oldest is not None and self.now is not None:
            third = Content(f"oldest {age(self.now - stat.oldest)}")
        elif count == 0:
            third = Content.from_markup("[$text-muted]empty[/]")
        return Content("\n").join([first, second, third])

    def action_open(self) -> None:
        self.post_message(self.Selected(self.kind))

    def on_click(self, event: events.Click) -> None:
        self.focus()
        self.post_message(self.Selected(self.kind))
