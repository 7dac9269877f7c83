"""The one judgement of a backend: is everything recorded on this device safely on the server?

`judge()` is a pure function of what the agent knows about a backend (its snapshot, the queue-depth
history and the last long action) and the time. Everything that says "safe" reads it and nothing
else: the All-synced banner, the tab marks, the end of a sync, `synctui status` and its exit code,
`/metrics`. It is never SAFE by default: SAFE needs fresh data, a reachable server, a readable outbox
or conflicts queue, every existing queue at 0 and every sync-log row within its thresholds.

Levels, from best to worst, with the monitoring-plugins (Nagios/Icinga) exit codes:
SAFE 0 · WAITING 1 (records queued and moving) · ATTENTION 2 (conflicts, stuck, log past its error
threshold, sync failing) · UNKNOWN 3 (no fresh data: never refreshed, offline, refresh failing).
When the data is not fresh the level is UNKNOWN whatever the last data showed; the reasons drawn
from that last data are still listed, so a person sees what was last known.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import NamedTuple

from synctui.i18n import N_, Nn_, Words, _, colon, count_words, duration, labelled, language, ngettext, number
from synctui.model import (
    QUEUE_NAMES,
    BackendView,
    DepthPoint,
    Level,
    QueueKind,
    QueueStat,
    Reason,
    Snapshot,
    Verdict,
)

LATE_GRACE = timedelta(seconds=60)  # a refresh this late past its due time makes the data not fresh
MOVING_QUEUES = (QueueKind.OUTBOX, QueueKind.INBOX, QueueKind.ADMIN)  # what a sync empties by itself
LEVEL_WORDS = Words(  # how every client names a level
    {
        Level.SAFE: N_("All synced"),
        Level.WAITING: N_("Waiting"),
        Level.ATTENTION: N_("Needs attention"),
        Level.UNKNOWN: N_("Not known"),
    }
)


QUEUE_COUNTS = {
    QueueKind.OUTBOX: Nn_("{n} entry waiting to send", "{n} entries waiting to send"),
    QueueKind.INBOX: Nn_("{n} entry waiting to be received", "{n} entries waiting to be received"),
    QueueKind.ADMIN: Nn_("{n} admin message waiting", "{n} admin messages waiting"),
    QueueKind.CONFLICTS: Nn_("{n} entry rejected by the server", "{n} entries rejected by the server"),
}


# What happens to a queue's waiting entries, and what Synchronize Now does for them.
WAITING_STEPS = {
    QueueKind.OUTBOX: N_("They go with the next sync; Synchronize Now to send them at once."),
    QueueKind.INBOX: N_("They arrive with the next sync; Synchronize Now to receive them at once."),
    QueueKind.ADMIN: N_("They are handled with the next sync; Synchronize Now to do it at once."),
}


def queue_words(kind: QueueKind, n: int) -> str:
    """What N entries of a queue are, counted: "3 entries waiting to send"."""
    return count_words(QUEUE_COUNTS[kind], n)


def worst(verdicts: Iterable[Verdict]) -> Level:
    """The level of several backends together; UNKNOWN when there are none."""
    levels = [v.level for v in verdicts]
    return max(levels, key=lambda level: level.rank) if levels else Level.UNKNOWN


def judge(view: BackendView, now: datetime, *, agent_error: str | None = None) -> Verdict:
    """The verdict of one backend. `agent_error` is set by a client that lost its agent: what it shows
    is then the last data the agent sent."""
    snap = view.snapshot
    reasons: list[Reason] = []
    fresh = _freshness(view, now, agent_error, reasons)
    reasons.extend(_problems(view, now))
    if not fresh:
        level = Level.UNKNOWN
    else:
        level = max((r.level for r in reasons), key=lambda lv: lv.rank, default=Level.SAFE)
    if level is Level.SAFE and not _has_a_checked_queue(snap):
        level = Level.UNKNOWN
        reasons.append(
            Reason(
                Level.UNKNOWN,
                "no-queue",
                _(
                    "{backend} reports neither an outbox nor a conflicts count, so nothing can be confirmed"
                ).format(backend=snap.backend),
                _("Check the backend's plugin and options (synctui plugins)."),
            )
        )
    reasons.sort(key=lambda r: -r.level.rank)
    return Verdict(level, reasons, _summary(level, snap, reasons))


# --- freshness ------------------------------------------------------------------------------------


def _freshness(view: BackendView, now: datetime, agent_error: str | None, reasons: list[Reason]) -> bool:
    snap = view.snapshot
    never = never_read(snap)
    error = snap.health.error
    why = colon() + error.message.rstrip(". ") if error is not None and error.message else ""
    if agent_error:
        reasons.append(
            Reason(
                Level.UNKNOWN,
                "agent-unreachable",
                _("The agent does not answer ({error}); showing the last data it sent").format(
                    error=agent_error
                ),
                _("Start the agent (synctui agent) or check that it runs."),
            )
        )
        return False
    if never:
        reasons.append(
            Reason(
                Level.UNKNOWN,
                "never-refreshed",
                _("Not known yet: synctui has not read {backend} since the agent started").format(
                    backend=snap.backend
                )
                + why,
                (error.advice if error is not None and error.advice else "")
                or _("Wait for the first refresh, or refresh now."),
                "refresh",
            )
        )
        return False
    if snap.stale and error is None:
        reasons.append(
            Reason(
                Level.UNKNOWN,
                "not-refreshed-yet",
                _(
                    "Last known data of {backend}, from {age} ago: not refreshed since the agent started"
                ).format(backend=snap.backend, age=age_text(snap.taken_at, now)),
                _("Wait for the first refresh, or refresh now."),
                "refresh",
            )
        )
        return False
    if snap.stale:
        reasons.append(
            Reason(
                Level.UNKNOWN,
                "refresh-failing",
                _("Cannot refresh {backend}{why}; the numbers are from {age} ago").format(
                    backend=snap.backend, why=why, age=age_text(snap.taken_at, now)
                ),
                (error.advice if error is not None and error.advice else "")
                or _("synctui keeps trying; refresh now to try at once."),
                "refresh",
            )
        )
        return False
    if not snap.health.online:
        reasons.append(
            Reason(
                Level.UNKNOWN,
                "offline",
                _("{backend} cannot reach its server{why}; nothing queued can be confirmed").format(
                    backend=snap.backend, why=why
                ),
                (error.advice if error is not None and error.advice else "")
                or _("Check the network, then check the connection."),
                "check-connection",
            )
        )
        return False
    if view.next_refresh is not None and now - view.next_refresh > LATE_GRACE:
        reasons.append(
            Reason(
                Level.UNKNOWN,
                "data-late",
                _("No refresh of {backend} since {age} ago").format(
                    backend=snap.backend, age=age_text(snap.taken_at, now)
                ),
                _("The agent may be overloaded or stopped; refresh now, or restart it."),
                "refresh",
            )
        )
        return False
    unknown = [q for q in snap.queues if not q.known]
    if unknown:
        names = ", ".join(_queue_name(q) for q in unknown)
        reasons.append(
            Reason(
                Level.UNKNOWN,
                "count-unknown",
                _("{backend} could not count: {queues}").format(backend=snap.backend, queues=names),
                _("Refresh now; if it stays unknown, see the backend's details."),
                "refresh",
            )
        )
        return False
    return True


def never_read(snap: Snapshot) -> bool:
    """The agent's placeholder before the first good refresh: no queue is known."""
    return bool(snap.queues) and all(not q.known for q in snap.queues)


