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

from synctui.actions import action, offered
from synctui.cli import exits
from synctui.cli.changes import counted
from synctui.cli.common import (
    action_title,
    age,
    clean,
    connect,
    say,
    step_command,
    verdict_lines,
    verdict_of,
    when,
)
from synctui.config import Config
from synctui.diagnosis import diagnoses, step_words
from synctui.i18n import _, adapter_text, number
from synctui.model import JOB_STATE_WORDS, QUEUE_NAMES, AgentState, BackendView, QueueStat, to_data
from synctui.verdict import stuck_queues

WIDTH = 80


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    parser = sub.add_parser(
        "status",
        parents=[common],
        help=_("each backend's verdict, queue counts, sync log and jobs (exit 0 only when all is safe)"),
    )
    parser.add_argument("--json", action="store_true", help=_("print JSON instead of text"))
    parser.set_defaults(func=run)


def run(args: argparse.Namespace, config: Config) -> int:
    import asyncio

    from synctui.client_interface import AgentRefused, AgentUnavailable

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
        say("synctui: " + _("the agent refused: {reason}").format(reason=clean(exc.message)))
        return exits.UNKNOWN
    now = datetime.now(UTC)
    state = judged(state, now)
    level = overall(state)
    if args.json:
        print(json.dumps(status_data(state, now), indent=2))
    else:
        print(format_status(state, now))
    return level.exit_code


def status_data(state: AgentState, now: datetime) -> dict[str, Any]:
    """The JSON of `status --json`: the state, the worst level, and on each backend its diagnoses and
    on each queue whether it is stuck (and since when its count has not changed)."""
    data = to_data(state)
    data["verdict"] = overall(state).value
    for view, backend in zip(state.backends, data["backends"], strict=True):
        stuck = {s.stat.kind.value: s.since.isoformat() for s in stuck_queues(view, now)}
        for queue in backend["snapshot"]["queues"]:
            queue["stuck"] = queue["kind"] in stuck
            queue["unchanged_since"] = stuck.get(queue["kind"])
        backend["diagnoses"] = [
            {"queue": d.queue.value, "line": d.line("", WIDTH), "action": d.action}
            for d in diagnoses(view, now)
        ]
    return data


def diagnosis_lines(
    view: BackendView, state: AgentState, now: datetime, said: frozenset[str] = frozenset()
) -> list[str]:
    """The dashboard's one-line diagnosis of each stuck or rejected queue, then the command that takes
    its next step; what the verdict's reasons already said (`said`: their lines and commands) is not
    said again."""
    can_sync = offered(
        action("synchronize"),
        view.snapshot.capabilities,
        readonly=state.readonly,
        readonly_allows_sync=state.readonly_allows_sync,
    )
    lines = []
    for d in diagnoses(view, now):
        step = d.action_when(can_sync)
        command = step_command(step, view.snapshot.backend)
        if command in said:
            if not d.parts or clean(d.line("", WIDTH - 2)) in said:
                continue  # no breakdown to add to the reason that gave this command
            command = ""
        how = _("to {step}, run:").format(step=step_words(step)) if command else ""
        lines.append("  " + clean(d.line(how, WIDTH - 2)))
        if command:
            lines.append(f"      {command}")
    return lines


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
        return _("? (not known yet)")
    return _("n/a") if stat.count is None else number(stat.count)


def format_status(state: AgentState, now: datetime) -> str:
    """The text of `synctui status` for a state whose views carry their verdict (see `judged`)."""
    level = overall(state)
    marks = ", ".join(
        f"{clean(v.snapshot.backend)} {v.verdict.level.name}" for v in state.backends if v.verdict
    )
    lines = [_("Overall: {level}").format(level=level.name) + (f" ({marks})" if marks else "")]
    if not state.backends:
        lines.append(_("No backends configured. Add [[backends]] to the config, or try `synctui demo`."))
    for view in state.backends:
        lines.append("")
        lines.extend(backend_lines(view, state, now))
    for plugin in state.plugins:
        if plugin.error:
            lines.append(
                _("Broken plugin {name}: {error}").format(name=clean(plugin.name), error=clean(plugin.error))
            )
    return "\n".join(lines)


