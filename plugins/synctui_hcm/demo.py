"""`synctui demo`: an HCM field device with its OpLog, a field worker saving households, and the
DIGIT-like simulator in-process (a few faults, a persistence delay)."""

from __future__ import annotations

import asyncio
import contextlib
import json
from pathlib import Path
from typing import ClassVar

import httpx

from synctui.backend import BackendSettings, DemoBackend, Secret
from synctui.model import Category, Rejection

from .oplog import OpLogStore
from .runner import not_confirmed
from .simulator import FieldWorker, SimConfig, SimServer, SimTransport, simulator_app
from .wire import DEFAULT_WIRES

TOKEN = "demo-hcm-token"
TENANT = "mz"


class HCMDemo(DemoBackend):
    name: ClassVar[str] = "hcm-device"
    kind: ClassVar[str] = "hcm"

    def __init__(self, worker_interval: float = 30.0, seed: int = 7) -> None:
        self.worker_interval = worker_interval
        self.seed = seed
        self.server: SimServer | None = None
        self._stop = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._worker: FieldWorker | None = None

    async def start(self, state_dir: Path) -> tuple[BackendSettings, httpx.AsyncBaseTransport]:
        state_dir.mkdir(parents=True, exist_ok=True)
        oplog = state_dir / "hcm-oplog.sqlite"
        for path in (oplog, oplog.with_name(oplog.name + "-wal"), oplog.with_name(oplog.name + "-shm")):
            path.unlink(missing_ok=True)
        self.server = SimServer(SimConfig(tenant_id=TENANT, token=TOKEN, persist_delay=0.8, fault_rate=0.03))
        self.server.config.seed = self.seed
        self._worker = FieldWorker(oplog, user_uuid="fw-demo-01", tenant_id=TENANT, seed=self.seed)
        self._seed_history(oplog)
        self._stop = asyncio.Event()
        if self.worker_interval > 0:
            self._tasks.append(asyncio.create_task(self._worker.run(self.worker_interval, self._stop)))
        settings = BackendSettings(
            name=self.name,
            kind=self.kind,
            url="http://hcm.simulator",
            username="fw-demo-01",
            secret=Secret(TOKEN),
            refresh_interval=5.0,
            options={
                "oplog": str(oplog),
                "tenant_id": TENANT,
                "user_info": {"uuid": "fw-demo-01", "userName": "fw-demo-01", "type": "EMPLOYEE"},
                "batch_size": 5,
                "pause_seconds": 0.3,
                "retry_interval": 1.0,
                "resend_grace": 5.0,
                "max_passes": 6,
                "health_interval": 10.0,
            },
        )
        return settings, SimTransport(simulator_app(self.server))

    def _seed_history(self, oplog: Path) -> None:
        """Confirmed history, pending saves, an update blocked behind its create, and a record the server
        never saved (wrong tenant), given up on and visible in conflicts."""
        assert self._worker is not None and self.server is not None
        worker, server = self._worker, self.server
        store = OpLogStore(oplog, max_attempts=3)
        try:
            done = [worker.register_household() for _ in range(6)]
            for row in store.unfinished():
                wire = DEFAULT_WIRES[row.entity_type]
                text = store.entity_texts([row.id])[row.id]
                stored = server._apply_create(wire, json.loads(text))
                store.mark_confirmed([(row, stored["id"], stored["rowVersion"], [])])
            worker.update_household(done[0], member_count=4)  # goes out at the next sync
            fresh = worker.register_household(members=2)
            worker.update_household(fresh, member_count=3)  # blocked behind its create
            worker.register_household(members=1)
            lost = worker.register_household(members=1, tenant_id="mz.wrong")
            rows = [r for r in store.unfinished() if r.cref == lost]
            store.mark_sending([r.id for r in rows])
            store.mark_synced_up([r.id for r in rows])
            for _ in range(3):
                rows = [r for r in store.unfinished() if r.cref == lost]
                store.mark_missed(rows, lambda _: not_confirmed(3))
            server._trace(
                DEFAULT_WIRES["household"],
                "/household/v1/bulk/_create",
                "TENANT_ID_INVALID",
                {"clientReferenceId": lost, "tenantId": "mz.wrong"},
                "tenantId 'mz.wrong' is not valid",
            )
            store.set_error(
                [r.id for r in rows],
                Rejection(
                    category=Category.CONFLICT,
                    message="Not found on the server after 3 confirmation searches; still so when the next "
                    "sync searched again. The server's tracer shows TENANT_ID_INVALID: it was saved under "
                    "tenant 'mz.wrong', which this server does not know.",
                    advice="Retrying sends the same record again and fails the same way. Give its "
                    "clientReferenceId to the HCM server administrator, who can say which tenant it "
                    "belongs to and whether the household must be registered again; then discard it "
                    "(archived first).",
                    code="STILL_NOT_CONFIRMED",
                ),
            )
        finally:
            store.close()

    async def stop(self) -> None:
        self._stop.set()
        for task in self._tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()
        if self._worker is not None:
            self._worker.close()
            self._worker = None