def _has_a_checked_queue(snap: Snapshot) -> bool:
    return any(
        q.known and q.count is not None
        for q in snap.queues
        if q.kind in (QueueKind.OUTBOX, QueueKind.CONFLICTS)
    )


# --- what the (last) data shows --------------------------------------------------------------------


def _problems(view: BackendView, now: datetime) -> list[Reason]:
    snap = view.snapshot
    if never_read(snap):
        return []
    reasons: list[Reason] = []
    conflicts = snap.queue(QueueKind.CONFLICTS)
    if conflicts.count:
        reasons.append(
            Reason(
                Level.ATTENTION,
                "conflicts",
                queue_words(QueueKind.CONFLICTS, conflicts.count),
                _("Open Conflicts to read why, then retry or leave the server version."),
                "open-conflicts",
            )
        )
    stuck = {s.stat.kind: s for s in stuck_queues(view, now)}
    for kind in MOVING_QUEUES:
        stat = snap.queue(kind)
        if not stat.count:
            continue
        if kind in stuck:
            reasons.append(
                Reason(
                    Level.ATTENTION,
                    "stuck",
                    stuck[kind].line(now),
                    _("Synchronize Now; if the count stays, open {queue} and check the connection.").format(
                        queue=_queue_name(stat)
                    ),
                    "synchronize",
                )
            )
        else:
            reasons.append(
                Reason(
                    Level.WAITING,
                    kind.value,
                    queue_words(kind, stat.count),
                    _(WAITING_STEPS.get(kind, WAITING_STEPS[QueueKind.OUTBOX])),
                    "synchronize",
                )
            )
    reasons.extend(_log_reasons(snap, now))
    reasons.extend(_sync_reasons(view, now))
    if snap.health.error is not None and not snap.stale and snap.health.online:
        error = snap.health.error
        reasons.append(
            Reason(
                Level.ATTENTION,
                "backend-error",
                error.message,
                error.advice or _("See the backend's details."),
                "details",
            )
        )
    return reasons