def backend_lines(view: BackendView, state: AgentState, now: datetime) -> list[str]:
    """One backend as `synctui status` prints it: its health, verdict and reasons, the diagnosis of each
    stuck or rejected queue, counts, sync log, jobs and last action (control characters in its texts
    shown as escapes)."""
    lines: list[str] = []
    snap = view.snapshot
    health = _("online") if snap.health.online and not snap.stale else _("OFFLINE")
    if snap.stale and snap.health.online:
        health = _("stale")
    data_of = _("data of {time}").format(time=when(snap.taken_at, now))
    lines.append(f"{clean(snap.backend)} ({clean(snap.kind)})  {health}  {data_of}")
    said: frozenset[str] = frozenset()
    if view.verdict is not None:
        lines.extend(verdict_lines(view.verdict, snap.backend))
        reasons = view.verdict.reasons
        said = frozenset(clean(r.line) for r in reasons) | frozenset(
            step_command(r.action, snap.backend) for r in reasons if r.next_step
        )
    lines.extend(diagnosis_lines(view, state, now, said))
    stuck = {s.stat.kind: s.since for s in stuck_queues(view, now)}
    for stat in snap.queues:
        label = adapter_text(clean(stat.label)) or QUEUE_NAMES[stat.kind]
        extra = (
            "   " + _("oldest {age}").format(age=age(stat.oldest, now))
            if stat.known and stat.count and stat.oldest
            else ""
        )
        if stat.kind in stuck:
            extra += "   " + _("STUCK (unchanged for {age})").format(age=age(stuck[stat.kind], now))
        detail = f"   ({adapter_text(clean(stat.detail))})" if stat.detail else ""
        lines.append(f"  {label:<22} {count_text(stat):>6}{extra}{detail}")
    if snap.log:
        lines.append("  " + _("Sync log:"))
        for row in snap.log:
            mark = {"ok": "", "warning": "  " + _("[old]"), "error": "  " + _("[TOO OLD]")}[
                snap.thresholds.level(row.last_success, now)
            ]
            name = clean(row.record_type) + (f" {clean(row.filter)}" if row.filter else "")
            success = _("last success {time}").format(time=when(row.last_success, now))
            lines.append(f"    {name[:40]:<40} {success}{mark}")
            if row.last_error:
                error = _("error: {message}").format(message=clean(row.last_error.splitlines()[0])[:100])
                lines.append(f"      {error}")
    jobs = ([view.sync_schedule] if view.sync_schedule is not None else []) + snap.jobs
    if jobs:
        lines.append("  " + _("Jobs:"))
        for job in jobs:
            running = job.progress is not None and job.state == "running"
            progress = f" {job.progress:.0%}" if running else ""
            finished = (
                _(", last finished {time}").format(time=when(job.last_finish, now)) if job.last_finish else ""
            )
            upcoming = (
                _(", next run {time}").format(time=when_next(job.next_run, now)) if job.next_run else ""
            )
            message = f" — {clean(job.message)}" if job.message else ""
            state = JOB_STATE_WORDS[job.state]
            lines.append(f"    {clean(job.name)[:40]:<40} {state}{progress}{finished}{upcoming}{message}")
    if view.action:
        lines.append("  " + action_line(view.action, now))
    return lines


def when_next(moment: datetime, now: datetime) -> str:
    """A time to come: "2026-03-10 09:42:00 (in 12 min)", or "due now" once it has passed."""
    time = f"{moment.astimezone():%Y-%m-%d %H:%M:%S}"
    if moment <= now:
        return _("{time} (due now)").format(time=time)
    return _("{time} (in {age})").format(time=time, age=age(now, moment))


def action_line(action: Any, now: datetime) -> str:
    title = action_title(action.action)
    if action.state == "running":
        message = clean(action.progress.message) if action.progress else ""
        return _("Action: {title} running since {time}").format(
            title=title, time=when(action.started, now)
        ) + (f" — {message}" if message else "")
    if action.state == "failed" or action.ok is False:
        why = action.rejection.message if action.rejection else action.message
        state = _("FAILED") if action.state == "failed" else _("DONE")
        if action.finished:
            line = _("Last action: {title} {state} {age} ago").format(
                title=title, state=state, age=age(action.finished, now)
            )
        else:
            line = _("Last action: {title} {state}").format(title=title, state=state)
        return line + (f" — {clean(why)}" if why else "")
    what = counted(action.action, action.counts)
    if action.finished:
        line = _("Last action: {title} finished {age} ago").format(title=title, age=age(action.finished, now))
    else:
        line = _("Last action: {title} finished").format(title=title)
    return line + (f" — {what}" if what else "")
