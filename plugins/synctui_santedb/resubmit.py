"""Re-Submit To Server (OpenIZ, `PUT /__app/data/sync?creationTime=>…&creationTime=<…`) makes the client
queue again, as Update bundles, the records created in the range that the server lacks; KB005 warns it
can take 20–30 minutes. The client asks only the server what it lacks, not its own outbox
(openizdc `ApplicationService.ForceRequeue`), so a record still waiting in the outbox would be queued a
second time, the "do not re-perform the action" harm of KB005. So the outbox is read first and every
record waiting there is left out of the request: `&id=!<key>` for each, which the client's query parser
joins with AND (`QueryExpressionParser`: `=` values are OR-ed, the other operators AND-ed). Afterwards
the entries queued meanwhile are read back and counted by record; a waiting record found among them
(the client did not honour the exclusion) is reported, never deleted behind the user's back.

Progress is the outbox growing (queued) and draining; entries leaving the outbox are not known to have
reached the server. Cancelling the coroutine stops the wait and drops the request; a real client may
finish the work regardless.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar
from urllib.parse import urlencode

from synctui.backend import BackendError, LostContact, ProgressCallback
from synctui.model import ActionResult, Category, QueueEntry, QueueKind, Rejection, SyncProgress, SyncStep

from . import reading, reading_legacy
from .dcdr_client import DcdrClient
from .record_keys import Unreadable, record_keys
from .sync_now import poll

T = TypeVar("T")
MAX_PAYLOAD = 8 * 1024 * 1024  # characters of one outbox payload read for its record keys
LIST_PAGE = 100
VERIFY_LIMIT = 2000  # entries queued by a re-submit that are read back to count their records


def resubmit_query(since: datetime, until: datetime, left_out: Collection[str] = ()) -> str:
    """`creationTime=>YYYY-MM-DDT00:00:00&creationTime=<YYYY-MM-DDT23:59:59` (whole days, as the UI),
    then `&id=!<key>` for each record to leave out."""
    return urlencode(
        [
            ("creationTime", f">{since:%Y-%m-%d}T00:00:00"),
            ("creationTime", f"<{until:%Y-%m-%d}T23:59:59"),
            *(("id", f"!{key}") for key in sorted(left_out)),
        ]
    )


def _timed_out(exc: BaseException) -> bool:
    return isinstance(exc, BackendError) and exc.rejection.code == "UNREACHABLE" and "in time" in str(exc)


def _too_many(client: DcdrClient, what: str) -> BackendError:
    return BackendError(
        Rejection(
            category=Category.RETRYABLE,
            message=f"Re-submit was not started: {what}, too many to leave out of the request one by "
            "one, so it could queue some of them a second time",
            advice="Synchronize Now first so that the outbox empties, then re-submit. (Limit: the "
            f"option resubmit_max_waiting = {client.options['resubmit_max_waiting']}.)",
            code="OUTBOX_TOO_FULL",
        )
    )


def _entry_number(entry: QueueEntry) -> int:
    return int(entry.id) if entry.id.isdigit() else -1


@dataclass
class _Watch:
    """What the re-submit has seen of the outbox."""

    started: datetime
    scanned: int = 0
    to_scan: int = 0
    checked: datetime | None = None
    answered: datetime | None = None
    grown: int = 0  # entries the outbox grew by, seen between polls
    peak: int = 0
    outbox: int = 0
    note: str = ""
    waiting: set[str] = field(default_factory=set)

    def progress(self, message: str, running: bool = True) -> SyncProgress:
        steps = [
            SyncStep(
                "Check what waits in the outbox",
                total=self.to_scan,
                done=self.scanned,
                started=self.started,
                finished=self.checked,
            ),
            SyncStep(
                "Queue records the server lacks",
                total=self.grown if self.answered else None,
                done=self.grown,
                started=self.started,
                finished=self.answered,
            ),
            SyncStep("Send outbox", total=self.peak, done=self.peak - self.outbox, started=self.started),
        ]
        return SyncProgress(steps=steps, message=message, running=running)


async def _guarded(
    client: DcdrClient, call: Callable[[], Awaitable[T]], watch: _Watch, progress: ProgressCallback
) -> T:
    def lost(failures: int, why: Rejection) -> None:
        progress(watch.progress(f"Lost contact, retrying ({failures})"))

    return await poll(client, call, lost)


async def _outbox_after(
    client: DcdrClient, after: int, limit: int, watch: _Watch, progress: ProgressCallback
) -> list[QueueEntry]:
    """The outbox entries with an id above `after` (FIFO by id), at most `limit`."""
    found: list[QueueEntry] = []
    offset = 0
    while len(found) < limit:

        async def listing(offset: int = offset) -> Any:
            return await reading.page(client, QueueKind.OUTBOX, offset, LIST_PAGE)

        listed = await _guarded(client, listing, watch, progress)
        found += [e for e in listed.entries if _entry_number(e) > after]
        offset += len(listed.entries)
        if len(listed.entries) < LIST_PAGE:
            break
    return found[:limit]


async def _keys_of(
    client: DcdrClient, entry: QueueEntry, watch: _Watch, progress: ProgressCallback
) -> set[str] | None:
    """The record keys of one outbox entry; None when it left the outbox meanwhile."""

    async def read() -> tuple[str, bool]:
        if client.profile.entry_lookup == "inline":
            detail = await reading_legacy.inline_entry(client, QueueKind.OUTBOX, entry.id, MAX_PAYLOAD)
            return detail.payload, detail.truncated
        text, _, truncated = await reading.payload(client, QueueKind.OUTBOX, entry.id, MAX_PAYLOAD)
        return text, truncated

    try:
        text, truncated = await _guarded(client, read, watch, progress)
    except BackendError as exc:
        if exc.rejection.category == Category.GONE:
            return None
        raise
    if truncated:
        raise Unreadable("larger than synctui reads")
    return record_keys(text)


async def _waiting(client: DcdrClient, watch: _Watch, progress: ProgressCallback) -> int:
    """Read every outbox entry's records into `watch.waiting`; returns the highest entry id (-1: none)."""
    limit = int(client.options["resubmit_max_waiting"])
    entries = await _outbox_after(client, -1, limit + 1, watch, progress)
    if len(entries) > limit:
        raise _too_many(client, f"the outbox holds more than {limit} entries")
    watch.to_scan = len(entries)
    for entry in entries:
        try:
            keys = await _keys_of(client, entry, watch, progress)
        except Unreadable as exc:
            raise BackendError(
                Rejection(
                    category=Category.UNKNOWN,
                    message=f"Re-submit was not started: outbox entry {entry.id} could not be read "
                    f"({exc}), so its records could be queued a second time",
                    advice="Inspect that entry in the Outbox; synchronize first so that it is sent, "
                    "then re-submit.",
                    code="OUTBOX_UNREADABLE",
                )
            ) from None
        watch.waiting |= keys or set()
        watch.scanned += 1
        progress(watch.progress("Checking what already waits in the outbox"))
    if len(watch.waiting) > limit:
        raise _too_many(client, f"{len(watch.waiting)} records are waiting in the outbox")
    watch.checked = reading.now()
    return max((_entry_number(e) for e in entries), default=-1)


