"""Background jobs of the selected backend: name, state, progress, last run, message."""

from __future__ import annotations

import textwrap
from datetime import datetime

from textual.content import Content

from synctui.i18n import _
from synctui.model import JOB_STATE_WORDS, Job, JobState
from synctui.tui.format import bar, clock_time, one_line
from synctui.tui.look import UNICODE, Glyphs, glyphs
from synctui.tui.widgets.shared.steady_static import SteadyStatic

_STATE_STYLE = {
    JobState.RUNNING: "$primary bold",
    JobState.FAILED: "$error bold",
    JobState.COMPLETED: "$success",
    JobState.CANCELLED: "$warning",
}


def job_line(
    job: Job,
    now: datetime,
    g: Glyphs = UNICODE,
    name_width: int = 18,
    with_progress: bool = True,
    room: int | None = None,
) -> Content:
    """A job's row. A name longer than its column takes a line of its own above the row (never cut);
    with `room` (the panel's width), a message longer than what is left wraps under itself."""
    state = JOB_STATE_WORDS[job.state] if isinstance(job.state, JobState) else one_line(str(job.state), 9)
    name = one_line(job.name, 200)
    above = [Content(name)] if len(name) > name_width else []
    if not with_progress:
        progress = ""
    elif job.progress is not None:
        fraction = min(max(job.progress, 0.0), 1.0)
        progress = f"{bar(fraction, 6, g.bar_full, g.bar_empty)} {round(fraction * 100):>3}%"
    else:
        progress = " " * 11
    run = ""
    if job.next_run is not None and (job.state == JobState.SCHEDULED or job.last_start is None):
        run = _("next {time}").format(time=clock_time(job.next_run, now))  # a scheduled job: when it runs
    elif job.last_start is not None:
        run = clock_time(job.last_start, now)
        if job.last_finish is not None and job.last_finish >= job.last_start:
            started = job.last_start.astimezone(now.tzinfo) if now.tzinfo else job.last_start
            run += f"–{clock_time(job.last_finish, started)}"  # the end without its date on the same day
    head = Content.assemble(
        " " * name_width if above else name.ljust(name_width),
        " ",
        (state.ljust(9), _STATE_STYLE.get(job.state, "")),
        " ",
        *([progress, " "] if with_progress else []),
        (run.ljust(12), "$text-muted"),
        " ",
    )
    message = one_line(job.message, 200)
    width = (room or 0) - head.cell_length
    lines = textwrap.wrap(message, width) if room is not None and width >= MESSAGE_ROOM // 2 else [message]
    style = "$error" if job.state == JobState.FAILED else ""
    under = [Content.assemble(" " * head.cell_length, (line, style)) for line in lines[1:]]
    return Content("\n").join([*above, Content.assemble(head, (lines[0] if lines else "", style)), *under])


NAME_CELLS = 18  # the name column's least width, so the states line up
MESSAGE_ROOM = 20  # cells the messages keep (when they are that long) before long names are shortened


def name_width(jobs: list[Job], room: int, with_progress: bool) -> int:
    """The name column: as wide as the longest name (at least NAME_CELLS), unless that leaves the
    messages too little room."""
    longest = max(NAME_CELLS, *(len(one_line(job.name, 200)) for job in jobs))
    messages = min(MESSAGE_ROOM, max(len(one_line(job.message, 200)) for job in jobs))
    others = 1 + 9 + 1 + (12 if with_progress else 0) + 12 + 1
    return min(longest, max(NAME_CELLS, room - others - messages))


class JobsPanel(SteadyStatic):
    DEFAULT_CSS = """
    JobsPanel {
        height: auto; max-height: 8; padding: 0 1; text-wrap: nowrap; text-overflow: ellipsis;
        border-top: solid $secondary; border-title-align: left; border-title-color: $foreground;
    }
    """

    def __init__(self, **kwargs) -> None:
        super().__init__("", **kwargs)
        self.border_title = _("Jobs")
        self._shown_jobs: tuple[list[Job], datetime, bool] | None = None

    def show(self, jobs: list[Job], now: datetime, known: bool = True) -> None:
        """`known=False`: the backend has not been read yet, so no jobs is not "no jobs"."""
        self._shown_jobs = (jobs, now, known)
        if not jobs:
            text = (
                _("this backend reports no jobs")
                if known
                else _("not known yet: the backend has not been read")
            )
            self.update(Content.from_markup("[$text-muted]$t[/]", t=text))
            return
        g = glyphs(self.app)
        with_progress = any(job.progress is not None for job in jobs)
        room = self.content_region.width or self.app.size.width - 2
        width = name_width(jobs, room, with_progress)
        self.update(Content("\n").join(job_line(job, now, g, width, with_progress, room) for job in jobs))

    def on_resize(self) -> None:
        if self._shown_jobs is not None:
            self.show(*self._shown_jobs)
