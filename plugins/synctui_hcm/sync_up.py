"""The sync-up phase: send the pending rows by entity type in the app's order and by operation, in
batches; search before re-sending a row that may have reached the server; split a batch the server
refused for one record's sake.

Bulk batches are pipelined: while batch i's request is with the server, batch i+1 is read, checked,
encoded and marked as sending (committed), so it goes out as soon as batch i's answer is handled. The
guarantees stay those of one-at-a-time sending:
- a row is marked as possibly sent (committed) before its request starts;
- at most one request is in flight, and batch i+1 leaves only after batch i's answer is handled;
- a batch marked ahead but not sent after all (auth refused, server unreachable, run stopped) gets its
  send state back, so it is not held for `resend_grace`; a crash before that leaves it "possibly
  sent", which is safe (searched before it is sent);
- a mark older than a tenth of `resend_grace` (max 0.5 s) when its request leaves is re-stamped, so
  the grace still counts from the send.
"""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

import httpx

from synctui.model import Category, Rejection

from .confirmation import Confirmation
from .oplog import OpLogStore, OpRow, now_ms
from .options import HCMOptions
from .rejections import garbage_rejection, http_rejection
from .server_api import ServerApi
from .sync_outcome import Abort, Failure, Outcome
from .sync_progress import ProgressTracker
from .sync_rejections import INVALID_ENTITY_STRING, NO_CLIENT_REFERENCE_ID, NO_SERVER_ID, no_wire
from .wire import (
    CREATE_OPERATIONS,
    QUEUED_OPERATIONS,
    EntityWire,
    WireError,
    bulk_body_bytes,
    decode_entity,
    encode_json,
    loads,
    order_index,
    parse_bulk_response,
    single_body_bytes,
    stored_json,
)

ABORT_AFTER_TRANSPORT_FAILURES = 5  # consecutive: the server is unreachable, stop the pass
SINGLE_OPERATIONS = frozenset({"singleCreate", "singleUpdate"})
MAX_MARK_AGE = 0.5  # seconds; see the module docstring


def plan(rows: Sequence[OpRow], max_attempts: int) -> tuple[list[OpRow], list[OpRow]]:
    """(sendable, blocked): an entity's rows go one at a time, oldest first; a row waits while an
    older row of the same entity is unconfirmed (an update behind its create). Sendable means in the
    outbox, which does not depend on `max_attempts` (kept for the callers)."""
    first: dict[tuple[str, str | None], int] = {}
    sendable, blocked = [], []
    for row in rows:
        if row.cref is None:
            if row.pending_up:
                sendable.append(row)
            continue
        head = first.setdefault((row.entity_type, row.cref), row.id)
        if not row.pending_up:
            continue
        (sendable if head == row.id else blocked).append(row)
    return sendable, blocked


@dataclass
class Prepared:
    """A bulk batch ready to go: entities checked and encoded, rows marked as sending."""

    wire: EntityWire
    operation: str
    rows: list[OpRow]  # as read before the mark
    items: dict[int, bytes]  # row id -> entity JSON
    content: bytes
    marked_at: float  # time.monotonic()


@dataclass
class InFlight:
    prepared: Prepared
    task: asyncio.Future[httpx.Response]
    written: asyncio.Future[None]  # the request is on the wire


