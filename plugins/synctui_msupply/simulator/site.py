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
import sqlite3
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from .central import Central, V5Failure, sha256_hex

STEPS = ("prepare_initial", "push_v6", "push", "pull_central", "pull_remote", "pull_v6", "integration")
GQL_STEP = {
    "prepare_initial": "prepareInitial",
    "push_v6": "pushV6",
    "push": "push",
    "pull_central": "pullCentral",
    "pull_remote": "pullRemote",
    "pull_v6": "pullV6",
    "integration": "integration",
}
V6_STEPS = ("push_v6", "pull_v6")
CENTRAL_TABLES = frozenset(
    {"item", "unit", "name", "master_list", "master_list_line", "store", "program", "period"}
)
V5_TO_CODE = {
    "site_name_not_found": "SITE_NAME_NOT_FOUND",
    "site_incorrect_password": "INCORRECT_PASSWORD",
    "site_incorrect_hardware_id": "HARDWARE_ID_MISMATCH",
    "site_has_no_store": "SITE_HAS_NO_STORE",
    "site_auth_timeout": "SITE_AUTH_TIMEOUT",
    "api_version_incompatible": "API_VERSION_INCOMPATIBLE",
}
# where an injected error strikes when no step is named (None: while checking the site, before any step)
DEFAULT_STEP = {
    "INTEGRATION_TIMEOUT_REACHED": "push_wait",  # after pushing, while waiting for central
    "INTEGRATION_ERROR": "integration",
    "CENTRAL_V6_NOT_CONFIGURED": "push_v6",
    "V6_API_VERSION_INCOMPATIBLE": "push_v6",
    "UNKNOWN": "pull_remote",
}
FULL_ERRORS = {
    "CONNECTION_ERROR": "Failed to get site info: error sending request for url ({url}/sync/v5/site): "
    "error trying to connect: tcp connect error: Connection refused (os error 111)",
    "SITE_NAME_NOT_FOUND": "Failed to get site info: legacy server error: site_name_not_found: Site name not found",
    "INCORRECT_PASSWORD": "Failed to get site info: legacy server error: site_incorrect_password: Incorrect password",
    "HARDWARE_ID_MISMATCH": "Failed to get site info: legacy server error: site_incorrect_hardware_id: "
    "Site hardware ID does not match",
    "SITE_HAS_NO_STORE": "Failed to get site info: legacy server error: site_has_no_store: Site has no store",
    "SITE_AUTH_TIMEOUT": "Failed to get site info: legacy server error: site_auth_timeout: "
    "Timed out while authenticating the site",
    "INTEGRATION_TIMEOUT_REACHED": "Failed to push records: Timeout was reached while waiting for the central "
    "server to integrate the pushed records",
    "INTEGRATION_ERROR": "Failed to integrate records: Integration failed: constraint violation in table "
    "invoice_line (foreign key item_link_id)",
    "API_VERSION_INCOMPATIBLE": "Failed to get site info: legacy server error: api_version_incompatible: "
    'API version incompatible {{"major":14,"minor":0}}',
    "CENTRAL_V6_NOT_CONFIGURED": "Failed to push v6 records: Open mSupply central server is not configured",
    "V6_API_VERSION_INCOMPATIBLE": "Failed to push v6 records: sync version mismatch: min 0, max 5, received 6",
    "SITE_UUID_IS_BEING_CHANGED": "Sync settings would change the site: site uuid is being changed",
    "INVALID_URL": "Invalid url: relative URL without a base",
    "UNKNOWN": "Failed to pull remote records: error sending request for url ({url}/sync/v5/queued_records): "
    "operation timed out",
}
_TABLES = (
    "invoice",
    "invoice_line",
    "stock_line",
    "requisition",
    "requisition_line",
    "stocktake",
    "location",
)


class SyncFailure(Exception):
    def __init__(self, code: str, full_error: str) -> None:
        super().__init__(full_error)
        self.code = code
        self.full_error = full_error


@dataclass
class Injected:
    code: str
    step: str | None
    full_error: str
    sticky: bool = False  # keeps failing every sync until cleared


