"""The "All synced" banner, or the one-line summary of what is still waiting."""

from __future__ import annotations

from datetime import datetime

from textual.content import Content

from synctui.model import AgentState, BackendView, QueueKind
from synctui.tui.format import clock_time
from synctui.tui.look import glyphs
from synctui.tui.widgets.steady_static import SteadyStatic

_WORDS = {
    QueueKind.OUTBOX: "waiting to send",
    QueueKind.INBOX: "to receive",
    QueueKind.ADMIN: "admin messages",
    QueueKind.CONFLICTS: "rejected",
}


def last_sync(view: BackendView) -> datetime | None:
    times = [row.last_success for row in view.snapshot.log if row.last_success is not None]
    action = view.action
    if action is not None and action.action == "synchronize" and action.ok and action.finished:
        times.append(action.finished)
    return max(times) if times else None


def waiting_summary(view: BackendView) -> list[str]:
    parts = []
    for kind in (QueueKind.OUTBOX, QueueKind.CONFLICTS, QueueKind.INBOX, QueueKind.ADMIN):
        count = view.snapshot.queue(kind).count
        if count:
            parts.append(f"{count:,} {_WORDS[kind]}")
    return parts


def not_synced_reason(view: BackendView, agent_error: str | None) -> str:
    snapshot = view.snapshot
    if agent_error:
        return "agent unreachable: showing the last data it sent"
    if snapshot.health is not None and not snapshot.health.online:
        return "the backend is offline"
    if snapshot.stale:
        return "the data is stale: the agent could not refresh it"
    return "some record types have not synced recently (see the log)"


class AllSyncedBanner(SteadyStatic):
    DEFAULT_CSS = """
    AllSyncedBanner { height: auto; padding: 0 1; }
    AllSyncedBanner.-synced {
        height: 3; content-align: center middle; text-style: bold;
        background: $success; color: auto 100%;
    }
    AllSyncedBanner.-waiting { background: $boost; }
    """

    def show(
        self, state: AgentState, view: BackendView | None, now: datetime, agent_error: str | None
    ) -> None:
        g = glyphs(self.app)
        synced = view is not None and agent_error is None and view.snapshot.all_synced
        self.set_class(synced, "-synced")
        self.set_class(not synced, "-waiting")
        if view is None:
            if not state.backends:
                self.update(
                    Content.from_markup(
                        "[bold]No backends configured.[/] Add [[backends]] to the config "
                        "(see README), or run [bold]synctui demo[/]."
                    )
                )
            else:
                self.update(Content.from_markup("[$text-muted]Waiting for the agent's first report…[/]"))
            return
        if synced:
            when = last_sync(view)
            text = f"{g.ok} All synced"
            if when is not None:
                text += f" {g.dash} last sync {clock_time(when, now)}"
            if len(state.backends) > 1:
                text += " (all backends)" if state.all_synced else f" ({view.snapshot.backend})"
            self.update(Content(text))
            return
        parts = waiting_summary(view)
        if parts:
            line = Content.assemble(
                *_join([(p, "$error bold" if "rejected" in p else "bold") for p in parts], " · ")
            )
        else:
            line = Content.assemble(
                ("Nothing queued, but not confirmed synced: ", "bold"), not_synced_reason(view, agent_error)
            )
        self.update(line)


def _join(items: list[tuple[str, str]], sep: str) -> list[tuple[str, str] | str]:
    out: list[tuple[str, str] | str] = []
    for index, item in enumerate(items):
        if index:
            out.append(sep)
        out.append(item)
    return out