class SyncUp:
    def __init__(
        self,
        store: OpLogStore,
        options: HCMOptions,
        server: ServerApi,
        progress: ProgressTracker,
        confirmation: Confirmation,
        sleep: Callable[[float], Awaitable[Any]],
    ) -> None:
        self.store = store
        self.opts = options
        self.server = server
        self.progress = progress
        self.confirmation = confirmation
        self.sleep = sleep
        self._accepted: list[int] = []  # accepted by the server, not yet marked synced up
        self._sent: list[OpRow] = []  # accepted, progress not yet reported

    async def run(self, outcome: Outcome) -> None:
        with self.store.checkpoints_in_background():
            try:
                await self._sync_up(outcome)
            finally:
                self._report_sent()
                self._flush_accepted()

    def _flush_accepted(self) -> None:
        accepted, self._accepted = self._accepted, []
        self.store.mark_synced_up(accepted)

    def _report_sent(self) -> None:
        sent, self._sent = self._sent, []
        if sent:
            self.progress.advance_many(sent, confirmed=False)
            self.progress.publish()

    async def _sync_up(self, outcome: Outcome) -> None:
        rows = self.store.unfinished()
        self.confirmation.index(rows)
        sendable, _ = plan(rows, self.opts.max_attempts)
        groups: dict[str, dict[str, list[OpRow]]] = defaultdict(lambda: defaultdict(list))
        for row in sendable:
            groups[row.entity_type][row.operation].append(row)
        inflight: InFlight | None = None
        try:
            for etype in sorted(groups, key=lambda t: (order_index(t), t)):
                wire = self.opts.wires.get(etype)
                if wire is None:
                    ids = [r.id for ops in groups[etype].values() for r in ops]
                    self.store.set_error(ids, no_wire(etype))
                    outcome.fail(etype, len(ids), no_wire(etype))
                    continue
                for operation in QUEUED_OPERATIONS:
                    rows = groups[etype].get(operation)
                    if not rows:
                        continue
                    if operation not in CREATE_OPERATIONS and self.opts.pause_seconds:
                        inflight = await self._land(inflight, outcome)
                        await self.sleep(self.opts.pause_seconds)
                    self.progress.say(f"Sending {etype} ({operation}): {len(rows)} records")
                    for start in range(0, len(rows), self.opts.batch_size):
                        batch = rows[start : start + self.opts.batch_size]
                        slow = operation in SINGLE_OPERATIONS or any(r.send_count > 0 for r in batch)
                        if slow:
                            inflight = await self._land(inflight, outcome)
                        if inflight is None and outcome.transport_streak >= ABORT_AFTER_TRANSPORT_FAILURES:
                            outcome.fail(etype, len(batch), outcome.failures[-1][2])
                            continue
                        if slow:
                            await self._send_batch(wire, operation, batch, outcome)
                            self._report_sent()
                            continue
                        prepared = self._prepare(wire, operation, batch)  # while `inflight` is out
                        if prepared is None:
                            continue
                        inflight = await self._land_then_launch(inflight, prepared, outcome)
                        if inflight is not None:
                            await inflight.written
            inflight = await self._land(inflight, outcome)
        finally:
            if inflight is not None:  # stopped by an exception: its rows stay marked "possibly sent"
                inflight.task.cancel()
                inflight.task.add_done_callback(_retrieve)

    # --- pipelined bulk batches -----------------------------------------------------------------

    def _prepare(self, wire: EntityWire, operation: str, batch: list[OpRow]) -> Prepared | None:
        self._report_sent()
        items = self._entities(batch)
        rows = [r for r in batch if r.id in items]
        if not rows:
            return None
        ids = [r.id for r in rows]
        path = wire.bulk_path(operation)
        content = bulk_body_bytes(wire, operation, [items[i] for i in ids], self.server.info(path))
        accepted, self._accepted = self._accepted, []
        self.store.mark_sending(ids, synced_up=accepted)
        return Prepared(wire, operation, rows, items, content, time.monotonic())

    async def _land_then_launch(
        self, inflight: InFlight | None, prepared: Prepared, outcome: Outcome
    ) -> InFlight | None:
        """Handle the answer to the request in flight, then send `prepared` (or give its rows their
        send state back when it must not go)."""
        ids = [r.id for r in prepared.rows]
        try:
            await self._land(inflight, outcome)
        except BaseException:
            self.store.unmark_sending(prepared.rows)
            raise
        if outcome.transport_streak >= ABORT_AFTER_TRANSPORT_FAILURES:
            self.store.unmark_sending(prepared.rows)
            outcome.fail(prepared.wire.entity_type, len(ids), outcome.failures[-1][2])
            return None
        if time.monotonic() - prepared.marked_at > min(MAX_MARK_AGE, self.opts.resend_grace / 10):
            self.store.restamp_sending(ids)
        written: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        path = prepared.wire.bulk_path(prepared.operation)
        task = asyncio.ensure_future(self.server.post_json(path, prepared.content, written))
        return InFlight(prepared, task, written)

    async def _land(self, inflight: InFlight | None, outcome: Outcome) -> None:
        """Wait for the request in flight (if any) and handle its answer."""
        if inflight is None:
            return None
        p = inflight.prepared
        try:
            resp = await inflight.task
        except Failure as exc:
            self._send_failed(p.wire, [r.id for r in p.rows], exc.rejection, outcome)
            return None
        await self._handle(p.wire, p.operation, p.rows, p.items, resp, outcome, single=False)
        return None

    # --- one batch at a time (re-sends, single-record routes, split batches) ---------------------

    async def _send_batch(
        self, wire: EntityWire, operation: str, batch: list[OpRow], outcome: Outcome
    ) -> None:
        items = self._entities(batch)
        batch = [r for r in batch if r.id in items]
        maybe_sent = [r for r in batch if r.send_count > 0]
        if maybe_sent:
            keep = await self._verify_before_resend(wire, maybe_sent, outcome)
            batch = [r for r in batch if r.send_count == 0 or r.id in keep]
        if not batch:
            return
        if operation in SINGLE_OPERATIONS:
            for row in batch:
                await self._send(wire, operation, [row], items, outcome, single=True)
        else:
            await self._send(wire, operation, batch, items, outcome, single=False)

    def _entities(self, batch: Sequence[OpRow]) -> dict[int, bytes]:
        """The entities to send as JSON, with the server id and row version the server expects. An
        entity that needs no change goes as stored (see wire.decode_entity)."""
        texts = self.store.entity_texts([r.id for r in batch])
        known = self.store.confirmed_server_ids(
            r.key for r in batch if r.operation not in CREATE_OPERATIONS and r.server_id is None and r.cref
        )
        out: dict[int, bytes] = {}
        for row in batch:
            if row.cref is None:
                self.store.set_error([row.id], NO_CLIENT_REFERENCE_ID, non_recoverable=True)
                continue
            text = texts.get(row.id)
            entity = decode_entity(text)
            item: bytes | None = None
            if entity is not None and text is not None:
                if row.operation not in CREATE_OPERATIONS:
                    server_id = row.server_id or known.get(row.key, (None, 0))[0] or entity.get("id")
                    if not isinstance(server_id, str) or not server_id:
                        self.store.set_error([row.id], NO_SERVER_ID)
                        continue
                    entity["id"] = server_id
                    entity["rowVersion"] = row.row_version
                    item = encode_json(entity)
                elif "clientReferenceId" not in entity:
                    entity["clientReferenceId"] = row.cref
                    item = encode_json(entity)
                else:
                    item = stored_json(text)
            if item is None:
                self.store.set_error([row.id], INVALID_ENTITY_STRING, non_recoverable=True)
                continue
            out[row.id] = item
        return out

    async def _verify_before_resend(self, wire: EntityWire, rows: list[OpRow], outcome: Outcome) -> set[int]:
        """Rows whose earlier send may have reached the server: confirm the ones it has, hold the
        ones sent too recently to tell, return the ids that are safe to send again."""
        self._flush_accepted()
        found = await self.confirmation.search(wire, rows, outcome)
        if found is None:
            return set()
        missing = self.confirmation.settle(rows, found, outcome, count_misses=False)
        cutoff = now_ms() - int(self.opts.resend_grace * 1000)
        return {r.id for r in missing if (r.last_sent_at or 0) <= cutoff}

    async def _send(
        self,
        wire: EntityWire,
        operation: str,
        batch: list[OpRow],
        items: dict[int, bytes],
        outcome: Outcome,
        single: bool,
    ) -> None:
        ids = [r.id for r in batch]
        if single:
            path = wire.single_path(operation)
            content = single_body_bytes(wire, operation, items[ids[0]], self.server.info(path))
        else:
            path = wire.bulk_path(operation)
            content = bulk_body_bytes(wire, operation, [items[i] for i in ids], self.server.info(path))
        accepted, self._accepted = self._accepted, []
        self.store.mark_sending(ids, synced_up=accepted)
        try:
            resp = await self.server.post_json(path, content)
        except Failure as exc:
            self._send_failed(wire, ids, exc.rejection, outcome)
            return
        await self._handle(wire, operation, batch, items, resp, outcome, single)

    def _send_failed(self, wire: EntityWire, ids: list[int], rejection: Rejection, outcome: Outcome) -> None:
        self.store.set_error(ids, rejection)
        outcome.transport_failed(wire.entity_type, len(ids), rejection)

    async def _handle(
        self,
        wire: EntityWire,
        operation: str,
        batch: list[OpRow],
        items: dict[int, bytes],
        resp: httpx.Response,
        outcome: Outcome,
        single: bool,
    ) -> None:
        """The server's answer to a send of `batch`."""
        ids = [r.id for r in batch]
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
            # 202 = accepted, not saved: confirmation follows. Written with a later send's mark (one
            # commit per batch); until then a crash leaves them "possibly sent", which is safe.
            self._accepted.extend(ids)
            self._sent.extend(batch)
            outcome.counts["sent"] += len(ids)
            outcome.successes += 1
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
            await self._send(wire, operation, batch[:half], items, outcome, single)
            await self._send(wire, operation, batch[half:], items, outcome, single)
            return
        self.store.set_error(ids, rejection, non_recoverable=per_record)
        if per_record:
            outcome.counts["conflicts"] += len(ids)
        else:
            outcome.fail(wire.entity_type, len(ids), rejection)


def _retrieve(task: asyncio.Future[Any]) -> None:
    if not task.cancelled():
        task.exception()  # retrieved: no "never retrieved" warning for an abandoned request
