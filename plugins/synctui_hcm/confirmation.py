"""The confirmation (sync down) phase: search the server for rows it accepted and mark the ones it
has applied as confirmed; count a miss for the others until they turn non-recoverable."""

from __future__ import annotations

import asyncio
import json
from collections import defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Any

from synctui.model import Category, QueueKind, Rejection

from .oplog import OpLogStore, OpRow
from .options import HCMOptions
from .server_api import ServerApi
from .sync_outcome import Abort, Failure, Outcome
from .sync_progress import ProgressTracker
from .sync_rejections import no_wire, not_applied, not_confirmed, rechecked
from .wire import CREATE_OPERATIONS, UPDATE_OPERATIONS, EntityWire, ServerEntity, order_index

Confirmed = tuple[OpRow, str | None, int | None, list]
TRANSIENT = (Category.RETRYABLE, Category.SERVER)  # a search failing so says nothing about the rows
MAX_BACKOFF = 10.0


class Confirmation:
    def __init__(
        self,
        store: OpLogStore,
        options: HCMOptions,
        server: ServerApi,
        progress: ProgressTracker,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
    ) -> None:
        self.store = store
        self.opts = options
        self.server = server
        self.progress = progress
        self.sleep = sleep
        self._rows: Sequence[OpRow] = ()
        self._by_key: dict[tuple[str, str | None], list[OpRow]] | None = None

    def index(self, rows: Sequence[OpRow]) -> None:
        """Remember the rows by entity, so a confirmation can reach the later rows of the same entity
        (grouped when first needed: a sync-up that confirms nothing never needs it)."""
        self._rows, self._by_key = rows, None

    def _rows_by_key(self) -> dict[tuple[str, str | None], list[OpRow]]:
        if self._by_key is None:
            self._by_key = defaultdict(list)
            for row in self._rows:
                if row.cref is not None:
                    self._by_key[row.key].append(row)
        return self._by_key

    async def confirm(self, rows: Sequence[OpRow], outcome: Outcome) -> None:
        self.index(rows)
        awaiting = [r for r in rows if r.queue(self.opts.max_attempts) == QueueKind.INBOX and not r.late]
        async for chunk, found in self._searched(awaiting, outcome):
            self.settle(chunk, found, outcome, count_misses=True)

    async def recheck(self, rows: Sequence[OpRow], outcome: Outcome) -> None:
        """Search once more for the rows an earlier sync did not find (they may only have been late:
        the server saves what it accepted after a delay). Those found applied are confirmed; the others
        go to conflicts now."""
        self.index(rows)
        late = [r for r in rows if r.late]
        if late:
            self.progress.say("Searching again for records not found by the last sync")
        async for chunk, found in self._searched(late, outcome, report_no_wire=False):
            still: dict[str, tuple[Rejection, list[int]]] = {}
            for row in self.settle(chunk, found, outcome, count_misses=False):
                assert row.last_error is not None
                again = rechecked(row.last_error)
                still.setdefault(again.message, (again, []))[1].append(row.id)
                self.progress.advance(row, confirmed=True)  # done with, for this run: in conflicts now
            for again, ids in still.values():
                self.store.set_error(ids, again, non_recoverable=True)
                outcome.counts["conflicts"] += len(ids)
            self.progress.publish()

    async def _searched(
        self, rows: Sequence[OpRow], outcome: Outcome, report_no_wire: bool = True
    ) -> AsyncIterator[tuple[list[OpRow], dict[str, ServerEntity]]]:
        """The rows by entity type (in the app's order), in chunks of `search_limit`, each with what the
        server has of them; chunks whose search failed are left out (recorded in the outcome)."""
        by_type: dict[str, list[OpRow]] = defaultdict(list)
        for row in rows:
            by_type[row.entity_type].append(row)
        for etype in sorted(by_type, key=lambda t: (order_index(t), t)):
            wire = self.opts.wires.get(etype)
            if wire is None:
                if report_no_wire:
                    outcome.fail(etype, len(by_type[etype]), no_wire(etype))
                continue
            type_rows = [r for r in by_type[etype] if r.cref]
            for start in range(0, len(type_rows), self.opts.search_limit):
                chunk = type_rows[start : start + self.opts.search_limit]
                found = await self.search(wire, chunk, outcome)
                if found is not None:
                    yield chunk, found

    async def search(
        self, wire: EntityWire, rows: Sequence[OpRow], outcome: Outcome
    ) -> dict[str, ServerEntity] | None:
        """The server copies of these rows; None when the search failed (recorded in the outcome).

        A search is a read: one that fails on the way (network, timeout, 5xx, an unreadable answer) is
        tried again, up to `poll_failures` times in a row with a pause that doubles, the progress
        saying "Lost contact, retrying (n)"; a refusal (auth) stops the run at once."""
        crefs = [r.cref for r in rows if r.cref]
        failures = 0
        said = self.progress.message
        # Contact already lost in this run (the last call failed for good): one try, no pauses, so a
        # server that is down does not cost every later search its retries.
        attempts = 1 if outcome.transport_streak else self.opts.poll_failures
        while True:
            try:
                found = await self.server.search(wire, crefs)
                break
            except Abort:
                raise
            except Failure as exc:
                failures += 1
                if exc.rejection.category not in TRANSIENT or failures >= attempts:
                    outcome.transport_failed(wire.entity_type, len(rows), exc.rejection)
                    return None
                self.progress.say(f"Lost contact, retrying ({failures})")
                await self.sleep(min(self.opts.poll_backoff * 2 ** (failures - 1), MAX_BACKOFF))
        if failures:
            self.progress.say(said)
        outcome.transport_streak = 0
        outcome.successes += 1
        return found

    def settle(
        self, rows: Sequence[OpRow], found: dict[str, ServerEntity], outcome: Outcome, count_misses: bool
    ) -> list[OpRow]:
        """Confirm the rows the server has applied; count a miss for the others (if asked).
        Returns the rows that are not confirmed."""
        confirmed: list[Confirmed] = []
        missed: list[OpRow] = []
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
            if entity is not None and applied(row, entity, texts.get(row.id)):
                version = entity.row_version if entity.row_version is not None else row.row_version
                confirmed.append((row, entity.id, version, entity.additional_ids))
            else:
                missed.append(row)
        if confirmed:
            self.store.mark_confirmed(confirmed)
            self._propagate(confirmed)
            outcome.counts["confirmed"] += len(confirmed)
            for row, *_ in confirmed:
                self.progress.advance(row, confirmed=True)
        if missed and count_misses:
            attempts = self.opts.max_attempts

            def why(row: OpRow) -> Rejection:
                entity = found.get(row.cref or "")
                if entity is None:
                    return not_confirmed(attempts)
                return not_applied(row.operation, attempts, row.row_version, entity.row_version)

            exhausted = set(self.store.mark_missed(missed, why))
            outcome.counts["late"] += len(exhausted)
            for row in missed:
                if row.id in exhausted:
                    self.progress.advance(row, confirmed=True)  # done with: searched again next sync
        self.progress.publish()
        return missed

    def _propagate(self, confirmed: Sequence[Confirmed]) -> None:
        """Later unsent rows of the same entity learn the server id and the new row version."""
        updates = []
        by_key = self._rows_by_key()
        for row, sid, version, _ in confirmed:
            for later in by_key.get(row.key, ()):
                if later.synced_up or (later.created_at, later.id) <= (row.created_at, row.id):
                    continue
                updates.append((later.id, sid if later.server_id is None else None, version))
        self.store.propagate(updates)


def applied(row: OpRow, entity: ServerEntity, local_text: str | None = None) -> bool:
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
        return same_fields(local_text, entity.raw)
    if row.operation == "delete":
        return entity.is_deleted
    return False


_NOT_COMPARED = frozenset({"id", "rowVersion", "isDeleted", "auditDetails", "clientAuditDetails"})


def same_fields(local_text: str | None, server: dict[str, Any]) -> bool:
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
