"""The HCM backend: a device's OpLog (SQLite) as synctui's queues, and the sync cycle run correctly."""

from __future__ import annotations

import json
import sqlite3
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

import httpx

from synctui.backend import Backend, BackendError, BackendSettings, ProgressCallback
from synctui.model import (
    ActionResult,
    Capability,
    Category,
    Comparison,
    EntryDetail,
    EntryPage,
    EntryResult,
    Health,
    QueueEntry,
    QueueKind,
    Rejection,
    Setting,
    Snapshot,
    SyncResult,
)

from . import flight
from .entry_view import not_in_queue, queue_entry
from .oplog import OpLogMissing, OpLogStore, OpRow
from .options import OPTIONS, HCMOptions, parse_options
from .runner import LAST_RUN_KEY, Failure, SyncRunner
from .snapshot_view import info_items, log_row, queue_stats, sync_job
from .wire import CREATE_OPERATIONS, order_index

MAX_PAYLOAD = 256 * 1024


class HCMBackend(Backend):
    kind: ClassVar[str] = "hcm"
    description: ClassVar[str] = "DIGIT Health Campaign Management device: OpLog + DIGIT bulk APIs"
    sync_at_start: ClassVar[bool] = True  # the field app syncs at login; on a terminal the agent does
    option_specs = OPTIONS
    capabilities = frozenset(
        {
            Capability.ENTRIES,
            Capability.SYNCHRONIZE,
            Capability.RETRY,
            Capability.DISCARD,
            Capability.RESTORE,
            Capability.COMPARE,
            Capability.CHECK_CONNECTION,
            Capability.SETTINGS,
        }
    )

    def __init__(self, settings: BackendSettings, http: httpx.AsyncClient) -> None:
        super().__init__(settings, http)
        self._options_error: BackendError | None = None
        self._opts: HCMOptions | None = None
        try:
            self._opts = parse_options(settings)
        except BackendError as exc:
            self._options_error = exc
        self._store: OpLogStore | None = None
        self._health: Health | None = None
        self._health_at = 0.0

    # --- plumbing ---------------------------------------------------------------------------------

    @property
    def opts(self) -> HCMOptions:
        if self._opts is None:
            assert self._options_error is not None
            raise self._options_error
        return self._opts

    @property
    def store(self) -> OpLogStore:
        if self._store is None:
            self._store = OpLogStore(self.opts.oplog, self.opts.max_attempts)
        return self._store

    def _flight_key(self) -> str:
        return str(self.opts.oplog.resolve())

    def _runner(self, store: OpLogStore) -> SyncRunner:
        return SyncRunner(store, self.opts, self.http, self.settings.url, self.settings.secret)

    def _read(self, what: Any) -> Any:
        """Run an OpLog read, turning file problems into a rejection the user can act on."""
        try:
            return what()
        except OpLogMissing as exc:
            self._drop_store()
            raise BackendError(
                Rejection(
                    category=Category.FIX_DATA,
                    message=f"Cannot open the OpLog: {exc}.",
                    advice="Point the option 'oplog' at the device's OpLog SQLite file (see the HCM README).",
                    code="OPLOG_MISSING",
                )
            ) from None
        except sqlite3.Error as exc:
            self._drop_store()
            raise BackendError(
                Rejection(
                    category=Category.RETRYABLE,
                    message="The OpLog could not be read just now.",
                    advice="It is probably busy (the app is writing); it is read again at the next refresh.",
                    code=type(exc).__name__,
                    raw=str(exc),
                )
            ) from None

    def _drop_store(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None

    # --- snapshot ---------------------------------------------------------------------------------

    async def snapshot(self) -> Snapshot:
        counts, per_type, last_run = self._read(
            lambda: (self.store.counts(), self.store.per_type(), self.store.meta(LAST_RUN_KEY))
        )
        health = await self._health_if_due()
        blocked = counts["blocked"]
        errors = (last_run or {}).get("errors") or {}
        log = [log_row(t, blocked.get(t["type"], 0), errors) for t in per_type]
        log.sort(key=lambda r: (order_index(r.record_type), r.record_type))
        run = flight.running(self._flight_key())
        return Snapshot(
            backend=self.settings.name,
            kind=self.kind,
            queues=queue_stats(counts),
            health=health,
            log=log,
            jobs=[sync_job(run, last_run)],
            progress=run.progress if run is not None else None,
            info=info_items(counts, self.opts),
            thresholds=self.settings.thresholds,
            capabilities=self.capabilities,
        )

    # --- health -----------------------------------------------------------------------------------

    async def _health_if_due(self) -> Health:
        if self._health is None or time.monotonic() - self._health_at >= self.opts.health_interval:
            await self.check_connection()
        assert self._health is not None
        return self._health

    def _has_token(self) -> bool:
        return bool(self.settings.secret and self.settings.secret.reveal())

    async def check_connection(self) -> Health:
        """A search with the token. `auth_ok` True only when the server answered it and a token was
        sent (DIGIT checks RequestInfo.authToken); with no token configured an answer proves nothing
        about credentials (None). A refusal (401/403) is False; unreachable or failing is None."""
        wire = self.opts.wires.get("household") or next(iter(self.opts.wires.values()))
        runner = self._runner(self.store)
        started = time.perf_counter()
        try:
            await runner.search(wire, ["synctui-connection-probe"])
            health = Health(
                online=True,
                latency_ms=(time.perf_counter() - started) * 1000,
                auth_ok=True if self._has_token() else None,
            )
        except Failure as exc:
            rejection = exc.rejection
            online = rejection.category not in (Category.RETRYABLE,)
            auth_ok = False if rejection.category == Category.AUTH else None
            health = Health(online=online, auth_ok=auth_ok, error=rejection)
        self._health, self._health_at = health, time.monotonic()
        return health

    # --- queues -----------------------------------------------------------------------------------

    async def entries(
        self, queue: QueueKind, offset: int = 0, limit: int = 50, filter: str | None = None
    ) -> EntryPage:
        offset, limit = max(0, offset), max(1, min(limit, 500))
        if queue == QueueKind.ADMIN:
            return EntryPage([], offset, limit, 0)
        rows, total = self._read(lambda: self.store.page(queue, offset, limit, filter))
        blockers = self._read(lambda: self.store.blockers(rows)) if queue == QueueKind.OUTBOX else {}
        return EntryPage([self._entry(r, queue, blockers.get(r.id)) for r in rows], offset, limit, total)

    def _get(self, id: str) -> tuple[OpRow, str]:
        try:
            row_id = int(id)
        except ValueError:
            raise BackendError(Rejection(Category.FIX_DATA, f"{id!r} is not an OpLog row id.")) from None
        found = self._read(lambda: self.store.get(row_id))
        if found is None:
            raise BackendError(Rejection(Category.GONE, f"OpLog row {row_id} does not exist."))
        return found

    def _queue_of(self, row: OpRow) -> QueueKind | None:
        return row.queue(self.opts.max_attempts)

    def _entry(self, row: OpRow, queue: QueueKind, blocker: OpRow | None = None) -> QueueEntry:
        return queue_entry(row, queue, self.opts.max_attempts, blocker)

    async def entry(self, queue: QueueKind, id: str) -> EntryDetail:
        row, text = self._get(id)
        actual = self._queue_of(row)
        if actual != queue:
            raise BackendError(not_in_queue(row, queue, actual))
        blocker = (
            self._read(lambda: self.store.blockers([row])).get(row.id) if queue == QueueKind.OUTBOX else None
        )
        truncated = len(text) > MAX_PAYLOAD
        return EntryDetail(
            entry=self._entry(row, queue, blocker),
            payload=text[:MAX_PAYLOAD],
            content_type="application/json",
            truncated=truncated,
        )

    # --- actions ----------------------------------------------------------------------------------

    async def synchronize(self, progress: ProgressCallback) -> SyncResult:
        opts = self.opts
        self._read(lambda: self.store.counts())  # a missing OpLog is reported before anything starts

        async def start(emit: Any) -> SyncResult:
            store = OpLogStore(opts.oplog, opts.max_attempts)
            try:
                return await self._runner(store).run(emit)
            except (OpLogMissing, sqlite3.Error) as exc:
                rejection = Rejection(
                    Category.RETRYABLE, f"The OpLog could not be updated: {exc}", code="OPLOG"
                )
                return SyncResult(False, rejection.message, rejection)
            finally:
                store.close()

        result = await flight.single_flight(self._flight_key(), start, progress)
        answered = bool(result.counts.get("sent") or result.counts.get("confirmed"))
        if not result.ok and result.rejection is not None:
            if result.rejection.category == Category.RETRYABLE and not answered:
                self._health = Health(online=False, error=result.rejection)
                self._health_at = time.monotonic()
            elif result.rejection.category == Category.AUTH:
                self._health = Health(online=True, auth_ok=False, error=result.rejection)
                self._health_at = time.monotonic()
        elif result.ok and answered:  # the server took calls made with the token in this run
            self._health = Health(online=True, auth_ok=True if self._has_token() else None)
            self._health_at = time.monotonic()
        return result

    async def retry(self, ids: Sequence[str] | None) -> ActionResult:
        if ids is None:
            rows, _ = self._read(lambda: self.store.page(QueueKind.CONFLICTS, 0, 1_000_000, None))
            chosen = rows
            results = []
        else:
            chosen, results = self._pick(ids, {QueueKind.CONFLICTS}, "only rows in conflicts can be retried")
        self._read(lambda: self.store.retry_rows([r.id for r in chosen]))
        results += [EntryResult(str(r.id), True, "queued again") for r in chosen]
        return ActionResult(
            ok=all(r.ok for r in results),
            message=f"{len(chosen)} rows queued again; any that may have reached the server is searched for "
            "before it is sent again. Synchronize to send them.",
            results=results,
        )

    async def discard(self, queue: QueueKind, ids: Sequence[str]) -> ActionResult:
        """Mark rows discarded (they stay in the OpLog file). Each result says what that means for the
        server: a create that was never sent leaves nothing there (the server never had the record);
        one that was sent but never confirmed may or may not be there."""
        allowed = {queue} & {QueueKind.CONFLICTS, QueueKind.OUTBOX}
        chosen, results = self._pick(ids, allowed, "only unsent or failed rows can be discarded")
        self._read(lambda: self.store.discard_rows([r.id for r in chosen]))
        fates = Counter(_server_side(r) for r in chosen)
        results += [EntryResult(str(r.id), True, _discarded(r)) for r in chosen]
        refused = len(results) - len(chosen)
        parts = [f"{len(chosen)} row{'' if len(chosen) == 1 else 's'} discarded"]
        if fates["never"]:
            parts.append(f"{fates['never']} never sent: the server never had them")
        if fates["refused"]:
            parts.append(f"{fates['refused']} refused by the server: it saved nothing of them")
        if fates["maybe"]:
            parts.append(f"{fates['maybe']} sent but never confirmed: they may be on the server")
        if fates["has"]:
            parts.append(f"{fates['has']} confirmed earlier: the server has them")
        if refused:
            parts.append(f"{refused} not discarded (see each row)")
        kept = " Discarded rows stay in the OpLog file, marked, and are no longer counted." if chosen else ""
        return ActionResult(
            ok=all(r.ok for r in results),
            message="; ".join(parts) + "." + kept,
            results=results,
            counts={"discarded": len(chosen), "refused": refused},
        )

    async def restore(self, queue: QueueKind, entry: QueueEntry, payload: str) -> ActionResult:
        """Un-discard: the row never left the OpLog, so restoring clears its discard mark and it counts
        (and syncs) again, from the queue its state puts it in."""
        try:
            row_id = int(entry.id)
        except ValueError:
            return ActionResult(False, f"{entry.id!r} is not an OpLog row id")
        restored = self._read(lambda: self.store.undiscard_rows([row_id]))
        if not restored:
            return ActionResult(False, f"OpLog row {row_id} is not discarded (or no longer in the file)")
        return ActionResult(
            True, f"OpLog row {row_id} counts again", [EntryResult(entry.id, True, "restored")]
        )

    def _pick(
        self, ids: Sequence[str], allowed: set[QueueKind], why: str
    ) -> tuple[list[OpRow], list[EntryResult]]:
        chosen, refused = [], []
        for id in ids:
            try:
                row, _ = self._get(id)
            except BackendError as exc:
                refused.append(EntryResult(str(id), False, exc.rejection.message, exc.rejection))
                continue
            if self._queue_of(row) not in allowed:
                refused.append(EntryResult(str(id), False, why))
            else:
                chosen.append(row)
        return chosen, refused

    async def compare(self, queue: QueueKind, id: str) -> Comparison:
        row, text = self._get(id)
        local = _pretty(text)
        wire = self.opts.wires.get(row.entity_type)
        if wire is None or not row.cref:
            reason = (
                "no API path for this entity type" if wire is None else "the row has no clientReferenceId"
            )
            return Comparison(id=str(row.id), local=local, server=None, reason=reason)
        try:
            found = await self._runner(self.store).search(wire, [row.cref])
        except Failure as exc:
            return Comparison(id=str(row.id), local=local, server=None, reason=exc.rejection.message)
        entity = found.get(row.cref)
        if entity is None:
            return Comparison(id=str(row.id), local=local, server=None, reason="not found on the server")
        reason = "deleted on the server" if entity.is_deleted else ""
        return Comparison(id=str(row.id), local=local, server=json.dumps(entity.raw, indent=2), reason=reason)

    async def settings_list(self) -> list[Setting]:
        o = self.opts
        values = {
            "oplog": (str(o.oplog), "The device's OpLog SQLite file"),
            "tenant_id": (o.tenant_id, "tenantId of requests and records"),
            "batch_size": (str(o.batch_size), "Records per bulk call"),
            "pause_seconds": (f"{o.pause_seconds:g}", "Pause before updates and deletes"),
            "max_attempts": (str(o.max_attempts), "Confirmation searches before a row goes to conflicts"),
            "retry_interval": (f"{o.retry_interval:g}", "Seconds × attempt between confirmation passes"),
            "max_passes": (str(o.max_passes), "Confirm + send passes in one Synchronize Now"),
            "resend_grace": (
                f"{o.resend_grace:g}",
                "Seconds a possibly-sent row is searched for, not re-sent",
            ),
        }
        return [Setting(k, k.replace("_", " ").capitalize(), v, False, h) for k, (v, h) in values.items()]

    def watch_paths(self) -> list[Path]:
        if self._opts is None:
            return []
        path = self._opts.oplog
        return [path, path.with_name(path.name + "-wal")]

    async def aclose(self) -> None:
        self._drop_store()


def _server_side(row: OpRow) -> str:
    """What the server has of this row's change: "never" (not sent), "refused" (its last send was
    refused for this record: the server saved nothing of it), "maybe" (sent, never confirmed), "has"
    (confirmed)."""
    if row.synced_down:
        return "has"
    if not row.synced_up and _refused(row):
        return "refused"
    if row.synced_up or row.send_count > 0:
        return "maybe"
    return "never"


def _refused(row: OpRow) -> bool:
    """The server answered this row's last send with a 4xx about the record itself (not the token)."""
    error = row.last_error
    return (
        error is not None
        and error.status is not None
        and 400 <= error.status < 500
        and error.category not in (Category.AUTH, Category.RETRYABLE)
    )


def _discarded(row: OpRow) -> str:
    fate = _server_side(row)
    create = row.operation in CREATE_OPERATIONS
    if fate == "refused":
        what = "record" if create else row.operation
        code = f" ({row.last_error.code})" if row.last_error is not None and row.last_error.code else ""
        return (
            f"discarded: the local {what} is dropped; the server refused it{code}, so it never had it"
            if create
            else f"discarded: the local {what} is dropped; the server refused it{code} and kept its version"
        )
    if fate == "never":
        if create:
            return "discarded: the local record is dropped; it was never sent, so the server never had it"
        return (
            f"discarded: the local {row.operation} is dropped; it was never sent, so the server never got it"
        )
    if fate == "maybe":
        return (
            f"discarded: the local {row.operation} is dropped; it was sent but never confirmed, so it may "
            "or may not be on the server (compare to know)"
        )
    return (
        f"discarded: the local row is dropped; the server confirmed this {row.operation} earlier and keeps it"
    )


def _pretty(text: str) -> str:
    try:
        return json.dumps(json.loads(text), indent=2, ensure_ascii=False)
    except ValueError:
        return text
