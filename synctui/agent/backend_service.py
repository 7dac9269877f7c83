"""One backend inside the agent: its refresh loop and its single-flight actions.

Everything the adapter does runs under a timeout and inside a try: an adapter that raises, hangs or
returns garbage only makes its own backend show an error.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import traceback
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, TypeVar

from synctui.agent.ratelog import Streak, one_line
from synctui.agent.rejected import RejectedTally
from synctui.backend import Backend, BackendError, BackendSettings, ProgressCallback
from synctui.model import (
    ActionResult,
    ActionStatus,
    BackendView,
    Capability,
    Category,
    Health,
    QueueKind,
    QueueStat,
    Rejection,
    Snapshot,
    SyncProgress,
    SyncResult,
)
from synctui.verdict import judge

if TYPE_CHECKING:
    from synctui.agent.core import Agent
    from synctui.agent.schedule import SyncSchedule

log = logging.getLogger(__name__)
T = TypeVar("T")
SNAPSHOT_SAVE_EVERY = timedelta(minutes=5)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
FIRST_RETRY = 1.0  # seconds before the first retry of a failed refresh
MAX_RAW = 8000  # characters of an adapter's traceback kept for "show raw"
FAILURE_LOG_INTERVAL = 60.0  # seconds between two log lines about one backend's failing refreshes


class ActionRefused(Exception):
    """The agent will not run this action (unsupported, read-only, bad arguments)."""

    def __init__(self, message: str, status: int = 409) -> None:
        super().__init__(message)
        self.status = status


def now() -> datetime:
    return datetime.now(UTC)


class BackendService:
    def __init__(
        self,
        agent: Agent,
        settings: BackendSettings,
        backend: Backend | None,
        *,
        setup_error: Rejection | None = None,
    ) -> None:
        self.agent = agent
        self.settings = settings
        self.backend = backend
        self.setup_error = setup_error
        self.snapshot: Snapshot = agent.store.last_snapshot(settings.name) or self._empty()
        self.snapshot = replace(self.snapshot, stale=True)
        self.action: ActionStatus | None = None
        self.failures = 0
        self.next_refresh: datetime | None = None
        self._wake = asyncio.Event()
        self._long_task: asyncio.Task[None] | None = None  # the running sync / re-submit
        self._cancel_requested = False
        self.action_lock = asyncio.Lock()  # one repair action at a time on this backend
        self.schedule: SyncSchedule | None = None  # the background sync, set by the agent
        self._saved_at: datetime | None = None
        self._saved_content: Any = None
        self.refreshes = 0
        self.rejected = RejectedTally()
        # Refresh failures: the first logged at once (WARNING), then a count per minute, the recovery
        # once (INFO); a backend down for a day leaves a few lines, not thousands.
        self.failure_log = Streak(log, f"backend {settings.name}", "refresh", interval=FAILURE_LOG_INTERVAL)

    @property
    def name(self) -> str:
        return self.settings.name

    @property
    def capabilities(self) -> frozenset[Capability]:
        """What this backend offers: its adapter's capabilities (per instance: a profile may lack some)
        less those the config's `disable` removes."""
        return self.backend.capabilities - self.settings.disable if self.backend else frozenset()

    def view(self) -> BackendView:
        view = BackendView(
            snapshot=self.snapshot,
            history=self.agent.store.history(self.name).recent(),
            action=self.action,
            next_refresh=self.next_refresh,
            rejected=self.rejected.counts,
            sync_schedule=self.schedule.job() if self.schedule is not None else None,
        )
        return replace(view, verdict=judge(view, now()))

    def wake(self) -> None:
        self._wake.set()

    # --- refresh loop -----------------------------------------------------------------------------

    async def run(self) -> None:
        while True:
            await self.refresh_once()
            assert self.next_refresh is not None
            delay = max(0.0, (self.next_refresh - now()).total_seconds())
            # asyncio.timeout, not wait_for: on 3.11 wait_for swallows a cancel that arrives as what it
            # waits for completes (a sync ending as the agent stops), and this loop would never end.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(delay):
                    await self._wake.wait()
            self._wake.clear()

    def _next_delay(self) -> float:
        """The refresh interval; while refreshing fails, sooner at first (1, 2, 4 s … with jitter) and
        never later than the interval, so fresh data follows within one interval of the backend
        answering again."""
        interval = self.settings.refresh_interval
        if self.failures == 0:
            return interval
        ceiling = min(interval, FIRST_RETRY * 2 ** min(self.failures - 1, 16))
        return random.uniform(ceiling / 2, ceiling)

    async def refresh_once(self) -> None:
        self.refreshes += 1
        if self.backend is None:
            error = self.setup_error or _fault("no adapter")
            self.failure_log.failed(error.message)
            self._set(self._failed(error))
            return
        backend = self.backend
        started = now()
        try:
            snap = await self._call(backend.snapshot(), "refresh")
            if not isinstance(snap, Snapshot):
                raise BackendError(
                    Rejection(
                        Category.UNKNOWN,
                        f"the {self.settings.kind} adapter returned {type(snap).__name__}, not a Snapshot",
                        advice="This is a bug in the adapter plugin; report it to its authors.",
                    )
                )
        except BackendError as exc:
            self.failures += 1
            self.failure_log.failed(exc.rejection.message)
            self._set(self._failed(exc.rejection))
            return
        self.failures = 0
        self.failure_log.recovered()
        # The data is at least as fresh as the moment the refresh began: what follows an action (the
        # end of a sync) is judged only on a snapshot begun after it finished.
        snap = replace(
            snap,
            taken_at=started,
            backend=self.name,
            kind=self.settings.kind,
            stale=False,
            thresholds=self.settings.thresholds,
            capabilities=self.capabilities,
        )
        await self.rejected.update(
            snap,
            Capability.ENTRIES in self.capabilities,
            lambda limit: self._call(backend.entries(QueueKind.CONFLICTS, 0, limit), "rejection tally"),
            now(),
        )
        self._set(snap)
        self.agent.registry.on_snapshot(snap)

    def _set(self, snap: Snapshot) -> None:
        # When the next refresh is due goes out with this snapshot: a client judges the data late
        # only once that time has passed.
        self.next_refresh = now() + timedelta(seconds=self._next_delay())
        self.snapshot = snap
        store = self.agent.store
        store.record_depths(snap)
        # What a restart should show: the latency of each refresh and the time taken do not count,
        # or every refresh would rewrite the state file (flash wear on SD/eMMC).
        content = replace(snap, taken_at=EPOCH, health=replace(snap.health, latency_ms=None))
        due = self._saved_at is None or snap.taken_at - self._saved_at >= SNAPSHOT_SAVE_EVERY
        if content != self._saved_content or due:
            store.save_snapshot(snap)
            self._saved_content = content
            self._saved_at = snap.taken_at
        self.agent.publish()

    def _failed(self, rejection: Rejection) -> Snapshot:
        return replace(
            self.snapshot,
            stale=True,
            health=Health(online=False, error=rejection),
            capabilities=self.capabilities,
            thresholds=self.settings.thresholds,
        )

    def _empty(self) -> Snapshot:
        return Snapshot(
            backend=self.name,
            kind=self.settings.kind,
            queues=[QueueStat(kind=k, count=None, known=False) for k in QueueKind],
            health=Health(online=False),
            stale=True,
            thresholds=self.settings.thresholds,
        )

    async def _call(self, coro: Awaitable[T], what: str, timeout: float | None = None) -> T:
        """Run an adapter call under a timeout; every failure becomes a BackendError."""
        timeout = timeout or self.settings.timeout
        try:
            async with asyncio.timeout(timeout):  # not wait_for: see run()
                return await coro
        except BackendError:
            raise
        except TimeoutError:
            raise BackendError(
                Rejection(
                    Category.RETRYABLE,
                    f"{self.name} did not answer within {timeout:g} s ({what})",
                    advice="The device or its server is slow or hung; synctui will keep trying.",
                )
            ) from None
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            if what != "refresh":  # a refresh failure is logged, rate-limited, by refresh_once
                log.warning(
                    "adapter %s failed during %s: %s",
                    self.settings.kind,
                    what,
                    one_line(f"{type(exc).__name__}: {exc}"),
                )
            log.debug("adapter fault", exc_info=True)
            raw = "".join(traceback.format_exception(exc, limit=-12))[-MAX_RAW:]
            raise BackendError(_fault(f"{type(exc).__name__}: {exc}"[:300], raw)) from None

    # --- actions ----------------------------------------------------------------------------------

    def require(self, capability: Capability) -> Backend:
        if self.backend is None:
            raise ActionRefused(f"{self.name} is not available: {self.snapshot.health.error}", 503)
        if capability not in self.capabilities:
            raise ActionRefused(
                f"{self.name} ({self.settings.kind}) does not support {capability.value}", 501
            )
        return self.backend

    async def call(self, capability: Capability, fn: Callable[[Backend], Awaitable[T]], what: str) -> T:
        backend = self.require(capability)
        return await self._call(fn(backend), what)

    def start_long(
        self,
        action: str,
        title: str,
        run: Callable[[ProgressCallback], Awaitable[SyncResult | ActionResult]],
        action_id: str,
        *,
        timeout: float,
        on_done: Callable[[ActionStatus], None],
    ) -> ActionStatus:
        """Run a long action (sync, re-submit) in the background with progress; one at a time per
        backend: the same action again joins the running one (`joined`), another is refused until it
        ends. `on_done` gets the final status (the runner audits it)."""
        if self.long_running() and self.action:
            if self.action.action == action:
                return replace(self.action, joined=True)
            raise ActionRefused(
                f"{self.action.action} is running on {self.name}; wait for it or cancel it", 409
            )
        status = ActionStatus(
            id=action_id,
            backend=self.name,
            action=action,
            state="running",
            started=now(),
            progress=SyncProgress(message="Starting…"),
        )
        self.action = status
        self._cancel_requested = False
        self._long_task = asyncio.create_task(self._run_long(status.id, title, run, timeout, on_done))
        self.agent.publish()
        return status

    async def long_done(self) -> ActionStatus | None:
        """Wait until the long action running now (if any) has ended; its final status. Being
        cancelled while waiting does not cancel the action."""
        task = self._long_task
        if task is not None and not task.done():
            await asyncio.wait({task})
        return self.action

    def long_running(self) -> bool:
        """Whether a long action (sync, re-submit) is running now."""
        return self._long_task is not None and not self._long_task.done()

    def cancel(self, action_id: str) -> ActionStatus:
        if not self.long_running() or self.action is None or self.action.id != action_id:
            raise ActionRefused(f"no running action {action_id!r} on {self.name}", 404)
        self._cancel_requested = True
        assert self._long_task is not None
        self._long_task.cancel()
        return self.action

    async def _run_long(
        self,
        action_id: str,
        title: str,
        run: Callable[[ProgressCallback], Awaitable[SyncResult | ActionResult]],
        timeout: float,
        on_done: Callable[[ActionStatus], None],
    ) -> None:
        def progress(p: SyncProgress) -> None:
            if self.action and self.action.id == action_id and isinstance(p, SyncProgress):
                self.action = replace(self.action, progress=p)
                self.agent.publish()

        state, rejection, counts = "done", None, {}
        try:
            result = await self._call(run(progress), title, timeout)
            if isinstance(result, SyncResult):
                ok, message, rejection, counts = (
                    result.ok,
                    result.message,
                    result.rejection,
                    dict(result.counts),
                )
            elif isinstance(result, ActionResult):
                ok, message = result.ok, result.message
                counts = dict(result.counts) or {
                    "done": sum(r.ok for r in result.results),
                    "failed": sum(not r.ok for r in result.results),
                }
            else:
                raise BackendError(_fault(f"{title} returned {type(result).__name__}"))
        except BackendError as exc:
            ok, message, rejection = False, exc.rejection.message, exc.rejection
        except asyncio.CancelledError:
            if not self._cancel_requested:
                raise  # the agent is stopping
            ok, message, state = (
                False,
                f"{title} was cancelled; what was already done stays done",
                "cancelled",
            )
        if state != "cancelled":
            state = "done" if ok else "failed"
        assert self.action is not None
        final_progress = self.action.progress
        if final_progress is not None:
            final_progress = replace(final_progress, running=False)
        self.action = replace(
            self.action,
            state=state,
            finished=now(),
            ok=ok,
            message=message or f"{title} {'finished' if ok else 'failed'}",
            rejection=rejection,
            counts=counts,
            progress=final_progress,
        )
        on_done(self.action)
        self.wake()
        self.agent.publish()

    async def aclose(self) -> None:
        if self._long_task and not self._long_task.done():
            self._long_task.cancel()
        if self.backend:
            try:
                await asyncio.wait_for(self.backend.aclose(), 5)
            except Exception:
                log.warning("adapter %s failed to close", self.name, exc_info=True)


def _fault(message: str, raw: str = "") -> Rejection:
    return Rejection(
        Category.UNKNOWN,
        f"the adapter failed: {message}",
        advice="This is a fault in the backend plugin, not in your data; report it with `synctui plugins`.",
        raw=raw,
    )
