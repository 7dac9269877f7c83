"""A deterministic AgentClient for the dashboard tests: fixed data, fixed clock, scripted syncs."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from textual.pilot import Pilot

from synctui.client_interface import AgentRefused, AgentUnavailable
from synctui.model import (
    ActionStatus,
    AgentState,
    BackendView,
    Capability,
    Category,
    DepthPoint,
    EntryDetail,
    EntryPage,
    Health,
    Job,
    JobState,
    PluginInfo,
    QueueEntry,
    QueueKind,
    QueueStat,
    Rejection,
    Snapshot,
    SyncLogRow,
    SyncProgress,
    SyncStep,
    Thresholds,
)
from tests.functional.fake_actions import FakeActions

if TYPE_CHECKING:
    from synctui.tui.app import SyncTuiApp

NOW = datetime(2025, 3, 10, 9, 42, 10, tzinfo=UTC)
OUT, INB, ADM, CON = QueueKind.OUTBOX, QueueKind.INBOX, QueueKind.ADMIN, QueueKind.CONFLICTS


def clock() -> datetime:
    return NOW


def ago(**kwargs: float) -> datetime:
    return NOW - timedelta(**kwargs)


AUTH_REJECTION = Rejection(
    category=Category.AUTH,
    message="The server refused the device credentials",
    advice="Ask your supervisor to re-enter the sync password in Settings, then Retry.",
    status=401,
    code="INCORRECT_PASSWORD",
    raw='{"error":"invalid_grant","error_description":"INCORRECT_PASSWORD"}',
)
DUPLICATE = Rejection(
    category=Category.FIX_DATA,
    message="ADM patient with this identifier already exists on the server",
    advice="Merge the two records on the server, then retry this entry.",
    status=409,
    code="DUPLICATE_ENTITY",
    raw="HTTP/1.1 409 Conflict\n<error><code>DUPLICATE_ENTITY</code></error>",
)


def santedb_snapshot(**changes) -> Snapshot:
    snapshot = Snapshot(
        backend="santedb",
        kind="santedb",
        queues=[
            QueueStat(OUT, 12, oldest=ago(hours=2, minutes=5), detail="12 bundles"),
            QueueStat(INB, 4, oldest=ago(minutes=3)),
            QueueStat(ADM, 0),
            QueueStat(CON, 3, oldest=ago(days=1, hours=4), label="Conflicts"),
        ],
        health=Health(online=True, latency_ms=42.0, auth_ok=True, server_version="3.0.1"),
        log=[
            SyncLogRow("patient", "Patient", last_success=ago(minutes=5)),
            SyncLogRow("imm", "Immunization", filter="?facility=HC-12", last_success=ago(hours=2)),
            SyncLogRow("stock", "Stock transaction", last_success=ago(days=1, hours=2), last_error="timeout"),
            SyncLogRow("config", "Configuration", last_success=ago(days=4)),
            SyncLogRow("place", "Place", last_success=None, last_error="404 Not Found on /Place"),
        ],
        jobs=[
            Job("sync", "Synchronize", JobState.RUNNING, progress=0.4, last_start=ago(minutes=1)),
            Job(
                "count",
                "Count remotes",
                JobState.COMPLETED,
                last_start=ago(hours=3),
                last_finish=ago(hours=2, minutes=59),
                message="1,204 remote records",
            ),
            Job("purge", "Purge old data", JobState.FAILED, last_start=ago(hours=5), message="disk full"),
        ],
        taken_at=NOW,
        thresholds=Thresholds(warning=timedelta(days=1), error=timedelta(days=3)),
        capabilities=frozenset({Capability.ENTRIES, Capability.SYNCHRONIZE, Capability.RETRY}),
    )
    return replace(snapshot, **changes)


SANTEDB_HISTORY = [
    DepthPoint(ago(hours=5), {OUT: 20, INB: 0, ADM: 0, CON: 3}),
    DepthPoint(ago(hours=3), {OUT: 18, INB: 2, ADM: 0, CON: 3}),
    DepthPoint(ago(hours=1), {OUT: 15, INB: 1, ADM: 0, CON: 3}),
    DepthPoint(ago(minutes=30), {OUT: 12, INB: 6, ADM: 0, CON: 3}),
    DepthPoint(ago(minutes=2), {OUT: 12, INB: 4, ADM: 0, CON: 3}),
]


def msupply_view() -> BackendView:
    snapshot = Snapshot(
        backend="msupply",
        kind="msupply",
        queues=[QueueStat(OUT, 5, oldest=ago(minutes=50)), QueueStat(INB, None), QueueStat(CON, 0)],
        health=Health(
            online=False,
            error=Rejection(
                Category.RETRYABLE,
                "cannot reach https://msupply.example:8000: connection refused",
                advice="Check the network cable or Wi-Fi.",
            ),
        ),
        taken_at=ago(minutes=40),
        stale=True,
        capabilities=frozenset({Capability.ENTRIES}),
    )
    return BackendView(snapshot=snapshot)


PLUGINS = [
    PluginInfo("synctui_santedb", "built-in", ["santedb"]),
    PluginInfo("synctui_msupply", "built-in", ["msupply"]),
    PluginInfo("synctui_acme", "acme-sync 0.3", [], error="ImportError: No module named 'acme_sdk'"),
]


def busy_state() -> AgentState:
    return AgentState(
        backends=[BackendView(snapshot=santedb_snapshot(), history=SANTEDB_HISTORY), msupply_view()],
        version="0.1.0",
        started=ago(days=2),
        plugins=PLUGINS,
        revision=1,
    )


def synced_snapshot() -> Snapshot:
    return santedb_snapshot(
        queues=[QueueStat(OUT, 0), QueueStat(INB, 0), QueueStat(ADM, 0), QueueStat(CON, 0)],
        log=[
            SyncLogRow("patient", "Patient", last_success=ago(minutes=3)),
            SyncLogRow("imm", "Immunization", last_success=ago(minutes=3)),
            SyncLogRow("stock", "Stock transaction", last_success=ago(minutes=4)),
        ],
        jobs=[
            Job(
                "sync",
                "Synchronize",
                JobState.COMPLETED,
                last_start=ago(minutes=4),
                last_finish=ago(minutes=3),
            )
        ],
    )


CONFLICTED_QUEUES = [
    QueueStat(OUT, 0),
    QueueStat(INB, 0),
    QueueStat(ADM, 0),
    QueueStat(CON, 2, oldest=ago(minutes=20), label="Conflicts"),
]


def synced_state() -> AgentState:
    history = [
        DepthPoint(ago(hours=2), {OUT: 7, INB: 2, ADM: 0, CON: 0}),
        DepthPoint(ago(minutes=3), {OUT: 0, INB: 0, ADM: 0, CON: 0}),
    ]
    return AgentState(
        backends=[BackendView(snapshot=synced_snapshot(), history=history)], embedded=True, revision=1
    )


def never_read_snapshot(backend: str, kind: str, error: Rejection | None = None) -> Snapshot:
    """The agent's placeholder before its first good read of a backend: every queue exists, no count
    is known (and health.error says why, when the first read failed)."""
    return Snapshot(
        backend=backend,
        kind=kind,
        queues=[QueueStat(k, None, known=False) for k in (OUT, INB, ADM, CON)],
        health=Health(online=False, error=error),
        taken_at=ago(seconds=20),
        stale=True,
        capabilities=frozenset({Capability.ENTRIES, Capability.SYNCHRONIZE, Capability.RETRY}),
    )


REFUSED = Rejection(
    Category.RETRYABLE,
    "cannot reach http://127.0.0.1:9200/sync: connection refused",
    advice="Check that the dCDR service runs on this device, then press r.",
)


def first_refresh_state() -> AgentState:
    """Two backends the agent has not read yet: santedb's first read failed, msupply's is on its way."""
    return AgentState(
        backends=[
            BackendView(snapshot=never_read_snapshot("santedb", "santedb", REFUSED)),
            BackendView(snapshot=never_read_snapshot("msupply", "msupply")),
        ],
        embedded=True,
        revision=1,
    )


def conflicts_state(stuck_for: timedelta = timedelta(minutes=12)) -> AgentState:
    """Everything sent and the log recent, but 2 entries rejected by the server for `stuck_for`."""
    history = [
        DepthPoint(NOW - stuck_for - timedelta(minutes=5), {OUT: 3, INB: 0, ADM: 0, CON: 0}),
        DepthPoint(NOW - stuck_for, {OUT: 0, INB: 0, ADM: 0, CON: 2}),
    ]
    snapshot = replace(synced_snapshot(), queues=CONFLICTED_QUEUES)
    return AgentState(backends=[BackendView(snapshot=snapshot, history=history)], embedded=True, revision=1)


def make_entry(kind: QueueKind, index: int) -> QueueEntry:
    return QueueEntry(
        id=f"{kind.value}-{index:05d}",
        queue=kind,
        record_type="Patient" if index % 3 else "Immunization",
        operation="create" if index % 2 else "update",
        created=ago(hours=2, minutes=5) + timedelta(seconds=30 * index),
        attempts=index % 4,
        rejection=DUPLICATE if kind == CON else None,
        correlation=f"ref-{index}",
    )


class FakeAgentClient(FakeActions):
    """AgentClient over fixed data; records every call so tests can check what was asked."""

    description = "/run/user/1000/synctui/agent.sock"

    def __init__(
        self,
        state: AgentState | None = None,
        *,
        queue_sizes: dict[QueueKind, int] | None = None,
        sync_outcomes: list[str] | None = None,
        unavailable: str | None = None,
    ) -> None:
        self.current = state or busy_state()
        self.queue_sizes = queue_sizes or {OUT: 212, INB: 4, ADM: 0, CON: 3}
        self.sync_outcomes = list(sync_outcomes or ["ok"])
        self.unavailable = unavailable
        self.calls: list[tuple] = []
        self.update_streams = 0
        self._pushes: asyncio.Queue[AgentState | Exception] | None = None
        self.closed = False
        self.sync_plans: dict[str, list[tuple[ActionStatus, ActionStatus | None]]] = {}
        self.late: AgentState | None = None
        self.init_actions()

    # --- scripting ------------------------------------------------------------------------------

    def _queue(self) -> asyncio.Queue[AgentState | Exception]:
        if self._pushes is None:
            self._pushes = asyncio.Queue()
        return self._pushes

    def push(self, state: AgentState) -> None:
        self._queue().put_nowait(state)

    def disconnect(self, reason: str) -> None:
        self.unavailable = reason
        self._queue().put_nowait(AgentUnavailable(reason))

    def _with_action(self, action: ActionStatus, **snapshot_changes) -> AgentState:
        backends = []
        for view in self.current.backends:
            if view.snapshot.backend == action.backend:
                snapshot = replace(view.snapshot, **snapshot_changes) if snapshot_changes else view.snapshot
                view = replace(view, snapshot=snapshot, action=action)
            backends.append(view)
        return replace(self.current, backends=backends, revision=self.current.revision + 1)

    # --- AgentClient ----------------------------------------------------------------------------

    async def state(self) -> AgentState:
        self.calls.append(("state",))
        return self.current

    async def updates(self) -> AsyncIterator[AgentState]:
        self.update_streams += 1
        if self.unavailable:
            raise AgentUnavailable(self.unavailable)
        yield self.current
        queue = self._queue()
        while True:
            item = await queue.get()
            if isinstance(item, Exception):
                raise item
            self.current = item
            yield item

    async def entries(self, backend, queue, offset=0, limit=50, filter=None) -> EntryPage:
        self.calls.append(("entries", backend, queue, offset, limit, filter))
        total = self.queue_sizes.get(queue, 0)
        indexes = range(total)
        if filter:
            indexes = [i for i in indexes if filter.lower() in make_entry(queue, i).record_type.lower()]
        indexes = list(indexes)
        chosen = indexes[offset : offset + limit]
        return EntryPage(
            [make_entry(queue, i) for i in chosen], offset=offset, limit=limit, total=len(indexes)
        )

    async def entry(self, backend, queue, id) -> EntryDetail:
        self.calls.append(("entry", backend, queue, id))
        index = int(id.rsplit("-", 1)[1])
        payload = json.dumps(
            {"resourceType": "Patient", "id": id, "name": [{"family": "Banda", "given": ["Ama"]}]}
        )
        return EntryDetail(entry=make_entry(queue, index), payload=payload)

    async def synchronize(self, backend: str) -> ActionStatus:
        """Outcomes (`sync_outcomes`, in order): "ok" (every queue empties, the log is recent: SAFE),
        "conflicts" (the sync ends well but 2 entries stay rejected), "late" (like "ok", but the agent's
        next snapshot is not pushed yet: `finish_late()` pushes it), "joined" (like "ok", the request
        joined a sync already running) and "fail"."""
        self.calls.append(("synchronize", backend))
        self.guard("synchronize", backend, None)
        if self.sync_plans.get(backend):
            running, final = self.sync_plans[backend].pop(0)
            self.push(self._with_action(running))
            if final is not None:
                later = self._with_action(final)
                self.push(replace(later, revision=later.revision + 1))
            return running
        if backend != "santedb":
            raise AgentRefused(400, f"{backend} cannot synchronize")
        outcome = self.sync_outcomes.pop(0) if self.sync_outcomes else "ok"
        number = sum(1 for call in self.calls if call[0] == "synchronize")
        started = ago(seconds=5)
        running = ActionStatus(
            id=f"sync-{number}",
            backend=backend,
            action="synchronize",
            state="running",
            started=started,
            progress=SyncProgress(
                steps=[
                    SyncStep("Push outbox", total=12, done=12, started=started, finished=ago(seconds=3)),
                    SyncStep("Pull inbox", total=4, done=1, started=ago(seconds=3)),
                ]
            ),
        )
        if outcome == "fail":
            final = replace(
                running,
                state="failed",
                finished=NOW,
                ok=False,
                message="push failed",
                rejection=AUTH_REJECTION,
                counts={"sent": 0, "failed": 12},
            )
            end_state = self._with_action(final)
        else:
            final = replace(
                running,
                state="done",
                finished=NOW,
                ok=True,
                message="12 sent, 4 received",
                counts={"sent": 12, "received": 4},
                progress=SyncProgress(
                    steps=[replace(s, done=s.total, finished=NOW) for s in running.progress.steps],
                    running=False,
                ),
            )
            synced = synced_snapshot()
            queues = CONFLICTED_QUEUES if outcome == "conflicts" else synced.queues
            after = {"queues": queues, "log": synced.log, "jobs": synced.jobs, "taken_at": NOW}
            if outcome == "late":
                self.late = self._with_action(final, **after)
                end_state = self._with_action(final, taken_at=ago(seconds=30))
            else:
                end_state = self._with_action(final, **after)
        self.push(self._with_action(running))
        self.push(replace(end_state, revision=end_state.revision + 1))
        return replace(running, joined=True) if outcome == "joined" else running

    def finish_late(self) -> None:
        """Push the snapshot the agent takes after a "late" sync."""
        assert self.late is not None
        self.push(replace(self.late, revision=self.late.revision + 10))

    async def refresh(self, backend: str | None = None) -> None:
        self.calls.append(("refresh", backend))

    async def plugins(self) -> list[PluginInfo]:
        return list(self.current.plugins)

    async def aclose(self) -> None:
        self.closed = True


def make_app(client: FakeAgentClient | None = None, **kwargs) -> SyncTuiApp:
    from synctui.tui.app import SyncTuiApp

    kwargs.setdefault("theme", "dark")
    kwargs.setdefault("clock", clock)
    app = SyncTuiApp(client or FakeAgentClient(), **kwargs)
    app.RETRY_DELAYS = (0.05, 0.1)
    return app


async def until(pilot: Pilot, condition, what: str = "condition", steps: int = 200) -> None:
    """Let the app run until `condition()` holds (bounded: fails instead of hanging)."""
    for _ in range(steps):
        if condition():
            return
        await pilot.pause(0.01)
    raise AssertionError(f"timed out waiting for {what}")
