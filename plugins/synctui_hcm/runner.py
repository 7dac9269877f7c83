"""The HCM sync cycle (reference §2), run by synctui itself, without the field app's silent losses.

One pass: confirm the rows awaiting confirmation by searching `clientReferenceId` with
`includeDeleted=true`, then sync up the pending rows, by entity type in the app's order and by
operation, in batches, pausing before updates and deletes. Passes repeat (with the app's
retry interval × attempt) until nothing can progress or `max_passes` is reached.

Differences from the app, on purpose:
- a search that fails (network, 5xx, unreadable answer) is a retryable failure, never "not found";
- rows that exhaust their confirmation attempts turn non-recoverable and stay in conflicts, never
  marked synced;
- every send is recorded before it is made; a row that may have reached the server is searched for
  first and re-sent only when it is still missing after `resend_grace` seconds, so a re-send does
  not create DUPLICATE_ENTITY;
- one run per OpLog file: a second trigger joins the running one (and a lease in the file keeps two
  synctui processes apart).
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx

from synctui.backend import Secret
from synctui.model import Category, QueueKind, Rejection, SyncProgress, SyncResult, SyncStep
from synctui_hcm.errors import garbage_rejection, http_rejection, transport_rejection
from synctui_hcm.oplog import OpLogStore, OpRow, now_ms
from synctui_hcm.options import HCMOptions
from synctui_hcm.wire import (
    CREATE_OPERATIONS,
    QUEUED_OPERATIONS,
    UPDATE_OPERATIONS,
    EntityWire,
    ServerEntity,
    WireError,
    bulk_body,
    loads,
    order_index,
    parse_bulk_response,
    parse_search_response,
    request_info,
    search_body,
    single_body,
)

LEASE_KEY = "sync_lease"
LAST_RUN_KEY = "last_run"
LEASE_STALE_MS = 120_000  # like the app's SyncLock: a lease older than 2 min is abandoned
ABORT_AFTER_TRANSPORT_FAILURES = 5  # consecutive: the server is unreachable, stop the pass


class Failure(Exception):
    def __init__(self, rejection: Rejection) -> None:
        super().__init__(rejection.message)
        self.rejection = rejection


class Abort(Failure):
    """Stops the whole cycle (auth refused, server unreachable)."""


@dataclass
class Outcome:
    counts: Counter[str] = field(default_factory=Counter)
    failures: list[tuple[str, int, Rejection]] = field(default_factory=list)  # (type, rows, why)
    transport_streak: int = 0
    successes: int = 0

    def fail(self, entity_type: str, rows: int, rejection: Rejection) -> None:
        self.failures.append((entity_type, rows, rejection))
        self.counts["failed_sends"] += rows


class SyncRunner:
    """Runs the cycle against one OpLog and one server. Not single-flight by itself: use `run`."""

    def __init__(
        self,
        store: OpLogStore,
        options: HCMOptions,
        http: httpx.AsyncClient,
        base_url: str,
        token: Secret | None,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
    ) -> None:
        self.store = store
        self.opts = options
        self.http = http
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.sleep = sleep
        self._steps: dict[str, SyncStep] = {}
        self._units: dict[int, list[int]] = {}  # row id -> [units, units done]
        self._type_units: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        self._emit: Callable[[SyncProgress], None] = lambda p: None
        self._message = ""
        self._by_key: dict[tuple[str, str | None], list[OpRow]] = {}
        self._accepted: list[int] = []  # accepted by the server, not yet marked synced up

    # --- HTTP -----------------------------------------------------------------------------------

    def _info(self, path: str) -> dict[str, Any]:
        token = self.token.reveal() if self.token else None
        return request_info(path.rsplit("/", 1)[-1], token, self.opts.user_info, self.opts.tenant_id)

    async def _post(self, path: str, body: dict[str, Any], **params: Any) -> httpx.Response:
        url = f"{self.base_url}{path}"
        try:
            return await self.http.post(url, params={"tenantId": self.opts.tenant_id, **params}, json=body)
        except (httpx.HTTPError, httpx.InvalidURL) as exc:
            raise Failure(transport_rejection(exc, self.base_url)) from None

    async def search(self, wire: EntityWire, crefs: Sequence[str]) -> dict[str, ServerEntity]:
        """Server copies by clientReferenceId (deleted ones included). Raises Failure, never "not found"
        for a failed call."""
        found: dict[str, ServerEntity] = {}
        step = self.opts.search_limit
        for start in range(0, len(crefs), step):
            chunk = list(crefs[start : start + step])
            resp = await self._post(
                wire.search_path,
                search_body(wire, chunk, self._info(wire.search_path)),
                limit=step,
                offset=0,
                includeDeleted="true",
            )
            if resp.status_code in (401, 403):
                raise Abort(http_rejection(resp))
            if not 200 <= resp.status_code < 300:
                raise Failure(http_rejection(resp))
            try:
                entities = _parse_search(wire, resp.content)
            except WireError as exc:
                raise Failure(garbage_rejection(str(exc), resp.status_code)) from None
            wanted = set(chunk)
            for entity in entities:
                if entity.client_reference_id in wanted:
                    found.setdefault(entity.client_reference_id, entity)
        return found

    # --- the cycle ------------------------------------------------------------------------------

    async def run(self, emit: Callable[[SyncProgress], None]) -> SyncResult:
        self._emit = emit
        started = now_ms()
        lease = self._take_lease()
        if lease is not None:
            return lease
        outcome = Outcome()
        try:
            try:
                result = await self._cycle(outcome)
            except Abort as exc:
                result = self._result(outcome, abort=exc.rejection)
            self._finish_steps(result.message)
            self._record(started, result, outcome)
            return result
        finally:
            self._release_lease()

    def _record(self, started: int, result: SyncResult, outcome: Outcome) -> None:
        """The last run, for the jobs panel and the per-type last error of the sync log."""
        errors: dict[str, str] = {}
        for etype, _, rejection in outcome.failures:
            errors.setdefault(etype, rejection.message)
        self.store.set_meta(
            LAST_RUN_KEY,
            {
                "started": started,
                "finished": now_ms(),
                "ok": result.ok,
                "message": result.message,
                "counts": result.counts,
                "errors": errors,
            },
        )

    async def _cycle(self, outcome: Outcome) -> SyncResult:
        self._init_steps(self.store.unfinished())
        for pass_no in range(self.opts.max_passes):
            self._renew_lease()
            outcome.failures.clear()
            outcome.transport_streak = 0
            outcome.successes = 0
            self._say(f"Pass {pass_no + 1}: confirming records on the server")
            rows = self.store.unfinished()
            self._add_steps(rows)
            await self.confirm(rows, outcome)
            self._say(f"Pass {pass_no + 1}: sending records")
            await self.sync_up(outcome)
            rows = self.store.unfinished()
            awaiting = [r for r in rows if r.queue(self.opts.max_attempts) == QueueKind.INBOX]
            sendable = self._plan(rows)[0]
            if not awaiting and not sendable:
                break
            if outcome.failures and outcome.successes == 0 and not awaiting:
                break  # nothing moved this pass: report instead of hammering
            if pass_no + 1 < self.opts.max_passes:
                attempts = max((r.retries for r in awaiting), default=0)
                wait = self.opts.retry_interval * max(1, attempts)
                self._say(f"Waiting {wait:g} s for the server to save what it accepted")
                await self.sleep(wait)
        return self._result(outcome)

    def _result(self, outcome: Outcome, abort: Rejection | None = None) -> SyncResult:
        rows = self.store.unfinished()
        by_queue = Counter(r.queue(self.opts.max_attempts) for r in rows)
        unsent = Counter(r.entity_type for r in self._plan(rows)[0])
        counts = {
            "sent": outcome.counts["sent"],
            "confirmed": outcome.counts["confirmed"],
            "failed": sum(unsent.values()) + outcome.counts["conflicts"],
            "conflicts": outcome.counts["conflicts"],
            "pending": by_queue[QueueKind.OUTBOX],
            "awaiting": by_queue[QueueKind.INBOX],
        }
        tail = f"{counts['sent']} sent, {counts['confirmed']} confirmed"
        if counts["awaiting"]:
            tail += f", {counts['awaiting']} awaiting confirmation"
        if counts["conflicts"]:
            tail += f", {counts['conflicts']} moved to conflicts"
        if abort is None and not outcome.failures and not unsent and not counts["conflicts"]:
            return SyncResult(ok=True, message=f"Data Synced: {tail}", counts=counts)
        if abort is not None:
            first = abort
        elif outcome.failures:
            first = outcome.failures[0][2]
        elif unsent:
            first = Rejection(
                category=Category.RETRYABLE,
                message="Some records were not sent: an earlier send of theirs may have reached the server "
                "and is being verified before any re-send.",
                advice="Sync again in a minute; nothing is lost and nothing is sent twice.",
                code="VERIFYING_EARLIER_SEND",
            )
        else:
            first = Rejection(
                category=Category.CONFLICT,
                message=f"{counts['conflicts']} records could not be confirmed on the server.",
                advice="Open Conflicts: inspect, compare with the server, then retry or discard.",
                code="NOT_CONFIRMED",
            )
        affected = ", ".join(f"{n} {t} not sent" for t, n in sorted(unsent.items()))
        if counts["conflicts"]:
            affected = ", ".join(filter(None, [affected, f"{counts['conflicts']} in conflicts"]))
        reason = first.message + (f" Affected: {affected}." if affected else "")
        rejection = Rejection(
            category=first.category,
            message=reason,
            advice=first.advice,
            status=first.status,
            code=first.code,
            raw=first.raw,
        )
        return SyncResult(
            ok=False, message=f"Sync Failed: {reason} ({tail})", rejection=rejection, counts=counts
        )

    # --- confirmation -----------------------------------------------------------------------------

    async def confirm(self, rows: Sequence[OpRow], outcome: Outcome) -> None:
        self._index(rows)
        awaiting = [r for r in rows if r.queue(self.opts.max_attempts) == QueueKind.INBOX]
        by_type: dict[str, list[OpRow]] = defaultdict(list)
        for row in awaiting:
            by_type[row.entity_type].append(row)
        for etype in sorted(by_type, key=lambda t: (order_index(t), t)):
            wire = self.opts.wires.get(etype)
            if wire is None:
                outcome.fail(etype, len(by_type[etype]), _no_wire(etype))
                continue
            type_rows = [r for r in by_type[etype] if r.cref]
            for start in range(0, len(type_rows), self.opts.search_limit):
                chunk = type_rows[start : start + self.opts.search_limit]
                try:
                    found = await self.search(wire, [r.cref for r in chunk if r.cref])
                except Abort:
                    raise
                except Failure as exc:
                    self._transport_failed(outcome, etype, len(chunk), exc.rejection)
                    continue
                outcome.transport_streak = 0
                outcome.successes += 1
                self._settle(chunk, found, outcome, count_misses=True)

    def _settle(
        self, rows: Sequence[OpRow], found: dict[str, ServerEntity], outcome: Outcome, count_misses: bool
    ) -> list[OpRow]:
        """Confirm the rows the server has applied; count a miss for the others (if asked).
        Returns the rows that are not confirmed."""
        confirmed, missed = [], []
        moved_on = [
            r.id
            for r in rows
            if r.operation in UPDATE_OPERATIONS
            and (e := found.get(r.cref or "")) is not None
            and (e.row_version or 0) > r.row_version + 1
        ]
        texts = self.store.entity_texts(moved_on) if moved_on else {}
        for row in rows:
            entity = found.get(row.cref or "")
            if entity is not None and _applied(row, entity, texts.get(row.id)):
                version = entity.row_version if entity.row_version is not None else row.row_version
                confirmed.append((row, entity.id, version, entity.additional_ids))
            else:
                missed.append(row)
        if confirmed:
            self.store.mark_confirmed(confirmed)
            self._propagate(confirmed)
            outcome.counts["confirmed"] += len(confirmed)
            for row, *_ in confirmed:
                self._progress(row, confirmed=True)
        if missed and count_misses:
            exhausted = set(self.store.mark_missed(missed, not_confirmed(self.opts.max_attempts)))
            outcome.counts["conflicts"] += len(exhausted)
            for row in missed:
                if row.id in exhausted:
                    self._progress(row, confirmed=True)  # done with, for this run: it is in conflicts now
        self._publish()
        return missed

    def _propagate(self, confirmed: Sequence[tuple[OpRow, str | None, int | None, list]]) -> None:
        """Later unsent rows of the same entity learn the server id and the new row version."""
        updates = []
        for row, sid, version, _ in confirmed:
            for later in self._by_key.get(row.key, ()):
                if later.synced_up or (later.created_at, later.id) <= (row.created_at, row.id):
                    continue
                updates.append((later.id, sid if later.server_id is None else None, version))
        self.store.propagate(updates)

    def _index(self, rows: Sequence[OpRow]) -> None:
        self._by_key = defaultdict(list)
        for row in rows:
            if row.cref is not None:
                self._by_key[row.key].append(row)

    # --- sync up ----------------------------------------------------------------------------------

    def _plan(self, rows: Sequence[OpRow]) -> tuple[list[OpRow], list[OpRow]]:
        """(sendable, blocked): an entity's rows go one at a time, oldest first; a row waits while an
        older row of the same entity is unconfirmed (an update behind its create)."""
        first: dict[tuple[str, str | None], OpRow] = {}
        sendable, blocked = [], []
        for row in rows:
            if row.cref is None:
                if row.queue(self.opts.max_attempts) == QueueKind.OUTBOX:
                    sendable.append(row)
                continue
            head = first.setdefault(row.key, row)
            if row.queue(self.opts.max_attempts) != QueueKind.OUTBOX:
                continue
            (sendable if head.id == row.id else blocked).append(row)
        return sendable, blocked

    async def sync_up(self, outcome: Outcome) -> None:
        try:
            await self._sync_up(outcome)
        finally:
            self._flush_accepted()

    def _flush_accepted(self) -> None:
        accepted, self._accepted = self._accepted, []
        self.store.mark_synced_up(accepted)

    async def _sync_up(self, outcome: Outcome) -> None:
        rows = self.store.unfinished()
        self._index(rows)
        sendable, _ = self._plan(rows)
        groups: dict[str, dict[str, list[OpRow]]] = defaultdict(lambda: defaultdict(list))
        for row in sendable:
            groups[row.entity_type][row.operation].append(row)
        for etype in sorted(groups, key=lambda t: (order_index(t), t)):
            wire = self.opts.wires.get(etype)
            if wire is None:
                ids = [r.id for ops in groups[etype].values() for r in ops]
                self.store.set_error(ids, _no_wire(etype))
                outcome.fail(etype, len(ids), _no_wire(etype))
                continue
            for operation in QUEUED_OPERATIONS:
                rows = groups[etype].get(operation)
                if not rows:
                    continue
                if operation not in CREATE_OPERATIONS and self.opts.pause_seconds:
                    await self.sleep(self.opts.pause_seconds)
                self._say(f"Sending {etype} ({operation}): {len(rows)} records")
                for start in range(0, len(rows), self.opts.batch_size):
                    batch = rows[start : start + self.opts.batch_size]
                    if outcome.transport_streak >= ABORT_AFTER_TRANSPORT_FAILURES:
                        outcome.fail(etype, len(batch), outcome.failures[-1][2])
                        continue
                    await self._send_batch(wire, operation, batch, outcome)

    async def _send_batch(
        self, wire: EntityWire, operation: str, batch: list[OpRow], outcome: Outcome
    ) -> None:
        entities = self._entities(wire, batch)
        batch = [r for r in batch if r.id in entities]
        maybe_sent = [r for r in batch if r.send_count > 0]
        if maybe_sent:
            keep = await self._verify_before_resend(wire, maybe_sent, outcome)
            batch = [r for r in batch if r.send_count == 0 or r.id in keep]
        if not batch:
            return
        if operation in ("singleCreate", "singleUpdate"):
            for row in batch:
                await self._send(wire, operation, [row], entities, outcome, single=True)
        else:
            await self._send(wire, operation, batch, entities, outcome, single=False)

    def _entities(self, wire: EntityWire, batch: Sequence[OpRow]) -> dict[int, dict[str, Any]]:
        """The entities to send, with the server id and row version the server expects."""
        texts = self.store.entity_texts([r.id for r in batch])
        known = self.store.confirmed_server_ids(
            r.key for r in batch if r.operation not in CREATE_OPERATIONS and r.server_id is None and r.cref
        )
        out: dict[int, dict[str, Any]] = {}
        for row in batch:
            if row.cref is None:
                self.store.set_error([row.id], _no_cref(), non_recoverable=True)
                continue
            try:
                entity = json.loads(texts.get(row.id, ""))
            except ValueError:
                entity = None
            if not isinstance(entity, dict):
                self.store.set_error([row.id], _bad_entity(), non_recoverable=True)
                continue
            if row.operation not in CREATE_OPERATIONS:
                server_id = row.server_id or known.get(row.key, (None, 0))[0] or entity.get("id")
                if not isinstance(server_id, str) or not server_id:
                    self.store.set_error([row.id], _no_server_id())
                    continue
                entity["id"] = server_id
                entity["rowVersion"] = row.row_version
            entity.setdefault("clientReferenceId", row.cref)
            out[row.id] = entity
        return out

    async def _verify_before_resend(self, wire: EntityWire, rows: list[OpRow], outcome: Outcome) -> set[int]:
        """Rows whose earlier send may have reached the server: confirm the ones it has, hold the
        ones sent too recently to tell, return the ids that are safe to send again."""
        self._flush_accepted()
        try:
            found = await self.search(wire, [r.cref for r in rows if r.cref])
        except Abort:
            raise
        except Failure as exc:
            self._transport_failed(outcome, wire.entity_type, len(rows), exc.rejection)
            return set()
        outcome.transport_streak = 0
        outcome.successes += 1
        missing = self._settle(rows, found, outcome, count_misses=False)
        cutoff = now_ms() - int(self.opts.resend_grace * 1000)
        return {r.id for r in missing if (r.last_sent_at or 0) <= cutoff}

    async def _send(
        self,
        wire: EntityWire,
        operation: str,
        batch: list[OpRow],
        entities: dict[int, dict[str, Any]],
        outcome: Outcome,
        single: bool,
    ) -> None:
        ids = [r.id for r in batch]
        if single:
            path = wire.single_path(operation)
            body = single_body(wire, operation, entities[ids[0]], self._info(path))
        else:
            path = wire.bulk_path(operation)
            body = bulk_body(wire, operation, [entities[i] for i in ids], self._info(path))
        accepted, self._accepted = self._accepted, []
        self.store.mark_sending(ids, synced_up=accepted)
        try:
            resp = await self._post(path, body)
        except Failure as exc:
            self.store.set_error(ids, exc.rejection)
            self._transport_failed(outcome, wire.entity_type, len(ids), exc.rejection)
            return
        outcome.transport_streak = 0
        if 200 <= resp.status_code < 300:
            try:
                if single:
                    loads(resp.content)
                else:
                    parse_bulk_response(loads(resp.content))
            except WireError as exc:
                # Maybe accepted, maybe not: the rows keep their send mark and are searched first.
                rejection = garbage_rejection(str(exc), resp.status_code)
                self.store.set_error(ids, rejection)
                outcome.fail(wire.entity_type, len(ids), rejection)
                return
            # 202 = accepted, not saved: confirmation follows. Written with the next send's mark (one
            # commit per batch); until then a crash leaves them "possibly sent", which is safe.
            self._accepted.extend(ids)
            outcome.counts["sent"] += len(ids)
            outcome.successes += 1
            for row in batch:
                self._progress(row, confirmed=False)
            self._publish()
            return
        self._flush_accepted()
        rejection = http_rejection(resp)
        if rejection.category == Category.AUTH:
            self.store.set_error(ids, rejection)
            raise Abort(rejection)
        per_record = rejection.category in (Category.FIX_DATA, Category.CONFLICT, Category.GONE) and (
            rejection.code not in (None, "TENANT_ID_INVALID") and resp.status_code == 400
        )
        if per_record and len(batch) > 1:
            # The server refused the batch for one record's sake: split to find it, keep the rest.
            half = len(batch) // 2
            await self._send(wire, operation, batch[:half], entities, outcome, single)
            await self._send(wire, operation, batch[half:], entities, outcome, single)
            return
        self.store.set_error(ids, rejection, non_recoverable=per_record)
        if per_record:
            outcome.counts["conflicts"] += len(ids)
        else:
            outcome.fail(wire.entity_type, len(ids), rejection)

    def _transport_failed(self, outcome: Outcome, etype: str, rows: int, rejection: Rejection) -> None:
        outcome.fail(etype, rows, rejection)
        if rejection.category in (Category.RETRYABLE, Category.SERVER):
            outcome.transport_streak += 1

    # --- progress ---------------------------------------------------------------------------------

    # A row is worth two units of progress while unsent (send, confirm) and one while awaiting
    # confirmation; its units complete when it is confirmed.

    def _init_steps(self, rows: Sequence[OpRow]) -> None:
        self._steps.clear()
        self._units.clear()
        self._type_units.clear()
        self._add_steps(rows)
        self._publish()

    def _add_steps(self, rows: Sequence[OpRow]) -> None:
        for row in rows:
            queue = row.queue(self.opts.max_attempts)
            if row.id not in self._units and queue in (QueueKind.OUTBOX, QueueKind.INBOX):
                self._count_units(row, 2 if queue == QueueKind.OUTBOX else 1)

    def _count_units(self, row: OpRow, units: int) -> list[int]:
        unit = self._units[row.id] = [units, 0]
        self._type_units[row.entity_type][0] += units
        return unit

    def _progress(self, row: OpRow, confirmed: bool) -> None:
        unit = self._units.get(row.id) or self._count_units(row, 1 if confirmed else 2)
        done = unit[0] if confirmed else min(unit[1] + 1, unit[0])
        self._type_units[row.entity_type][1] += done - unit[1]
        unit[1] = done

    def _refresh_steps(self, finish: bool = False) -> None:
        at = _now()
        for etype, (total, done) in self._type_units.items():
            old = self._steps.get(etype)
            complete = finish or done >= total
            finished = (old.finished if old and old.finished else at) if complete else None
            self._steps[etype] = SyncStep(etype, total, done, old.started if old else at, finished)

    def _finish_steps(self, message: str) -> None:
        self._refresh_steps(finish=True)
        self._message = message
        self._publish(running=False)

    def _say(self, message: str) -> None:
        self._message = message
        self._publish()

    def _publish(self, running: bool = True) -> None:
        self._refresh_steps()
        steps = sorted(self._steps.values(), key=lambda s: (order_index(s.name), s.name))
        self._emit(SyncProgress(steps=steps, message=self._message, running=running))

    # --- lease (two synctui processes on one OpLog) ---------------------------------------------

    def _take_lease(self) -> SyncResult | None:
        held = self.store.meta(LEASE_KEY)
        me = {"pid": os.getpid(), "host": socket.gethostname()}
        if (
            isinstance(held, dict)
            and {k: held.get(k) for k in me} != me
            and isinstance(held.get("at"), int)
            and now_ms() - held["at"] < LEASE_STALE_MS
        ):
            rejection = Rejection(
                category=Category.RETRYABLE,
                message=f"Another process (pid {held.get('pid')}) is synchronizing this OpLog.",
                advice="Wait for it to finish; its progress shows on its own dashboard.",
                code="SYNC_IN_PROGRESS",
            )
            return SyncResult(ok=False, message=f"Sync Failed: {rejection.message}", rejection=rejection)
        self.store.set_meta(LEASE_KEY, {**me, "at": now_ms()})
        return None

    def _renew_lease(self) -> None:
        self.store.set_meta(LEASE_KEY, {"pid": os.getpid(), "host": socket.gethostname(), "at": now_ms()})

    def _release_lease(self) -> None:
        held = self.store.meta(LEASE_KEY)
        if isinstance(held, dict) and held.get("pid") == os.getpid():
            self.store.set_meta(LEASE_KEY, None)


# --- helpers --------------------------------------------------------------------------------------


def _now() -> datetime:
    return datetime.now(UTC)


def _parse_search(wire: EntityWire, content: bytes) -> list[ServerEntity]:
    return parse_search_response(wire, loads(content))


def _applied(row: OpRow, entity: ServerEntity, local_text: str | None = None) -> bool:
    """Does the server copy show this row's change? A create: it exists. An update: its row version is
    the one sent + 1, or, when others changed it since, its plain fields still hold ours. A delete:
    it is marked deleted."""
    if row.operation in CREATE_OPERATIONS:
        return True
    if row.operation in UPDATE_OPERATIONS:
        if entity.row_version is None or entity.row_version <= row.row_version:
            return False
        if entity.row_version == row.row_version + 1:
            return True
        return _same_fields(local_text, entity.raw)
    if row.operation == "delete":
        return entity.is_deleted
    return False


_NOT_COMPARED = frozenset({"id", "rowVersion", "isDeleted", "auditDetails", "clientAuditDetails"})


def _same_fields(local_text: str | None, server: dict[str, Any]) -> bool:
    try:
        local = json.loads(local_text or "")
    except ValueError:
        return False
    if not isinstance(local, dict):
        return False
    return all(
        server.get(key) == value
        for key, value in local.items()
        if key not in _NOT_COMPARED and not isinstance(value, (dict, list))
    )


def _no_wire(etype: str) -> Rejection:
    return Rejection(
        category=Category.FIX_DATA,
        message=f"No API path is configured for entity type {etype!r}.",
        advice="Add it under options.paths (base, list_key, search_key, response_key); the rows wait.",
        code="NO_API_PATH",
    )


def _no_cref() -> Rejection:
    return Rejection(
        category=Category.FIX_DATA,
        message="The row has no clientReferenceId, so the server copy can never be confirmed.",
        advice="Inspect the entity; discard the row once it is archived, or fix it on the device.",
        code="NO_CLIENT_REFERENCE_ID",
    )


def _bad_entity() -> Rejection:
    return Rejection(
        category=Category.FIX_DATA,
        message="The row's entityString is not a JSON object.",
        advice="Inspect the row; it cannot be sent as it is. Discard it once archived.",
        code="INVALID_ENTITY_STRING",
    )


def _no_server_id() -> Rejection:
    return Rejection(
        category=Category.RETRYABLE,
        message="Blocked: the record has no server id yet (its create is not confirmed).",
        advice="It goes out once the create is confirmed. If the create was discarded, discard this too.",
        code="NULL_ID",
    )


def not_confirmed(attempts: int) -> Rejection:
    return Rejection(
        category=Category.CONFLICT,
        message=f"Not found on the server after {attempts} confirmation searches.",
        advice=(
            "The server accepted the call (202) but did not save the change: its consumer may have "
            "rejected it (DUPLICATE_ENTITY, MISMATCHED_ROW_VERSION, INVALID_ENTITY...; see the server's "
            "tracer). Compare with the server, then retry (it is searched for before any re-send) or "
            "discard it."
        ),
        code="NOT_CONFIRMED",
    )
