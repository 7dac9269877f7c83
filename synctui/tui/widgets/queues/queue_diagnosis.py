"""One line per stuck or rejected queue of the selected backend, with the key of the next step:
"2 rejected: 1 business rule (422), 1 conflict (409) — press 4 to review" (`synctui.diagnosis`)."""

from __future__ import annotations

from datetime import datetime

from textual.app import App
from textual.content import Content

from synctui.diagnosis import DASH, Diagnosis, diagnoses, step_words
from synctui.i18n import _
from synctui.model import BackendView, QueueKind
from synctui.tui.changes import offers
from synctui.tui.format import safe
from synctui.tui.look import glyphs
from synctui.tui.step_keys import step_keys
from synctui.tui.widgets.shared.steady_static import SteadyStatic


def how(app: App, backend: str, diagnosis: Diagnosis) -> str:
    """ "press 4 to review"; where no sync is offered (read-only), the key that opens the stuck queue;
    "" when no key takes the step (remapped away)."""
    action = diagnosis.action_when(offers(app, backend, "synchronize"))
    keys = step_keys(app, action)
    return (
        _("press {keys} to {step}").format(keys=_(" then ").join(keys), step=step_words(action))
        if keys
        else ""
    )


class QueueDiagnosis(SteadyStatic):
    DEFAULT_CSS = """
    QueueDiagnosis { height: auto; max-height: 4; padding: 0 1; display: none; }
    QueueDiagnosis.-shown { display: block; }
    """

    def show(self, view: BackendView | None, now: datetime) -> None:
        found = diagnoses(view, now) if view is not None else []
        self.set_class(bool(found), "-shown")
        if view is None or not found:
            self.update("")
            return
        g = glyphs(self.app)
        width = max(20, (self.content_region.width or self.app.size.width - 2) - 2)
        backend = view.snapshot.backend
        lines = []
        for d in found:
            rejected = d.queue is QueueKind.CONFLICTS
            style = "$error" if rejected else "$warning"
            step = how(self.app, backend, d)
            # A head longer than the line (French, Swahili) would lose its end, the age: two lines instead.
            room = width if len(d.head) + len(DASH) + len(step) <= width else 2 * width
            lines.append(
                Content.assemble(
                    (f"{g.error if rejected else g.warning} ", f"{style} bold"),
                    (safe(d.line(step, room)), style),
                )
            )
        self.update(Content("\n").join(lines))
