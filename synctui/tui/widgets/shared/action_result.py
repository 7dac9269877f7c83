"""The outcome of a change action, counted ("3 re-queued, 2 still rejected"), then one line per entry
(done, or why not). Marked as a success only when the agent says everything asked for was done.
Shown where the eye is: scrolled into view, and a refusal also as a notification."""

from __future__ import annotations

from textual.content import Content
from textual.widgets import Static

from synctui.actions import ActionSpec
from synctui.i18n import _, labelled
from synctui.model import ActionResult
from synctui.tui.changes import result_line
from synctui.tui.format import one_line, safe
from synctui.tui.look import glyphs

MAX_LINES = 50


class ActionResultView(Static):
    DEFAULT_CSS = """
    ActionResultView { height: auto; max-height: 8; padding: 0 1; display: none; overflow-y: auto; }
    ActionResultView.-shown { display: block; }
    ActionResultView.-ok { border: round $success; }
    ActionResultView.-failed { border: round $error; }
    """

    def __init__(self, **kwargs) -> None:
        super().__init__("", **kwargs)
        self.border_title = _("Result")
        self.text = ""

    def _show(self, ok: bool, content: Content) -> None:
        self.set_class(True, "-shown")
        self.set_class(ok, "-ok")
        self.set_class(not ok, "-failed")
        self.text = content.plain
        self.update(content)
        # Where the eye is: a result above a scrolled list would otherwise land out of sight.
        self.call_after_refresh(self.scroll_visible, animate=False)

    def show_error(self, what: str, error: str) -> None:
        """A refusal or failure: here, and as a notification (it may come after the screen moved on)."""
        g = glyphs(self.app)
        self.app.notify(labelled(what, one_line(error, 200)), severity="error", timeout=8, markup=False)
        self._show(
            False,
            Content.assemble(
                (f"{g.error} {safe(what)}: ", "$error bold"), (safe(error, multiline=True), "$error")
            ),
        )

    def show_result(self, spec: ActionSpec, result: ActionResult) -> None:
        g = glyphs(self.app)
        style = "$success bold" if result.ok else "$error bold"
        lines = [
            Content.assemble(
                (f"{g.ok if result.ok else g.error} {spec.label}: ", style), result_line(spec.name, result)
            )
        ]
        for entry in result.results[:MAX_LINES]:
            why = entry.message
            if entry.rejection is not None:
                why = f"{why} · {entry.rejection.message}" if why else entry.rejection.message
                if entry.rejection.advice:
                    why += f" ({entry.rejection.advice})"
            lines.append(
                Content.assemble(
                    (f"  {g.ok if entry.ok else g.error} ", "$success" if entry.ok else "$error"),
                    (one_line(entry.id, 40), "bold"),
                    f" {one_line(why, 200)}",
                )
            )
        if len(result.results) > MAX_LINES:
            lines.append(Content(f"  … and {len(result.results) - MAX_LINES} more"))
        self._show(result.ok, Content("\n").join(lines))

    def clear_result(self) -> None:
        self.set_class(False, "-shown")
        self.text = ""
