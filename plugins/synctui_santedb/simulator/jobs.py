"""The four dCDR sync jobs (reference §5) and the runner that plays the upstream synchronization.

JobInfo JSON follows santedb-restsvc `JobInfo.cs`: `id` (GUID, lower case as Newtonsoft writes it),
`name`, `description`, `state` (NotRun/Stopped/Starting/Running/Cancelled/Completed/Aborted), `status`
(error text when Aborted), `progress`, `lastStart`, `lastFinish`, `canCancel`, `jobType`,
`parameters[{key,type,value}]`, `schedule[{type,interval,start}]`; nulls omitted.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from . import payloads

if TYPE_CHECKING:
    from .state import SimulatorState

UPSTREAM_JOB_ID = "e511689a-98e1-47cd-8933-6a8cef8ae014"
SECURITY_JOB_ID = "31c2586a-6dae-4afb-8cfb-bae1f4f26c3f"
CONFIG_JOB_ID = "f05a1071-4da0-4696-88ba-c98b3c7fe283"
CDSS_JOB_ID = "5d69c625-2d99-4eef-bf33-c277b784cf78"
JOB_STATES = ("NotRun", "Stopped", "Starting", "Running", "Cancelled", "Completed", "Aborted")
OFFLINE_STATUS = (
    "SanteDB.Client.Exceptions.UpstreamIntegrationException: Upstream service is not available "
    "---> System.Net.WebException: Unable to connect to the remote server ---> "
    "System.Net.Sockets.SocketException: Network is unreachable"
)


def _timespan(delta: timedelta) -> str:
    """A TimeSpan as Newtonsoft writes it: [d.]hh:mm:ss."""
    total = int(delta.total_seconds())
    days, rest = divmod(total, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    text = f"{hours:02d}:{minutes:02d}:{seconds:02d}"
    return f"{days}.{text}" if days else text


@dataclass
class Job:
    id: str
    name: str
    description: str
    job_type: str
    parameters: list[tuple[str, str, Any]] = field(default_factory=list)  # (key, type, default value)
    interval: timedelta = timedelta(minutes=5)
    state: str = "NotRun"
    status: str | None = None
    progress: float = 0.0
    last_start: datetime | None = None
    last_finish: datetime | None = None
    can_cancel: bool = False

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "$type": "JobInfo",
            "id": self.id,
            "name": self.name,
            "description": self.description,
            "state": self.state,
            "progress": self.progress,
            "canCancel": self.can_cancel,
            "jobType": self.job_type,
            "parameters": [{"key": k, "type": t, "value": v} for k, t, v in self.parameters],
            "schedule": [
                {
                    "type": "Interval",
                    "interval": _timespan(self.interval),
                    "start": "2024-01-01T00:00:00+00:00",
                }
            ],
        }
        if self.status is not None:
            body["status"] = self.status
        if self.last_start is not None:
            body["lastStart"] = payloads.iso(self.last_start)
        if self.last_finish is not None:
            body["lastFinish"] = payloads.iso(self.last_finish)
        return body


def default_jobs() -> list[Job]:
    ns = "SanteDB.Client.Disconnected.Jobs"
    return [
        Job(
            UPSTREAM_JOB_ID,
            "Upstream Synchronization Job",
            "Synchronizes data between the local dCDR and the upstream iCDR (push outbound, pull subscriptions)",
            f"{ns}.UpstreamSynchronizationJob, SanteDB.Client.Disconnected",
            [("mode", "String", "PeriodicPoll"), ("push", "Boolean", True)],
        ),
        Job(
            SECURITY_JOB_ID,
            "Security Object Synchronization",
            "Synchronizes users, roles, devices and policies from the upstream",
            f"{ns}.SecurityObjectSynchronizationJob, SanteDB.Client.Disconnected",
        ),
        Job(
            CONFIG_JOB_ID,
            "Upstream Configuration Synchronization",
            "Synchronizes configuration settings and applets from the upstream",
            f"{ns}.UpstreamConfigurationSynchronizationJob, SanteDB.Client.Disconnected",
            interval=timedelta(hours=1),
        ),
        Job(
            CDSS_JOB_ID,
            "CDSS Library & Data Quality Synchronization Job",
            "Synchronizes CDSS libraries and data quality rulesets from the upstream",
            f"{ns}.CdssLibrarySynchronizationJob, SanteDB.Client.Disconnected",
            interval=timedelta(hours=1),
        ),
    ]


class JobRunner:
    """Runs jobs as asyncio tasks, one at a time per job (a second start while Running joins it)."""

    def __init__(self, state: SimulatorState, step_delay: float = 0.05) -> None:
        self.state = state
        self.step_delay = step_delay
        self.tasks: dict[str, asyncio.Task[None]] = {}
        self.inbound_failure_rate = 0.0  # traffic raises it a little; apply failures dead-letter to `in`

    def start(self, job_id: str, params: list[Any] | None = None) -> bool:
        """Start a job; False when it is already running (nothing new started)."""
        job = self.state.job(job_id)
        task = self.tasks.get(job.id)
        if task is not None and not task.done():
            return False
        values = [value for _, _, value in job.parameters]
        for index, value in enumerate(params or []):
            if index < len(values) and value is not None:
                values[index] = value
        job.state, job.status, job.progress = "Running", None, 0.0
        job.last_start = self.state.now()
        self.state.changed()
        runner = self._run_upstream(job, values) if job.id == UPSTREAM_JOB_ID else self._run_simple(job)
        self.tasks[job.id] = asyncio.get_running_loop().create_task(runner)
        return True

    async def wait(self, job_id: str | None = None) -> None:
        tasks = [self.tasks[job_id.lower()]] if job_id else list(self.tasks.values())
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def stop(self) -> None:
        for task in self.tasks.values():
            task.cancel()
        for task in self.tasks.values():
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    async def _pause(self) -> None:
        await asyncio.sleep(self.step_delay)

    def _finish(self, job: Job, state: str, status: str | None = None) -> None:
        job.state, job.status, job.last_finish = state, status, self.state.now()
        self.state.changed()

    async def _run_simple(self, job: Job) -> None:
        await self._pause()
        if not self.state.online:
            self._finish(job, "Aborted", OFFLINE_STATUS)
        else:
            self._finish(job, "Completed")

    async def _run_upstream(self, job: Job, values: list[Any]) -> None:
        state = self.state
        try:
            await self._pause()
            push = values[1] if len(values) > 1 else True
            if isinstance(push, str):
                push = push.lower() == "true"
            if push:
                for queue in ("out", "admin"):
                    while state.online:
                        first = state.first_entry(queue)
                        if first is None:
                            break
                        job.status = f"Pushing {queue} ({state.counts()[queue]} remaining)"
                        state.push(first)
                        await self._pause()
            if not state.online:
                # Communication failures leave entries queued; the pull fails into the sync log.
                state.mark_pulled(error=OFFLINE_STATUS)
                self._finish(job, "Aborted", OFFLINE_STATUS)
                return
            job.status = "Pulling subscriptions"
            state.pull()
            await self._pause()
            for entry in state.queue_entries("in"):
                fail = state.rng.random() < self.inbound_failure_rate
                state.apply_inbound(entry, fail=fail)
                await self._pause()
            state.mark_pulled()
            self._finish(job, "Completed")
        except asyncio.CancelledError:
            self._finish(job, "Cancelled")
            raise
