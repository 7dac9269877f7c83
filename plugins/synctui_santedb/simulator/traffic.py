"""Background traffic that makes the simulated dCDR look alive.

Each step (one second of simulated time divided by `speed`): clinicians record patients and vaccinations
(entries in `out`, now and then an `admin` entry), other devices change records on the iCDR (pulled
later into `in`), and on its schedule the upstream sync job drains `out` and `admin` (a few pushes are
rejected into dead-letter with 409/422/500/404/410), pulls and applies `in`, and advances the sync log.
The other three sync jobs run now and then. Queues are capped so a long demo stays readable.
"""

from __future__ import annotations

import asyncio
import contextlib
import random

from . import payloads, reasons
from .jobs import CDSS_JOB_ID, CONFIG_JOB_ID, SECURITY_JOB_ID, UPSTREAM_JOB_ID
from .state import ADMIN_TYPES, SimulatorState


class Traffic:
    """Seeded traffic generator. `start()` runs it as an asyncio task; `step()` advances it once."""

    def __init__(
        self,
        state: SimulatorState,
        seed: int = 0,
        speed: float = 1.0,
        sync_every: int = 8,
        reject_rate: float = 0.06,
        max_out: int = 40,
        max_deadletter: int = 8,
    ) -> None:
        self.state = state
        self.rng = random.Random(seed)
        self.speed = speed
        self.sync_every = sync_every
        self.reject_rate = reject_rate
        self.max_out = max_out
        self.max_deadletter = max_deadletter
        self.steps = 0
        self._task: asyncio.Task[None] | None = None
        state.runner.inbound_failure_rate = 0.01

    @property
    def interval(self) -> float:
        return 1.0 / self.speed

    def start(self) -> None:
        if self._task is None or self._task.done():
            # A push or apply takes a moment, so the job is seen Running and `in` is seen filling.
            self.state.runner.step_delay = 0.4 * self.interval
            self._task = asyncio.get_running_loop().create_task(self._loop())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        await self.state.runner.stop()

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            self.step()

    def _fate(self) -> int | None:
        if self.state.counts()["deadletter"] >= self.max_deadletter or self.rng.random() >= self.reject_rate:
            return None
        return reasons.pick_status(self.rng)

    def step(self) -> None:
        """One unit of activity; starts scheduled jobs when an event loop is running."""
        state, rng = self.state, self.rng
        self.steps += 1
        with state.batch():
            counts = state.counts()
            if counts["out"] < self.max_out and rng.random() < 0.55:
                for _ in range(rng.choice((1, 1, 2, 3))):
                    self._record_visit()
            if counts["admin"] < 10 and rng.random() < 0.08:
                type_ = rng.choice(ADMIN_TYPES)
                state.enqueue("admin", type_, "Update", state.new_record(type_), fate=None)
            if len(state.server_pending) < 30 and rng.random() < 0.3:
                state.server_change()
        if self.steps % self.sync_every == 0:
            self._start_job(UPSTREAM_JOB_ID, ["PeriodicPoll", True])
        if self.steps % (self.sync_every * 5) == 0:
            self._start_job(rng.choice((SECURITY_JOB_ID, CONFIG_JOB_ID, CDSS_JOB_ID)), [])

    def _start_job(self, job_id: str, params: list[object]) -> None:
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return
        self.state.runner.start(job_id, params)

    def _record_visit(self) -> None:
        """A patient visit: a new patient or an update, often with a vaccination, as one Bundle."""
        state, rng = self.state, self.rng
        existing = [k for k, o in state.local.items() if o.get("$type") == "Patient"]
        if existing and rng.random() < 0.4:
            obj = dict(state.local[rng.choice(existing)])
            obj["versionSequence"] = int(obj.get("versionSequence", 1)) + 1
            obj["modifiedOn"] = payloads.iso(state.now())
            operation = "Update"
        else:
            obj = state.new_record("Patient")
            operation = "Insert"
        state.record_local_change(obj, operation)
        items = [obj]
        if rng.random() < 0.6:
            vacc = state.new_record("SubstanceAdministration")
            state.record_local_change(vacc, "Insert")
            items.append(vacc)
        if rng.random() < 0.1:
            xml_obj = state.new_record("QuantityObservation")
            state.record_local_change(xml_obj, "Insert")
            state.enqueue("out", "QuantityObservation", "Insert", payloads.to_xml(xml_obj), xml_obj["id"])
        state.enqueue("out", "Bundle", operation, payloads.bundle(items), obj["id"], fate=self._fate())
