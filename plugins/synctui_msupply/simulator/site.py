"""An Open mSupply remote site: push queue, sync_log rows and the sync cycle of reference §6–7.

The cycle runs the steps in synchroniser.rs order (prepare initial, push v6, push, pull central, pull
remote, pull v6, integrate) in batches of the configured sizes, updating progress with logger.rs's rule
(first update: total = remaining, done = 0; later: done = total - remaining, never below 0). Any error
code can be injected at any step; `hang_at` freezes a sync mid-step with no finish and no error.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from .central import Central, V5Failure, sha256_hex
from .site_errors import DEFAULT_STEP, FULL_ERRORS, V5_TO_CODE, Injected, SyncFailure
from .sync_buffer import buffer_error, create_sync_buffer, write_sync_buffer
from .sync_log import GQL_STEP, STEPS, full_status_node, naive, new_log_row, record_progress

__all__ = [
    "CENTRAL_TABLES",
    "DEFAULT_STEP",
    "FULL_ERRORS",
    "GQL_STEP",
    "STEPS",
    "V5_TO_CODE",
    "V6_STEPS",
    "Clock",
    "Injected",
    "Site",
    "SyncFailure",
    "naive",
]

V6_STEPS = ("push_v6", "pull_v6")
CENTRAL_TABLES = frozenset(
    {"item", "unit", "name", "master_list", "master_list_line", "store", "program", "period"}
)
_TABLES = (
    "invoice",
    "invoice_line",
    "stock_line",
    "requisition",
    "requisition_line",
    "stocktake",
    "location",
)


@dataclass
class Clock:
    offset: timedelta = timedelta()

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset


@dataclass
class Site:
    central: Central
    url: str = "http://central.msupply.sim"
    clock: Clock = field(default_factory=Clock)
    hardware_id: str = "5A1C3E70-D3B1-4C5E-9E21-7F1A0B2C3D4E"
    interval_seconds: int = 300
    batch_size: dict[str, int] = field(
        default_factory=lambda: {"remote_push": 1024, "remote_pull": 500, "central_pull": 500}
    )
    initialised: bool = True
    is_primary: bool = False
    step_delay: float = 0.0
    integration_error_rate: float = 0.0
    store: dict[str, str] = field(
        default_factory=lambda: {"id": uuid.uuid4().hex, "code": "PHS", "name": "Pharmacy Store"}
    )
    users: dict[str, tuple[str, bool]] = field(
        default_factory=lambda: {"admin": ("pass", True)}
    )  # name: (pw, admin)
    db_path: Path | None = None
    rng: random.Random = field(default_factory=lambda: random.Random(4))

    def __post_init__(self) -> None:
        self.push_queue: list[dict[str, Any]] = []  # changelog rows not yet pushed
        self.logs: list[dict[str, Any]] = []
        self.buffer_errors: dict[str, dict[str, Any]] = {}  # sync_buffer rows with integration_error
        self.tokens: dict[str, str] = {}
        self.injected: Injected | None = None
        self.hang_at: str | None = None
        self._release = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._pending = False
        self.problems: list[str] = []  # what the site would log ("Problem triggering sync")
        self.on_change: Callable[[], None] | None = None
        self._cursor = 0  # CentralSyncPullCursor
        if self.db_path is not None:
            self._init_db()

    # --- what the GraphQL answers ---------------------------------------------------------------------

    @property
    def site_name(self) -> str:
        return self.central.site_name

    def initialisation_status(self) -> dict[str, Any]:
        status = "INITIALISED" if self.initialised else "INITIALISING" if self.logs else "PRE_INITIALISATION"
        return {"__typename": "InitialisationStatusNode", "status": status, "siteName": self.site_name}

    def latest(self) -> dict[str, Any]:
        return self.logs[-1]

    def full_status(self) -> dict[str, Any] | None:
        return full_status_node(self.logs)

    # --- controls -------------------------------------------------------------------------------------

    def inject(
        self, code: str, step: str | None = None, full_error: str | None = None, sticky: bool = False
    ) -> None:
        step = step if step is not None else DEFAULT_STEP.get(code)
        if step is not None and step not in (*STEPS, "push_wait"):
            raise ValueError(f"unknown step {step!r}")
        text = full_error or FULL_ERRORS.get(code, f"Failed: {code}").format(url=self.url)
        self.injected = Injected(code, step, text, sticky)

    def backdate_latest(self, delta: timedelta) -> None:
        """Move every time of the latest sync_log row `delta` into the past (a sync that began long ago)."""
        if self.logs:
            row = self.logs[-1]
            for key, value in row.items():
                if key.endswith("_datetime") and isinstance(value, datetime):
                    row[key] = value - delta

    def release_hang(self) -> None:
        self.hang_at = None
        self._release.set()

    def add_change(self, table: str | None = None, action: str = "upsert", api: str = "v5") -> None:
        table = table or self.rng.choice(_TABLES)
        self.push_queue.append(
            {
                "id": uuid.uuid4().hex,
                "table_name": table,
                "record_id": uuid.uuid4().hex,
                "action": action,
                "api": api,
                "created": self.clock.now(),
            }
        )

    def add_integration_error(self, table: str, message: str, record_id: str | None = None) -> str:
        record_id = record_id or uuid.uuid4().hex
        self.buffer_errors[record_id] = {
            **self._buffer_error(record_id, table, f'{{"id": "{record_id}", "table": "{table}"}}', message),
            "permanent": True,
        }
        self._write_db()
        return record_id

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def trigger(self) -> str:
        """manualSync: start a sync; one request may wait while a sync runs, more are dropped."""
        if self.running:
            if self._pending:
                self.problems.append("Problem triggering sync")
            self._pending = True
            return "Sync triggered"
        self._task = asyncio.get_running_loop().create_task(self._run_and_chain())
        return "Sync triggered"

    async def wait_idle(self, limit: float = 5.0) -> None:
        loop = asyncio.get_running_loop()
        end = loop.time() + limit
        while self.running and loop.time() < end:
            await asyncio.sleep(0.005)

    async def stop(self) -> None:
        if self._task is not None and not self._task.done():
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task

    # --- the cycle ------------------------------------------------------------------------------------

    async def _run_and_chain(self) -> None:
        await self.run_cycle()
        while self._pending:
            self._pending = False
            await self.run_cycle()

    def _new_row(self) -> dict[str, Any]:
        row = new_log_row(self.clock.now())
        self.logs.append(row)
        del self.logs[:-50]
        return row

    @staticmethod
    def _progress(row: dict[str, Any], step: str, remaining: int) -> None:
        record_progress(row, step, remaining)

    async def _tick(self) -> None:
        await asyncio.sleep(self.step_delay)
        if self.on_change:
            self.on_change()

    def _strike(self, step: str | None) -> None:
        injected = self.injected
        if injected is not None and injected.step == step:
            if not injected.sticky:
                self.injected = None
            raise SyncFailure(injected.code, injected.full_error)

    async def _begin(self, row: dict[str, Any], step: str) -> None:
        row[f"{step}_started_datetime"] = self.clock.now()
        self._strike(step)
        if not step.startswith("pull"):
            await self._hang_if(step)

    async def _hang_if(self, step: str) -> None:
        if self.hang_at == step:
            self._release.clear()
            await self._release.wait()

    def _end(self, row: dict[str, Any], step: str) -> None:
        row[f"{step}_finished_datetime"] = self.clock.now()

    async def run_cycle(self) -> None:
        row = self._new_row()
        try:
            await self._tick()
            self._strike(None)
            try:
                self.central.authenticate(
                    self.site_name, sha256_hex(self.central.password), self.hardware_id, "14"
                )
            except V5Failure as exc:
                code = V5_TO_CODE.get(exc.code, "UNKNOWN")
                raise SyncFailure(
                    code, f"Failed to get site info: legacy server error: {exc.code}: {exc.message}"
                ) from None
            if not self.initialised:
                await self._prepare_initial(row)
            # v6 steps run when there is an Open mSupply central (or an error was injected into them)
            v6 = bool(self.central.om_central_url) or bool(self.injected and self.injected.step in V6_STEPS)
            if v6:
                await self._push(row, "push_v6", "v6")
            await self._push(row, "push", "v5")
            pulled = await self._pull(row, "pull_central", "central_pull")
            pulled += await self._pull(row, "pull_remote", "remote_pull")
            if v6:
                pulled += await self._pull(row, "pull_v6", "central_pull")
            await self._integrate(row, pulled)
            row["finished_datetime"] = self.clock.now()
        except SyncFailure as exc:
            row["error_code"] = exc.code
            row["error_message"] = exc.full_error
        except asyncio.CancelledError:
            raise
        finally:
            finished = row["finished_datetime"] or self.clock.now()
            row["duration_in_seconds"] = int((finished - row["started_datetime"]).total_seconds())
            self.central.status_code = "idle"
            if self.on_change:
                self.on_change()

    async def _prepare_initial(self, row: dict[str, Any]) -> None:
        await self._begin(row, "prepare_initial")
        self.central.remote_queue += 40 + self.rng.randrange(60)  # central fills the site's queue
        self.central.initialisation_status = "completed"
        await self._tick()
        self._end(row, "prepare_initial")
        self.initialised = True

    async def _push(self, row: dict[str, Any], step: str, api: str) -> None:
        await self._begin(row, step)
        mine = [r for r in self.push_queue if r["api"] == api]
        self._progress(row, step, len(mine))
        size = self.batch_size["remote_push"]
        rejected: list[dict[str, Any]] = []
        while mine:
            batch, mine = mine[:size], mine[size:]
            for record in batch:
                self.push_queue.remove(record)
                if record["table_name"] in CENTRAL_TABLES and not self.is_primary:
                    rejected.append(record)
            self.central.receive([r for r in batch if r not in rejected])
            self._progress(row, step, len(mine))
            await self._tick()
        if step == "push":
            self.central.status_code = "integration_in_progress"
            self._strike("push_wait")
        if rejected:
            tables = sorted({r["table_name"] for r in rejected})
            raise SyncFailure(
                "INTEGRATION_ERROR",
                f"Server rejected pushed records: {len(rejected)} record(s) of table {tables[0]} are central "
                f"data and cannot be changed on a remote site (site {self.central.site_id}); "
                f"record ids: {', '.join(r['record_id'] for r in rejected[:5])}",
            )
        self.central.status_code = "idle"
        self._end(row, step)

    async def _pull(self, row: dict[str, Any], step: str, size_key: str) -> int:
        await self._begin(row, step)
        size = self.batch_size[size_key]
        pulled = 0

        def remaining() -> int:
            if step == "pull_central":
                return self.central.max_cursor - self._cursor
            if step == "pull_remote":
                return self.central.remote_queue
            return self.central.v6_pending

        self._progress(row, step, remaining())
        while remaining() > 0:
            take = min(size, remaining())
            if step == "pull_central":
                self._cursor += take
            elif step == "pull_remote":
                self.central.remote_queue -= take
            else:
                self.central.v6_pending -= take
            pulled += take
            self._progress(row, step, remaining())
            await self._tick()
            await self._hang_if(step)  # a pull hangs part-way through, after some progress
        await self._hang_if(step)
        self._end(row, step)
        return pulled

    async def _integrate(self, row: dict[str, Any], pulled: int) -> None:
        await self._begin(row, "integration")
        retry = [k for k, v in self.buffer_errors.items() if not v.get("permanent")]
        total = pulled + len(retry)
        self._progress(row, "integration", total)
        size = self.batch_size["remote_pull"]
        left = total
        for key in retry:  # buffered records from earlier syncs integrate now
            self.buffer_errors.pop(key, None)
        while left > 0:
            batch = min(size, left)
            for _ in range(batch):
                if self.integration_error_rate and self.rng.random() < self.integration_error_rate:
                    record_id = uuid.uuid4().hex
                    self.buffer_errors[record_id] = self._buffer_error(
                        record_id,
                        "invoice_line",
                        f'{{"id": "{record_id}", "item_link_id": "missing"}}',
                        "Foreign key not found: item_link_id 'missing' for invoice_line",
                    )
            left -= batch
            self._progress(row, "integration", left)
            await self._tick()
        self._write_db()
        self._end(row, "integration")

    # --- the site's SQLite file (only sync_buffer, for the adapter's read-only view) ---------------------

    def _buffer_error(self, record_id: str, table: str, data: str, message: str) -> dict[str, Any]:
        received = naive(self.clock.now())
        return buffer_error(record_id, table, data, message, received, self.central.central_site_id)

    def _init_db(self) -> None:
        assert self.db_path is not None
        create_sync_buffer(self.db_path)
        self._write_db()

    def _write_db(self) -> None:
        if self.db_path is not None:
            write_sync_buffer(self.db_path, self.buffer_errors.values())