def naive(moment: datetime | None) -> str | None:
    """The wire format: naive UTC (reference §7)."""
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat() if moment else None


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
        if not self.logs:
            return None
        row = self.latest()
        node: dict[str, Any] = {
            "__typename": "FullSyncStatusNode",
            "isSyncing": row["finished_datetime"] is None and row["error_message"] is None,
            "error": None,
            "summary": _status_node(row["started_datetime"], row["finished_datetime"]),
            "lastSuccessfulSync": None,
            "warningThreshold": 1,
            "errorThreshold": 3,
        }
        if row["error_message"] is not None:
            node["error"] = {
                "__typename": "SyncErrorNode",
                "variant": row["error_code"] or "UNKNOWN",
                "fullError": row["error_message"],
            }
        for step in STEPS:
            started = row[f"{step}_started_datetime"]
            if started is None:
                node[GQL_STEP[step]] = None
            elif step == "prepare_initial":
                node[GQL_STEP[step]] = _status_node(started, row[f"{step}_finished_datetime"])
            else:
                node[GQL_STEP[step]] = {
                    "__typename": "SyncStatusWithProgressNode",
                    "started": naive(started),
                    "finished": naive(row[f"{step}_finished_datetime"]),
                    "total": row[f"{step}_progress_total"],
                    "done": row[f"{step}_progress_done"],
                }
        for old in reversed(self.logs):
            if old["finished_datetime"] is not None and old["error_message"] is None:
                node["lastSuccessfulSync"] = _status_node(old["started_datetime"], old["finished_datetime"])
                break
        return node

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
            "record_id": record_id,
            "table_name": table,
            "action": "UPSERT",
            "data": f'{{"id": "{record_id}", "table": "{table}"}}',
            "received_datetime": naive(self.clock.now()),
            "integration_error": message,
            "source_site_id": self.central.central_site_id,
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
        row: dict[str, Any] = {
            "id": uuid.uuid4().hex,
            "started_datetime": self.clock.now(),
            "finished_datetime": None,
            "duration_in_seconds": 0,
            "error_message": None,
            "error_code": None,
        }
        for step in STEPS:
            row[f"{step}_started_datetime"] = None
            row[f"{step}_finished_datetime"] = None
            if step != "prepare_initial":
                row[f"{step}_progress_total"] = None
                row[f"{step}_progress_done"] = None
        self.logs.append(row)
        del self.logs[:-50]
        return row

    @staticmethod
    def _progress(row: dict[str, Any], step: str, remaining: int) -> None:
        """logger.rs: the first update sets total = remaining and done = 0; then done = total - remaining."""
        if row[f"{step}_progress_total"] is None:
            row[f"{step}_progress_total"] = remaining
            row[f"{step}_progress_done"] = 0
        else:
            row[f"{step}_progress_done"] = max(row[f"{step}_progress_total"] - remaining, 0)

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
                    self.buffer_errors[record_id] = {
                        "record_id": record_id,
                        "table_name": "invoice_line",
                        "action": "UPSERT",
                        "data": f'{{"id": "{record_id}", "item_link_id": "missing"}}',
                        "received_datetime": naive(self.clock.now()),
                        "integration_error": "Foreign key not found: item_link_id 'missing' for invoice_line",
                        "source_site_id": self.central.central_site_id,
                    }
            left -= batch
            self._progress(row, "integration", left)
            await self._tick()
        self._write_db()
        self._end(row, "integration")

    # --- the site's SQLite file (only sync_buffer, for the adapter's read-only view) ---------------------

    def _init_db(self) -> None:
        assert self.db_path is not None
        with sqlite3.connect(self.db_path) as conn:
            conn.execute(
                "CREATE TABLE IF NOT EXISTS sync_buffer (record_id TEXT PRIMARY KEY, received_datetime TEXT, "
                "integration_datetime TEXT, integration_error TEXT, table_name TEXT, action TEXT, data TEXT, "
                "source_site_id INTEGER)"
            )
        conn.close()
        self._write_db()

    def _write_db(self) -> None:
        if self.db_path is None:
            return
        with sqlite3.connect(self.db_path) as conn:
            conn.execute("DELETE FROM sync_buffer")
            conn.executemany(
                "INSERT INTO sync_buffer (record_id, received_datetime, integration_datetime, integration_error, "
                "table_name, action, data, source_site_id) VALUES (?, ?, NULL, ?, ?, ?, ?, ?)",
                [
                    (
                        r["record_id"],
                        r["received_datetime"],
                        r["integration_error"],
                        r["table_name"],
                        r["action"],
                        r["data"],
                        r["source_site_id"],
                    )
                    for r in self.buffer_errors.values()
                ],
            )
        conn.close()


def _status_node(started: datetime | None, finished: datetime | None) -> dict[str, Any]:
    duration = int((finished - started).total_seconds()) if started and finished else None
    return {
        "__typename": "SyncStatusNode",
        "started": naive(started),
        "finished": naive(finished),
        "durationInSeconds": duration,
    }
