"""The verdict of the selected backend in one place: "All synced" only when it is SAFE; otherwise the
verdict's level, its first reason and the next step (naming the key)."""

from __future__ import annotations

from datetime import datetime

from textual.content import Content

from synctui.i18n import _, colon, ngettext
from synctui.model import AgentState, BackendView, Level, Verdict
from synctui.tui.format import ago, clock_time, one_line, safe
from synctui.tui.look import LEVEL_STYLE, glyphs, low_bandwidth
from synctui.tui.step_keys import step_with_keys
from synctui.tui.widgets.shared.steady_static import SteadyStatic
from synctui.verdict import LEVEL_WORDS

LINES = 3  # the banner's height at most
AGED_REASONS = frozenset({"not-refreshed-yet", "refresh-failing", "data-late"})  # lines that say how old


def last_sync(view: BackendView) -> datetime | None:
    times = [row.last_success for row in view.snapshot.log if row.last_success is not None]
    action = view.action
    if action is not None and action.action == "synchronize" and action.ok and action.finished:
        times.append(action.finished)
    return max(times) if times else None


class AllSyncedBanner(SteadyStatic):
    DEFAULT_CSS = """
    AllSyncedBanner { height: auto; max-height: 3; padding: 0 1; }
    AllSyncedBanner.-synced {
        height: 3; content-align: center middle; text-style: bold;
        background: $success; color: auto 100%;
    }
    AllSyncedBanner.-waiting { background: $boost; }
    AllSyncedBanner.-attention { background: $error 15%; }
    AllSyncedBanner.-unknown { background: $accent 15%; }
    """

    def show(
        self,
        state: AgentState,
        view: BackendView | None,
        verdict: Verdict | None,
        now: datetime,
        all_safe: bool = False,
    ) -> None:
        """`verdict`: the selected backend's, as the app judged it; `all_safe`: every backend is SAFE."""
        g = glyphs(self.app)
        level = verdict.level if verdict is not None and view is not None else None
        self.set_class(level is Level.SAFE, "-synced")
        self.set_class(level in (Level.WAITING, None), "-waiting")
        self.set_class(level is Level.ATTENTION, "-attention")
        self.set_class(level is Level.UNKNOWN, "-unknown")
        if view is None or verdict is None:
            if not state.backends:
                self.update(
                    Content.assemble(
                        (_("No backends configured."), "bold"),
                        " ",
                        _("Add [[backends]] to the config (see README), or run synctui demo."),
                    )
                )
            else:
                self.update(Content.assemble((_("Waiting for the agent's first report…"), "$text-muted")))
            return
        if verdict.level is Level.SAFE:
            when = last_sync(view)
            text = f"{g.ok} {LEVEL_WORDS[Level.SAFE]}"
            if when is not None:
                text += f" {g.dash} " + _("last sync {time}").format(time=clock_time(when, now))
            if len(state.backends) > 1:
                text += " " + _("(all backends)") if all_safe else f" ({safe(view.snapshot.backend)})"
            self.update(Content(text))
            return
        style = LEVEL_STYLE[verdict.level]
        head = f"{g.level(verdict.level)} {LEVEL_WORDS[verdict.level]}"
        aged = bool(verdict.reasons) and verdict.reasons[0].code in AGED_REASONS
        if verdict.level is Level.UNKNOWN and not aged:  # how old the numbers shown are
            head += " " + _("(last data {age})").format(
                age=ago(view.snapshot.taken_at, now, minutes=low_bandwidth(self.app))
            )
        if not verdict.reasons:
            self.update(Content.assemble((head, f"{style} bold"), colon() + one_line(verdict.summary, 200)))
            return
        first = verdict.reasons[0]
        more = (
            ngettext(" (+{n} more)", " (+{n} more)", len(verdict.reasons) - 1).format(
                n=len(verdict.reasons) - 1
            )
            if len(verdict.reasons) > 1
            else ""
        )
        fits = LINES * max(40, (self.content_region.width or self.app.size.width - 2) - 2)
        room = fits - len(head) - len(more) - 4
        line = colon() + one_line(first.line, room - 40)  # the reason first; the next step gets the rest
        if first.line.lower().startswith(LEVEL_WORDS[verdict.level].lower()):  # "Not known yet: …"
            head, line = f"{g.level(verdict.level)}", f" {one_line(first.line, room - 40)}"
        room = max(40, room - len(line))
        self.update(
            Content.assemble(
                (head, f"{style} bold"),
                (line, "bold"),
                (more, "$text-muted"),
                f" {g.dash} {one_line(step_with_keys(self.app, first.next_step, first.action), room)}"
                if first.next_step
                else "",
            )
        )
