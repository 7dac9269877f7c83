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
import os
import socket
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import httpx

from synctui.backend import Secret
from synctui.model import Category, QueueKind, Rejection, SyncProgress, SyncResult

from .confirmation import Confirmation
from .oplog import OpLogStore, OpRow, now_ms
from .options import HCMOptions
from .server_api import ServerApi
from .sync_outcome import Abort, Failure, Outcome
from .sync_progress import ProgressTracker
from .sync_rejections import (
    VERIFYING_EARLIER_SEND,
    moved_to_conflicts,
    not_confirmed,
    not_confirmed_yet,
)
from .sync_up import ABORT_AFTER_TRANSPORT_FAILURES, SyncUp, plan
from .wire import EntityWire, ServerEntity

__all__ = [
    "ABORT_AFTER_TRANSPORT_FAILURES",
    "LAST_RUN_KEY",
    "LEASE_KEY",
    "LEASE_STALE_MS",
    "Abort",
    "Failure",
    "Outcome",
    "SyncRunner",
    "not_confirmed",
]

LEASE_KEY = "sync_lease"
LAST_RUN_KEY = "last_run"
LEASE_STALE_MS = 120_000  # like the app's SyncLock: a lease older than 2 min is abandoned


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
        self.sleep = sleep
        self.server = ServerApi(options, http, base_url, token)
        self.progress = ProgressTracker(options.max_attempts)
        self.confirmation = Confirmation(store, options, self.server, self.progress, sleep)
        self.uploader = SyncUp(store, options, self.server, self.progress, self.confirmation, sleep)

    async def search(self, wire: EntityWire, crefs: Sequence[str]) -> dict[str, ServerEntity]:
        """Server copies by clientReferenceId (deleted ones included). Raises Failure, never "not found"
        for a failed call."""
        return await self.server.search(wire, crefs)

    async def confirm(self, rows: Sequence[OpRow], outcome: Outcome) -> None:
        await self.confirmation.confirm(rows, outcome)

    async def sync_up(self, outcome: Outcome) -> None:
        await self.uploader.run(outcome)

    # --- the cycle ------------------------------------------------------------------------------

    async def run(self, emit: Callable[[SyncProgress], None]) -> SyncResult:
        self.progress.emit = emit
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
            self.progress.finish(result.message)
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
        self.progress.reset(self.store.unfinished())
        for pass_no in range(self.opts.max_passes):
            self._renew_lease()
            outcome.failures.clear()
            outcome.transport_streak = 0
            outcome.successes = 0
            self.progress.say(f"Pass {pass_no + 1}: confirming records on the server")
            rows = self.store.unfinished()
            self.progress.add(rows)
            if pass_no == 0:
                await self.confirmation.recheck(rows, outcome)
            await self.confirm(rows, outcome)
            self.progress.say(f"Pass {pass_no + 1}: sending records")
            await self.sync_up(outcome)
            rows = self.store.unfinished()
            awaiting = [r for r in rows if r.queue(self.opts.max_attempts) == QueueKind.INBOX and not r.late]
            sendable = plan(rows, self.opts.max_attempts)[0]
            if not awaiting and not sendable:
                break
            if outcome.failures and outcome.successes == 0 and not awaiting:
                break  # nothing moved this pass: report instead of hammering
            if pass_no + 1 < self.opts.max_passes:
                attempts = max((r.retries for r in awaiting), default=0)
                wait = self.opts.retry_interval * max(1, attempts)
                self.progress.say(f"Waiting {wait:g} s for the server to save what it accepted")
                await self.sleep(wait)
        return self._result(outcome)

    def _result(self, outcome: Outcome, abort: Rejection | None = None) -> SyncResult:
        """What the run did, counted. `ok`: the run itself met no failure (no refusal, no call that
        failed); rows it left awaiting confirmation, held back or moved to conflicts are counted and
        described in `rejection`, and the dashboard judges the queues."""
        rows = self.store.unfinished()
        by_queue = Counter(r.queue(self.opts.max_attempts) for r in rows)
        unsent = Counter(r.entity_type for r in plan(rows, self.opts.max_attempts)[0])
        counts = {
            "sent": outcome.counts["sent"],
            "confirmed": outcome.counts["confirmed"],
            "failed": sum(unsent.values()) + outcome.counts["conflicts"],
            "conflicts": outcome.counts["conflicts"],
            "pending": by_queue[QueueKind.OUTBOX],
            "awaiting": by_queue[QueueKind.INBOX],
            "rejected": outcome.counts["conflicts"],
            "unconfirmed": by_queue[QueueKind.INBOX],
        }
        tail = f"{counts['sent']} sent, {counts['confirmed']} confirmed"
        if counts["awaiting"]:
            tail += f", {counts['awaiting']} awaiting confirmation"
            if outcome.counts["late"]:
                tail += (
                    f" ({outcome.counts['late']} not found after {self.opts.max_attempts} searches: "
                    "the next sync searches for them again)"
                )
        if counts["conflicts"]:
            tail += f", {counts['conflicts']} moved to conflicts"
        held = sum(unsent.values())
        if abort is None and not outcome.failures:
            if held:
                tail += f", {held} not sent yet (an earlier send is being verified)"
            if counts["conflicts"]:
                left: Rejection | None = moved_to_conflicts(counts["conflicts"])
            elif held:
                left = VERIFYING_EARLIER_SEND
            elif counts["awaiting"]:
                left = not_confirmed_yet(counts["awaiting"])
            else:
                left = None
            return SyncResult(ok=True, message=tail, rejection=left, counts=counts)
        first = abort if abort is not None else outcome.failures[0][2]
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
        return SyncResult(ok=False, message=f"{reason} ({tail})", rejection=rejection, counts=counts)

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
            return SyncResult(ok=False, message=rejection.message, rejection=rejection)
        self.store.set_meta(LEASE_KEY, {**me, "at": now_ms()})
        return None

    def _renew_lease(self) -> None:
        self.store.set_meta(LEASE_KEY, {"pid": os.getpid(), "host": socket.gethostname(), "at": now_ms()})

    def _release_lease(self) -> None:
        held = self.store.meta(LEASE_KEY)
        if isinstance(held, dict) and held.get("pid") == os.getpid():
            self.store.set_meta(LEASE_KEY, None)
