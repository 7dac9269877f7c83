"""`synctui status [--json]`: each backend's verdict (and why) above its counts, sync log and jobs.

Exit 0 only when every backend is SAFE, 1 when the worst is WAITING, 2 ATTENTION, 3 UNKNOWN or no
agent to ask — a monitoring-plugins check, and the gate "Outbox and Conflicts clear" before an update.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
from datetime import UTC, datetime
from typing import Any

from synctui.cli import exits
from synctui.cli.changes import counted
from synctui.cli.common import action_title, age, clean, connect, say, verdict_lines, verdict_of, when
from synctui.config import Config
from synctui.model import AgentState, BackendView, QueueKind, QueueStat, to_data

QUEUE_NAMES = {
    QueueKind.OUTBOX: "Outbox",
    QueueKind.INBOX: "Inbox",
    QueueKind.ADMIN: "Admin",
    QueueKind.CONFLICTS: "Conflicts",
}
NOT_KNOWN = "? (not known yet)"


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    parser = sub.add_parser(
        "status",
        parents=[common],
        help="each backend's verdict, queue counts, sync log and jobs (exit 0 only when all is safe)",
    )
    parser.add_argument("--json", action="store_true", help="print JSON instead of text")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace, config: Config) -> int:
    import asyncio

    from synctui.client import AgentRefused, AgentUnavailable

    async def fetch() -> AgentState:
        client = connect(config, timeout=5.0)
        try:
            return await client.state()
        finally:
            await client.aclose()

    try:
        state = asyncio.run(fetch())
    except AgentUnavailable as exc:
        say(f"synctui: {clean(str(exc))}")
        return exits.UNKNOWN
    except AgentRefused as exc:
        say(f"synctui: the agent refused: {clean(exc.message)}")
        return exits.UNKNOWN
    now = datetime.now(UTC)
    state = judged(state, now)
    level = overall(state)
    if args.json:
        data = to_data(state)
        data["verdict"] = level.value
        print(json.dumps(data, indent=2))
    else:
        print(format_status(state, now))
    return level.exit_code


def judged(state: AgentState, now: datetime) -> AgentState:
    """The state with a verdict on every backend (the agent's, or judged here for an older agent)."""
    views = [dataclasses.replace(v, verdict=verdict_of(v, now)) for v in state.backends]
    return dataclasses.replace(state, backends=views)


def overall(state: AgentState) -> Any:
    from synctui.verdict import worst

    return worst(v.verdict for v in state.backends if v.verdict is not None)


def count_text(stat: QueueStat) -> str:
    """A count as a person may read it: unknown is never 0 and never n/a."""
    if not stat.known:
        return NOT_KNOWN
    return "n/a" if stat.count is None else f"{stat.count:,}"


def format_status(state: AgentState, now: datetime) -> str:
    """The text of `synctui status` for a state whose views carry their verdict (see `judged`)."""
    level = overall(state)
    marks = ", ".join(
        f"{clean(v.snapshot.backend)} {v.verdict.level.name}" for v in state.backends if v.verdict
    )
    lines = [f"Overall: {level.name}" + (f" ({marks})" if marks else "")]
    if not state.backends:
        lines.append("No backends configured. Add [[backends]] to the config, or try `synctui demo`.")
    for view in state.backends:
        lines.append("")
        lines.extend(backend_lines(view, now))
    for plugin in state.plugins:
        if plugin.error:
            lines.append(f"Broken plugin {clean(plugin.name)}: {clean(plugin.error)}")
    return "\n".join(lines)


def backend_lines(view: BackendView, now: datetime) -> list[str]:
    """One backend as `synctui status` prints it: its health, verdict and reasons, counts, sync log,
    jobs and last action (control characters in its texts shown as escapes)."""
    lines: list[str] = []
    snap = view.snapshot
    health = "online" if snap.health.online and not snap.stale else "OFFLINE"
    if snap.stale and snap.health.online:
        health = "stale"
    lines.append(f"{clean(snap.backend)} ({clean(snap.kind)})  {health}  data of {when(snap.taken_at, now)}")
    if view.verdict is not None:
        lines.extend(verdict_lines(view.verdict, snap.backend))
    for stat in snap.queues:
        label = clean(stat.label) or QUEUE_NAMES[stat.kind]
        extra = f"   oldest {age(stat.oldest, now)}" if stat.known and stat.count and stat.oldest else ""
        detail = f"   ({clean(stat.detail)})" if stat.detail else ""
        lines.append(f"  {label:<22} {count_text(stat):>6}{extra}{detail}")
    if snap.log:
        lines.append("  Sync log:")
        for row in snap.log:
            mark = {"ok": "", "warning": "  [old]", "error": "  [TOO OLD]"}[
                snap.thresholds.level(row.last_success, now)
            ]
            name = clean(row.record_type) + (f" {clean(row.filter)}" if row.filter else "")
            lines.append(f"    {name[:40]:<40} last success {when(row.last_success, now)}{mark}")
            if row.last_error:
                lines.append(f"      error: {clean(row.last_error.splitlines()[0])[:100]}")
    if snap.jobs:
        lines.append("  Jobs:")
        for job in snap.jobs:
            running = job.progress is not None and job.state == "running"
            progress = f" {job.progress:.0%}" if running else ""
            finished = f", last finished {when(job.last_finish, now)}" if job.last_finish else ""
            message = f" — {clean(job.message)}" if job.message else ""
            lines.append(f"    {clean(job.name)[:40]:<40} {job.state.value}{progress}{finished}{message}")
    if view.action:
        lines.append("  " + action_line(view.action, now))
    return lines


def action_line(action: Any, now: datetime) -> str:
    title = action_title(action.action)
    if action.state == "running":
        message = clean(action.progress.message) if action.progress else ""
        return f"Action: {title} running since {when(action.started, now)}" + (
            f" — {message}" if message else ""
        )
    ended = f" {age(action.finished, now)} ago" if action.finished else ""
    if action.state == "failed" or action.ok is False:
        why = action.rejection.message if action.rejection else action.message
        return f"Last action: {title} {action.state.upper()}{ended}" + (f" — {clean(why)}" if why else "")
    what = counted(action.action, action.counts)
    return f"Last action: {title} finished{ended}" + (f" — {what}" if what else "")
