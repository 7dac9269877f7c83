"""Text of the long-action dialog: progress while it runs, what it did, the verdict afterwards, why it failed."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from textual.content import Content

from synctui.actions import counted as counted_words
from synctui.i18n import SOURCE_LANGUAGE, _, language
from synctui.model import CATEGORY_WORDS, ActionStatus, Level, Rejection, SyncProgress, Verdict
from synctui.tui.format import bar, clock_time, one_line, safe
from synctui.tui.look import LEVEL_STYLE, Glyphs, glyphs
from synctui.tui.step_keys import step_with_keys

MAX_REASONS = 4


def joined_line(status: ActionStatus | None, noun: str, now: datetime) -> Content:
    """Said when the dialog joined an action already in progress instead of starting one."""
    if status is None:
        said = _("Joined the {action} already in progress; it was not started again.").format(action=_(noun))
    else:
        said = _(
            "Joined the {action} already in progress (started {time}); it was not started again."
        ).format(action=_(noun), time=clock_time(status.started, now))
    return Content.assemble((said, "$text-muted"))


def outcome_lines(status: ActionStatus | None) -> list[Content]:
    """What the action reported doing, counted, as the agent said it."""
    lines: list[Content] = []
    if status is None:
        return lines
    message = one_line(status.message, 300)
    counted = one_line(counted_words(status.action, status.counts), 300)
    if counted and language() != SOURCE_LANGUAGE:  # the agent's message is English; its counts are not
        message = ""
    if message:
        lines.append(Content(message))
    if counted and not message:  # the agent's message already says what happened, counted
        lines.append(Content.from_markup("[$text-muted]$c[/]", c=counted))
    left = status.rejection if status.ok else None  # what a completed run left, e.g. rejected per reason
    if left is not None and left.message and left.message not in message:
        lines.append(Content.from_markup("[$text-muted]$r[/]", r=one_line(left.message, 300)))
    return lines


def progress_text(
    g: Glyphs, status: ActionStatus | None, joined: Content | None, agent_lost: bool
) -> Content:
    progress: SyncProgress | None = status.progress if status else None
    lines: list[Content] = []
    if status is None:
        lines.append(Content.assemble((_("asking the agent to start…"), "$text-muted")))
    elif progress is None or not progress.steps:
        lines.append(
            Content(one_line(status.message, 300) or _("waiting for the backend to report progress…"))
        )
    else:
        for step in progress.steps:
            mark = g.ok if step.finished else g.error if step.failed else g.running if step.started else " "
            fraction = None
            if step.total:
                fraction = (step.done or 0) / step.total
            elif step.finished:
                fraction = 1.0
            counts = f"{step.done or 0}/{step.total}" if step.total else ""
            lines.append(
                Content.assemble(
                    (f"{mark} ", "$success" if step.finished else "$error" if step.failed else "$primary"),
                    one_line(step.name, 22).ljust(22),
                    " ",
                    (bar(fraction, 20, g.bar_full, g.bar_empty), "$primary"),
                    f" {counts}",
                )
            )
        overall = progress.fraction
        if overall is not None:
            lines.append(
                Content.assemble(
                    ("\n  " + _("overall").ljust(21), "bold"),
                    " ",
                    (bar(overall, 20, g.bar_full, g.bar_empty), "$primary bold"),
                    f" {round(overall * 100)}%",
                )
            )
        if progress.hung:
            lines.append(
                Content.from_markup(
                    "[$warning bold]$t[/]",
                    t=_("The sync appears hung: no progress and no error for a long time."),
                )
            )
        if progress.message:
            lines.append(Content(one_line(progress.message, 200)))
    if joined is not None:
        lines.append(joined)
    if agent_lost:
        lines.append(
            Content.assemble((_("lost contact with the agent; the sync may still be running"), "$error"))
        )
    return Content("\n").join(lines)


def settling_text(
    status: ActionStatus | None, backend: str, joined: Content | None, agent_lost: bool
) -> Content:
    lines = outcome_lines(status)
    lines.append(
        Content.assemble(
            (
                _("Waiting for the agent to read {backend} again, to tell what reached the server…").format(
                    backend=safe(backend)
                ),
                "$text-muted",
            )
        )
    )
    if joined is not None:
        lines.append(joined)
    if agent_lost:
        lines.append(Content.assemble((_("lost contact with the agent"), "$error")))
    return Content("\n").join(lines)


def done_text(
    app: Any, verdict: Verdict | None, status: ActionStatus | None, backend: str, joined: Content | None
) -> Content:
    """The verdict on the first snapshot after the action: its reasons and the keys that act on them."""
    lines: list[Content] = []
    if verdict is not None and verdict.level is Level.SAFE:
        lines.append(
            Content(
                _("Everything recorded on this device for {backend} reached the server.").format(
                    backend=safe(backend)
                )
            )
        )
        lines.extend(outcome_lines(status))
    elif verdict is not None:
        lines.extend(outcome_lines(status))
        if lines:
            lines.append(Content(""))
        g = glyphs(app)
        for reason in verdict.reasons[:MAX_REASONS]:
            lines.append(
                Content.assemble(
                    (f"{g.level(reason.level)} ", f"{LEVEL_STYLE[reason.level]} bold"),
                    (one_line(reason.line, 300), "bold"),
                )
            )
            if reason.next_step:
                step = step_with_keys(app, reason.next_step, reason.action)
                lines.append(Content.assemble("  ", one_line(step, 300)))
        if len(verdict.reasons) > MAX_REASONS:
            more = len(verdict.reasons) - MAX_REASONS
            lines.append(
                Content.assemble((_("… and {n} more on the dashboard").format(n=more), "$text-muted"))
            )
    if joined is not None:
        lines.append(joined)
    return Content("\n").join(lines)


def failed_text(failure: tuple[str, Rejection | None] | None, status: ActionStatus | None) -> Content:
    message, rejection = failure or (_("unknown reason"), None)
    lines = [Content.assemble((_("Reason:") + " ", "bold"), (one_line(message, 300), "$error bold"))]
    if rejection is not None:
        if rejection.advice:
            lines.append(Content.assemble((_("What to do:") + " ", "bold"), one_line(rejection.advice, 300)))
        facts = [CATEGORY_WORDS[rejection.category]]
        if rejection.code:
            facts.append(one_line(rejection.code, 80))
        if rejection.status:
            facts.append(f"HTTP {rejection.status}")
        lines.append(Content.from_markup("[$text-muted]$f[/]", f=" · ".join(facts)))
    if status is not None and status.counts:
        lines.append(Content(one_line(counted_words(status.action, status.counts), 300)))
    return Content("\n").join(lines)
