"""Problems that must not be missed: agent unreachable, backend offline or stale, refused credentials,
plugins that failed (what the verdict banner below already says is not repeated)."""

from __future__ import annotations

from datetime import datetime

from textual.content import Content

from synctui.i18n import _
from synctui.model import AgentState, BackendView, Verdict
from synctui.tui.format import ago, clock_time, one_line, safe
from synctui.tui.look import glyphs, low_bandwidth
from synctui.tui.widgets.shared.steady_static import SteadyStatic


def notices(
    state: AgentState | None,
    view: BackendView | None,
    agent_error: str | None,
    now: datetime,
    verdict: Verdict | None = None,
    *,
    minutes: bool = False,
) -> list[tuple[str, str]]:
    """(level, text) lines, most serious first. With the selected backend's `verdict`, what its
    banner already says (agent unreachable, offline, stale, not read yet) is not repeated here.
    `minutes`: ages in steps of a minute (`synctui.tui.format.age`)."""
    out: list[tuple[str, str]] = []
    said = {r.code for r in verdict.reasons[:1]} if verdict is not None else set()
    if agent_error and "agent-unreachable" not in said:
        text = _("agent unreachable: {error}").format(error=one_line(agent_error, 160))
        if state is not None:
            text += " — " + _("retrying; the data below is stale")
        out.append(("error", text))
    if view is not None and not said & {"never-refreshed", "offline", "refresh-failing", "agent-unreachable"}:
        snapshot = view.snapshot
        health = snapshot.health
        taken = _("last data {age} ({time})").format(
            age=ago(snapshot.taken_at, now, minutes=minutes), time=clock_time(snapshot.taken_at, now)
        )
        if health is not None and not health.online:
            reason = health.error.message if health.error is not None else _("cannot reach its server")
            advice = f" {health.error.advice}" if health.error is not None and health.error.advice else ""
            sentence = one_line(reason, 120).rstrip(".")
            offline = _("{backend} offline: {reason}.").format(backend=snapshot.backend, reason=sentence)
            out.append(("error", f"{offline}{advice} {taken}"))
        elif snapshot.stale:
            reason = health.error.message if health is not None and health.error is not None else ""
            text = _("{backend} stale: the agent could not refresh it").format(backend=snapshot.backend)
            text += f" ({one_line(reason, 100)})" if reason else ""
            out.append(("warning", f"{text}. {taken}"))
        elif health is not None and health.auth_ok is False:
            out.append(
                (
                    "error",
                    _("{backend}: credentials were refused; check the settings").format(
                        backend=snapshot.backend
                    ),
                )
            )
    for plugin in state.plugins if state is not None else []:
        if plugin.error:
            failed = _("plugin {name} failed to load: {error}")
            out.append(("warning", failed.format(name=plugin.name, error=one_line(plugin.error, 120))))
    return out


class StatusBanner(SteadyStatic):
    DEFAULT_CSS = """
    StatusBanner { height: auto; max-height: 3; padding: 0 1; display: none; }
    StatusBanner.-shown { display: block; }
    """

    def show(
        self,
        state: AgentState | None,
        view: BackendView | None,
        agent_error: str | None,
        now: datetime,
        verdict: Verdict | None = None,
    ) -> None:
        g = glyphs(self.app)
        lines = notices(state, view, agent_error, now, verdict, minutes=low_bandwidth(self.app))
        self.set_class(bool(lines), "-shown")
        self.update(
            Content("\n").join(
                Content.assemble(
                    (f"{g.error if level == 'error' else g.warning} ", f"${level} bold"),
                    (safe(text), f"${level}"),
                )
                for level, text in lines
            )
        )
