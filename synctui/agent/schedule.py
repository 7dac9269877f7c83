"""Background sync: Synchronize Now run by the agent itself, when it starts and every `sync_every`.

On a terminal no field app runs the sync (the HCM app syncs at login and in the background), so the
agent does, for each backend that lets synctui run its sync. A run goes through the same pipeline as a
manual one (Repairs.synchronize: guard, single-flight, audit before and after), marked as started by
the schedule; a manual sync in progress is joined, never doubled. The next run is due `sync_every`
after the last sync on that backend ended (a manual one included), so a failing sync is never tried
again sooner than that.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from synctui.actions import action
from synctui.agent.backend_service import ActionRefused, BackendService, now
from synctui.agent.guard import Refused
from synctui.model import ActionStatus, Capability, Job, JobState
from synctui.verdict import age_text

if TYPE_CHECKING:
    from synctui.agent.core import Agent

log = logging.getLogger(__name__)
STARTED_BY = {"started_by": "schedule"}  # the audit records' params of a scheduled run


class SyncSchedule:
    """The background sync of one backend; `job()` is what the jobs panel and `synctui status` show."""

    def __init__(self, agent: Agent, service: BackendService, *, at_start: bool, every: float) -> None:
        self.agent = agent
        self.service = service
        self.at_start = at_start
        self.every = every
        self.off = ""  # why the schedule cannot run, when it cannot
        if agent.guard.readonly and not action("synchronize").allowed_readonly(
            readonly_allows_sync=agent.guard.readonly_allows_sync
        ):
            self.off = "the agent is read-only (set readonly_allows_sync to let it sync)"
        self.next_run: datetime | None = None
        self.running = False
        self.last: ActionStatus | None = None  # the last run it started or joined, as it ended
        self.refused = ""  # why its last attempt did not run
        self._tried_at: datetime | None = None
        self._created = now()

    @classmethod
    def for_service(cls, agent: Agent, service: BackendService) -> SyncSchedule | None:
        """The schedule the config (or, for `sync_at_start`, the adapter) asks for; None when there is
        none or the backend does not let synctui run its sync."""
        settings, backend = service.settings, service.backend
        if backend is None:
            return None
        at_start = type(backend).sync_at_start if settings.sync_at_start is None else settings.sync_at_start
        if not at_start and settings.sync_every <= 0:
            return None
        if Capability.SYNCHRONIZE not in service.capabilities:
            if settings.sync_at_start or settings.sync_every > 0:
                log.warning(
                    "backend %s: sync_at_start / sync_every ignored: synctui cannot run the sync of a %s "
                    "backend",
                    service.name,
                    settings.kind,
                )
            return None
        return cls(agent, service, at_start=at_start, every=settings.sync_every)

    # --- what it shows ------------------------------------------------------------------------------

    def job(self) -> Job:
        plan = ", ".join(
            part
            for part in (
                "at start" if self.at_start else "",
                f"every {age_text(self._created, self._created + timedelta(seconds=self.every))}"
                if self.every > 0
                else "",
            )
            if part
        )
        last = self.last
        if self.off:
            return Job("background-sync", "Background sync", JobState.IDLE, message=f"off: {self.off}")
        if self.running:
            running = self.service.action
            progress = running.progress if running is not None else None
            return Job(
                "background-sync",
                "Background sync",
                JobState.RUNNING,
                progress.fraction if progress is not None else None,
                running.started if running is not None else None,
                next_run=self.next_run,
                message=f"{plan}: running",
            )
        outcome = self._outcome()
        if self.next_run is not None:
            state = JobState.SCHEDULED
        elif last is None and not self.refused:
            state = JobState.IDLE
        else:
            state = JobState.COMPLETED if last is not None and last.ok else JobState.FAILED
        return Job(
            "background-sync",
            "Background sync",
            state,
            last_start=last.started if last is not None else None,
            last_finish=last.finished if last is not None else None,
            next_run=self.next_run,
            message=f"{plan}; {outcome}" if outcome else plan,
        )

    def _outcome(self) -> str:
        if self.refused:
            return f"last run not started: {self.refused}"
        last = self.last
        if last is None:
            return ""
        if last.ok:
            return f"last run: {last.message}"
        why = last.rejection.message if last.rejection is not None else last.message
        return f"last run {last.state}: {why}"

    # --- running ------------------------------------------------------------------------------------

    async def run(self) -> None:
        if self.off:
            return
        if self.at_start:
            await self._once()
        while self.every > 0:
            self.next_run = self._due()
            self.agent.publish()
            delay = (self.next_run - now()).total_seconds()
            if delay > 0:
                await asyncio.sleep(delay)  # then due again: a manual sync meanwhile moves it on
                continue
            await self._once()

    def _due(self) -> datetime:
        """`sync_every` after the last sync on this backend ended (or was refused), whoever started it;
        after the schedule began when none has run."""
        ends = [t for t in (self._tried_at, self._last_sync_end()) if t is not None]
        return max(ends, default=self._created) + timedelta(seconds=self.every)

    def _last_sync_end(self) -> datetime | None:
        current = self.service.action
        if current is None or current.action != "synchronize":
            return None
        return current.finished

    async def _once(self) -> None:
        self.running, self.refused = True, ""
        self.agent.publish()
        try:
            await self.agent.repairs.synchronize(self.service, pin=None, key=None, params=STARTED_BY)
            self.last = await self.service.long_done()
        except (Refused, ActionRefused) as exc:  # another long action runs, or the guard said no
            self.refused = str(exc)
        finally:
            self.running = False
            self._tried_at = now()
            self.agent.publish()