def _log_reasons(snap: Snapshot, now: datetime) -> list[Reason]:
    levels = {"error": [], "warning": []}  # type: dict[str, list[str]]
    for row in snap.log:
        level = snap.thresholds.level(row.last_success, now)
        if level in levels:
            when = (
                _("never")
                if row.last_success is None
                else _("{age} ago").format(age=age_text(row.last_success, now))
            )
            levels[level].append(f"{row.record_type} ({when})")
    reasons = []
    if levels["error"]:
        names = _some(levels["error"])
        reasons.append(
            Reason(
                Level.ATTENTION,
                "log-too-old",
                _("Not synced for over {span}: {names}").format(
                    span=_span(snap.thresholds.error), names=names
                ),
                _("Synchronize Now; if it fails, read the reason and check the connection."),
                "synchronize",
            )
        )
    if levels["warning"]:
        names = _some(levels["warning"])
        reasons.append(
            Reason(
                Level.WAITING,
                "log-old",
                _("Not synced for over {span}: {names}").format(
                    span=_span(snap.thresholds.warning), names=names
                ),
                _("Synchronize Now."),
                "synchronize",
            )
        )
    return reasons


def _sync_reasons(view: BackendView, now: datetime) -> list[Reason]:
    snap = view.snapshot
    reasons = []
    if snap.progress is not None and snap.progress.hung:
        reasons.append(
            Reason(
                Level.ATTENTION,
                "sync-hung",
                _("A sync on {backend} appears hung: {message}").format(
                    backend=snap.backend, message=snap.progress.message or _("no progress")
                ),
                _("Check the connection; restart the device's sync if it stays hung."),
                "check-connection",
            )
        )
    elif (snap.progress is not None and snap.progress.running) or sync_running(view):
        reasons.append(Reason(Level.WAITING, "syncing", _("A sync is running"), _("Wait for it to finish.")))
    action = view.action
    if action is not None and action.state == "failed" and action.action in ("synchronize", "resubmit"):
        newest_success = max((r.last_success for r in snap.log if r.last_success), default=None)
        finished = action.finished or action.started
        if newest_success is None or finished >= newest_success:
            why = action.rejection.message if action.rejection else action.message
            advice = action.rejection.advice if action.rejection and action.rejection.advice else ""
            reasons.append(
                Reason(
                    Level.ATTENTION,
                    "sync-failed",
                    _action_failed(action.action, age_text(finished, now), why),
                    advice or _("Read the reason, fix what it names, then Synchronize Now."),
                    "synchronize",
                )
            )
    return reasons


def sync_running(view: BackendView) -> bool:
    """A Synchronize Now that the agent runs for this backend now."""
    return view.action is not None and view.action.state == "running" and view.action.action == "synchronize"


# --- history: "unchanged since" (what makes a queue stuck) ---------------------------------------


def depth_points(history: Sequence[DepthPoint] | None, kind: QueueKind) -> list[tuple[datetime, int]]:
    """The known depths of one queue, oldest first."""
    points = []
    for point in history or ():
        value = (point.counts or {}).get(kind)
        if isinstance(value, int) and point.at is not None:
            points.append((point.at, value))
    points.sort(key=lambda p: p[0])
    return points


def unchanged_since(
    history: Sequence[DepthPoint] | None, kind: QueueKind, count: int | None
) -> datetime | None:
    """When the depth of `kind` last became `count`, as far as the history knows (None = cannot tell).
    A point where the depth was not known (a count that could not be read, or the agent's restart: it
    did not watch while it was down) ends the run: the queue may have moved then."""
    if count is None:
        return None
    points = sorted((p for p in history or () if p.at is not None), key=lambda p: p.at)
    if not points or (points[-1].counts or {}).get(kind) != count:
        return None
    since = points[-1].at
    for point in reversed(points):
        if (point.counts or {}).get(kind) != count:
            break
        since = point.at
    return since


