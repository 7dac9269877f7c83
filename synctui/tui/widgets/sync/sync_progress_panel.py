"""A sync running in the background (or hung) on the main screen: overall bar, steps, message."""

from __future__ import annotations

from textual.content import Content

from synctui.i18n import _, number
from synctui.model import BackendView, SyncProgress
from synctui.tui.format import bar, one_line
from synctui.tui.look import Glyphs, glyphs
from synctui.tui.widgets.shared.steady_static import SteadyStatic
from synctui.verdict import sync_running


def steps_text(progress: SyncProgress, g: Glyphs) -> str:
    parts = []
    for step in progress.steps:
        if step.finished:
            parts.append(f"{step.name} {g.ok}")
        elif step.failed:
            parts.append(f"{step.name} {g.error}")
        elif step.started:
            counts = f" {number(step.done or 0)}/{number(step.total)}" if step.total else ""
            parts.append(f"{step.name}{counts}")
    return " · ".join(parts)


def sync_progress(view: BackendView | None) -> SyncProgress | None:
    """The sync to show: a running Synchronize Now's own progress (what its dialog shows, pushed with
    every step), else what the backend reported at the last refresh, which lags it."""
    if view is None:
        return None
    action = view.action if sync_running(view) else None
    return (action.progress if action is not None else None) or view.snapshot.progress


def shown(progress: SyncProgress | None) -> bool:
    return progress is not None and (progress.running or progress.hung)


class SyncProgressPanel(SteadyStatic):
    DEFAULT_CSS = """
    SyncProgressPanel { height: auto; max-height: 3; padding: 0 1; display: none; background: $boost; }
    SyncProgressPanel.-shown { display: block; }
    SyncProgressPanel.-hung { background: $warning 20%; }
    """

    def show(self, progress: SyncProgress | None) -> None:
        visible = shown(progress)
        self.set_class(visible, "-shown")
        self.set_class(visible and bool(progress and progress.hung), "-hung")
        if not visible or progress is None:
            return
        g = glyphs(self.app)
        steps = one_line(steps_text(progress, g), 200)
        if progress.hung:
            head = Content.assemble(
                (" " + g.warning + " " + _("Sync appears hung") + " ", "$warning bold reverse"),
                " ",
                (
                    one_line(progress.message, 200) or _("no progress and no error for a long time"),
                    "$warning bold",
                ),
            )
            self.update(Content.assemble(head, "\n", (steps, "$text-muted")) if steps else head)
            return
        fraction = progress.fraction
        percent = f" {round(fraction * 100)}%" if fraction is not None else ""
        head = Content.assemble(
            (g.running + " " + _("Syncing") + " ", "$primary bold"),
            (bar(fraction, 16, g.bar_full, g.bar_empty), "$primary"),
            percent,
            "  ",
            one_line(progress.message, 80),
        )
        self.update(Content.assemble(head, "\n", (steps, "$text-muted")) if steps else head)
