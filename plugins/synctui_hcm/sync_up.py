"""The sync-up phase: send the pending rows by entity type in the app's order and by operation, in
batches; search before re-sending a row that may have reached the server; split a batch the server
refused for one record's sake."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from synctui.model import Category, QueueKind
from synctui_hcm.confirmation import Confirmation
from synctui_hcm.errors import garbage_rejection, http_rejection
from synctui_hcm.oplog import OpLogStore, OpRow, now_ms
from synctui_hcm.options import HCMOptions
from synctui_hcm.server_api import ServerApi
from synctui_hcm.sync_outcome import Abort, Failure, Outcome
from synctui_hcm.sync_progress import ProgressTracker
from synctui_hcm.sync_rejections import INVALID_ENTITY_STRING, NO_CLIENT_REFERENCE_ID, NO_SERVER_ID, no_wire
from synctui_hcm.wire import (
    CREATE_OPERATIONS,
    QUEUED_OPERATIONS,
    EntityWire,
    WireError,
    bulk_body,
    loads,
    order_index,
    parse_bulk_response,
    single_body,
)

ABORT_AFTER_TRANSPORT_FAILURES = 5  # consecutive: the server is unreachable, stop the pass


def plan(rows: Sequence[OpRow], max_attempts: int) -> tuple[list[OpRow], list[OpRow]]:
    """(sendable, blocked): an entity's rows go one at a time, oldest first; a row waits while an
    older row of the same entity is unconfirmed (an update behind its create)."""
    first: dict[tuple[str, str | None], OpRow] = {}
    sendable, blocked = [], []
    for row in rows:
        if row.cref is None:
            if row.queue(max_attempts) == QueueKind.OUTBOX:
                sendable.append(row)
            continue
        head = first.setdefault(row.key, row)
        if row.queue(max_attempts) != QueueKind.OUTBOX:
            continue
        (sendable if head.id == row.id else blocked).append(row)
    return sendable, blocked


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

    async def run(self, outcome: Outcome) -> None:
        try:
            await self._sync_up(outcome)
        finally:
            self._flush_accepted()

    def _flush_accepted(self) -> None:
        accepted, self._accepted = self._accepted, []
        self.store.mark_synced_up(accepted)

    async def _sync_up(self, outcome: Outcome) -> None:
        rows = self.store.unfinished()
        self.confirmation.index(rows)
        sendable, _ = plan(rows, self.opts.max_attempts)
        groups: dict[str, dict[str, list[OpRow]]] = defaultdict(lambda: defaultdict(list))
        for row in sendable:
            groups[row.entity_type][row.operation].append(row)
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
                    await self.sleep(self.opts.pause_seconds)
                self.progress.say(f"Sending {etype} ({operation}): {len(rows)} records")
                for start in range(0, len(rows), self.opts.batch_size):
                    batch = rows[start : start + self.opts.batch_size]
                    if outcome.transport_streak >= ABORT_AFTER_TRANSPORT_FAILURES:
                        outcome.fail(etype, len(batch), outcome.failures[-1][2])
                        continue
                    await self._send_batch(wire, operation, batch, outcome)

    async def _send_batch(
        self, wire: EntityWire, operation: str, batch: list[OpRow], outcome: Outcome
    ) -> None:
        entities = self._entities(batch)
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

    def _entities(self, batch: Sequence[OpRow]) -> dict[int, dict[str, Any]]:
        """The entities to send, with the server id and row version the server expects."""
        texts = self.store.entity_texts([r.id for r in batch])
        known = self.store.confirmed_server_ids(
            r.key for r in batch if r.operation not in CREATE_OPERATIONS and r.server_id is None and r.cref
        )
        out: dict[int, dict[str, Any]] = {}
        for row in batch:
            if row.cref is None:
                self.store.set_error([row.id], NO_CLIENT_REFERENCE_ID, non_recoverable=True)
                continue
            try:
                entity = json.loads(texts.get(row.id, ""))
            except ValueError:
                entity = None
            if not isinstance(entity, dict):
                self.store.set_error([row.id], INVALID_ENTITY_STRING, non_recoverable=True)
                continue
            if row.operation not in CREATE_OPERATIONS:
                server_id = row.server_id or known.get(row.key, (None, 0))[0] or entity.get("id")
                if not isinstance(server_id, str) or not server_id:
                    self.store.set_error([row.id], NO_SERVER_ID)
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
        entities: dict[int, dict[str, Any]],
        outcome: Outcome,
        single: bool,
    ) -> None:
        ids = [r.id for r in batch]
        if single:
            path = wire.single_path(operation)
            body = single_body(wire, operation, entities[ids[0]], self.server.info(path))
        else:
            path = wire.bulk_path(operation)
            body = bulk_body(wire, operation, [entities[i] for i in ids], self.server.info(path))
        accepted, self._accepted = self._accepted, []
        self.store.mark_sending(ids, synced_up=accepted)
        try:
            resp = await self.server.post(path, body)
        except Failure as exc:
            self.store.set_error(ids, exc.rejection)
            outcome.transport_failed(wire.entity_type, len(ids), exc.rejection)
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
                self.progress.advance(row, confirmed=False)
            self.progress.publish()
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