@dataclass
class _Queued:
    records: set[str] = field(default_factory=set)  # keys of records newly queued
    again: set[str] = field(default_factory=set)  # keys that were already waiting, queued again
    unread: int = 0  # new entries gone (or unreadable) before they could be read


async def _read_back(client: DcdrClient, after: int, watch: _Watch, progress: ProgressCallback) -> _Queued:
    """What the entries queued since the check hold, by record."""
    queued = _Queued()
    entries = await _outbox_after(client, after, VERIFY_LIMIT, watch, progress)
    for entry in entries:
        try:
            keys = await _keys_of(client, entry, watch, progress)
        except Unreadable:
            keys = None
        if keys is None:
            queued.unread += 1
            continue
        queued.again |= keys & watch.waiting
        queued.records |= keys - watch.waiting
    queued.unread += max(watch.grown - len(entries), 0)
    return queued


async def resubmit(
    client: DcdrClient, since: datetime, until: datetime, progress: ProgressCallback
) -> ActionResult:
    call = client.profile.resubmit
    assert call is not None
    if not isinstance(since, datetime) or not isinstance(until, datetime) or until.date() < since.date():
        raise client.config("the re-submit range must be two dates, the first not after the second")
    watch = _Watch(started=reading.now())
    baseline = (await reading.counts(client))[QueueKind.OUTBOX]
    limit = int(client.options["resubmit_max_waiting"])
    if baseline > limit:
        raise _too_many(client, f"the outbox holds {baseline} entries")
    watch.to_scan = watch.peak = watch.outbox = baseline
    progress(watch.progress("Checking what already waits in the outbox"))
    last_id = await _waiting(client, watch, progress)
    client.forget_cache()
    previous, still = (await reading.counts(client))[QueueKind.OUTBOX], 0
    watch.outbox = watch.peak = previous
    request = asyncio.ensure_future(
        client.request(call.method, call.path, query=resubmit_query(since, until, watch.waiting))
    )
    interval = float(client.options["sync_poll_interval"])
    settle = max(int(client.options["sync_settle_polls"]), 1)
    deadline = time.monotonic() + float(client.options["sync_max_duration"])
    error: BackendError | None = None
    lost: LostContact | None = None
    try:
        while True:
            try:
                counted = await _guarded(client, lambda: reading.counts(client), watch, progress)
            except LostContact as exc:
                lost = exc
                break
            outbox = counted[QueueKind.OUTBOX]
            watch.grown += max(outbox - previous, 0)
            still = still + 1 if outbox == previous else 0
            previous, watch.outbox = outbox, outbox
            watch.peak = max(watch.peak, outbox)
            if request.done() and watch.answered is None:
                watch.answered = reading.now()
                failure = request.exception()
                if isinstance(failure, BackendError) and not _timed_out(failure):
                    error = failure
                    break
                if failure is not None and not isinstance(failure, BackendError):
                    raise failure
                if failure is not None:
                    watch.note = "the client did not answer in time and may still be queueing"
            finished = watch.answered is not None and (outbox == 0 or still >= settle)
            progress(watch.progress("Re-submitting to the server", running=not finished))
            if finished:
                break
            if time.monotonic() >= deadline:
                watch.note = watch.note or "it did not finish in time and may still be queueing"
                break
            await asyncio.sleep(interval)
    finally:
        if not request.done():
            request.cancel()  # cancelled or given up: do not leave the request behind
    client.forget_cache()
    if error is not None and not watch.grown:
        raise error  # refused before it queued anything (no permission, bad request...)
    queued: _Queued | None = None
    if lost is None:
        try:
            queued = await _read_back(client, last_id, watch, progress)
        except LostContact as exc:
            lost = exc
    result = _resubmit_result(since, until, watch, queued, error, lost)
    progress(watch.progress(result.message, running=False))
    return result