class StuckQueue(NamedTuple):
    """A queue whose non-zero count has not changed for the backend's `stuck_after`."""

    stat: QueueStat
    since: datetime

    def line(self, now: datetime) -> str:
        count = self.stat.count or 0
        return ngettext(
            "{queue}: {n} entry unchanged for {age}", "{queue}: {n} entries unchanged for {age}", count
        ).format(queue=_queue_name(self.stat), n=number(count), age=age_text(self.since, now))


def stuck_queues(view: BackendView, now: datetime) -> list[StuckQueue]:
    """The stuck queues of a backend, in card order; none before the first good refresh. Conflicts
    count too (the card, the CLI, JSON and /metrics mark them), but their verdict reason is "conflicts"
    whether or not they moved: nothing empties them but a person."""
    snap = view.snapshot
    if never_read(snap):
        return []
    stuck = []
    for kind in QueueKind:
        stat = snap.queue(kind)
        if not stat.known or not stat.count:
            continue
        since = unchanged_since(view.history, kind, stat.count)
        if since is not None and stat.oldest is not None and stat.oldest > since:
            since = stat.oldest  # its oldest entry came in later: the queue moved then
        if since is not None and now - since >= snap.thresholds.stuck_after:
            stuck.append(StuckQueue(stat, since))
    return stuck


# --- after an action -------------------------------------------------------------------------------


def outcome_headline(verdict: Verdict, conflicts: int | None, waiting: int | None) -> str:
    """What is left after a sync that is not SAFE, in a few words ("2 entries need attention"), for the
    title after "Sync finished — "; the reasons follow it. `conflicts` and `waiting` are the counts read
    after the action (None when not known)."""
    if verdict.level is Level.ATTENTION:
        if verdict.has("conflicts") and conflicts:
            return ngettext("{n} entry needs attention", "{n} entries need attention", conflicts).format(
                n=number(conflicts)
            )
        return _("needs attention")
    if verdict.level is Level.WAITING:
        if waiting:
            return ngettext("{n} entry still waiting", "{n} entries still waiting", waiting).format(
                n=number(waiting)
            )
        return _("still waiting")
    return _("not verified: what is on the server is not known")


# --- wording ----------------------------------------------------------------------------------------


def _summary(level: Level, snap: Snapshot, reasons: list[Reason]) -> str:
    if level is Level.SAFE:
        return _("All synced: every queue is empty and the sync log is recent")
    first = reasons[0].line if reasons else ""
    more = (
        ngettext(" (+{n} more)", " (+{n} more)", len(reasons) - 1).format(n=len(reasons) - 1)
        if len(reasons) > 1
        else ""
    )
    return labelled(LEVEL_WORDS[level], first + more)


def _queue_name(stat: QueueStat) -> str:
    return stat.label or QUEUE_NAMES[stat.kind]


def _action_failed(action: str, age: str, why: str) -> str:
    if action == "synchronize":
        return _("The last sync failed {age} ago: {why}").format(age=age, why=why)
    if action == "resubmit":
        return _("The last re-submit failed {age} ago: {why}").format(age=age, why=why)
    return _("The last {action} failed {age} ago: {why}").format(action=action, age=age, why=why)


def _some(names: list[str], limit: int = 3) -> str:
    shown = ", ".join(names[:limit])
    if len(names) <= limit:
        return shown
    return _("{names} and {n} more").format(names=shown, n=len(names) - limit)


def _span(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    if seconds % 86400 == 0:
        days = seconds // 86400
        return ngettext("{n} day", "{n} days", days).format(n=days)
    if seconds % 3600 == 0:
        return _span_unit(seconds // 3600, "h")
    return _span_unit(max(1, seconds // 60), "m")


def _span_unit(value: int, unit: str) -> str:
    if language() == "en":
        return f"{value} {'h' if unit == 'h' else 'min'}"
    return duration([(value, unit)], width="short")


def age_text(moment: datetime, now: datetime) -> str:
    """How long ago, shortly: "3 s", "12 min", "2h 05m", "3d 4h" (the verdict's lines and the CLI)."""
    seconds = max(0, int((now - moment).total_seconds()))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    if language() != "en":
        if days:
            return duration([(days, "d"), (hours, "h")])
        if hours:
            return duration([(hours, "h"), (minutes, "m")])
        return duration([(minutes, "m")] if minutes else [(seconds, "s")], width="short")
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {minutes:02d}m"
    if minutes:
        return f"{minutes} min"
    return f"{seconds} s"