def _resubmit_result(
    since: datetime,
    until: datetime,
    watch: _Watch,
    queued: _Queued | None,
    error: BackendError | None,
    lost: LostContact | None,
) -> ActionResult:
    span = f"{since:%Y-%m-%d} to {until:%Y-%m-%d}"
    counts: dict[str, int] = {"already_queued": len(watch.waiting)}
    if queued is not None:
        counts |= {"queued": len(queued.records), "failed": len(queued.again)}
        if queued.unread:
            counts["queued_unread"] = queued.unread
        records = "record" if len(queued.records) == 1 else "records"
        said = f"Queued {len(queued.records)} {records} created {span} that the server lacks"
    else:
        counts["queued_entries"] = watch.grown
        entries = "entry" if watch.grown == 1 else "entries"
        said = f"The outbox grew by {watch.grown} {entries} (records created {span} that the server lacks)"
    parts = [said]
    if watch.waiting:
        parts.append(
            f"{len(watch.waiting)} records already waiting in the outbox were left out, not queued again"
        )
    if queued is not None and queued.again:
        parts.append(
            f"{len(queued.again)} of those waiting records were queued a second time all the same (the "
            "client did not honour the exclusion): they are in the outbox twice"
        )
    if queued is not None and queued.unread:
        parts.append(
            f"{queued.unread} queued entries left the outbox before they could be read and are not counted"
        )
    problems = [p for p in (watch.note, _said(error), _said(lost)) if p]
    parts += problems
    ok = not problems and queued is not None and not queued.again
    return ActionResult(ok=ok, message="; ".join(parts), counts=counts)


def _said(exc: BackendError | None) -> str:
    if exc is None:
        return ""
    if isinstance(exc, LostContact):
        return (
            f"lost contact with the client ({exc.failures} calls in a row failed: "
            f"{exc.rejection.message}); what it queued is not all known"
        )
    return f"the client stopped with an error: {exc.rejection.message}"
