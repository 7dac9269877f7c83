"""Checks of the Backend contract (synctui.backend), one function per kind of answer.

Each raises `ConformanceError` naming the adapter's kind and what is wrong, in words a plugin author
can act on. The conformance suite (synctui.testing.conformance) calls them; call them from your own
tests too.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from synctui.backend import Backend, BackendError
from synctui.model import (
    ActionResult,
    Capability,
    Category,
    Comparison,
    EntryDetail,
    EntryPage,
    Health,
    QueueEntry,
    QueueKind,
    Rejection,
    Setting,
    Snapshot,
    SyncLogRow,
    SyncResult,
    to_data,
)

# What the agent would call for each optional capability, with harmless arguments: an adapter that
# does not claim the capability must answer NotSupported.
UNCLAIMED_CALLS: dict[Capability, Callable[[Backend], Awaitable[Any]]] = {
    Capability.ENTRIES: lambda b: b.entries(QueueKind.OUTBOX, 0, 1),
    Capability.SYNCHRONIZE: lambda b: b.synchronize(lambda _: None),
    Capability.RETRY: lambda b: b.retry([]),
    Capability.DISCARD: lambda b: b.discard(QueueKind.CONFLICTS, []),
    Capability.COMPARE: lambda b: b.compare(QueueKind.CONFLICTS, "conformance-none"),
    Capability.COUNT_REMOTES: lambda b: b.count_remotes(),
    Capability.RESET: lambda b: b.reset([]),
    Capability.RESUBMIT: lambda b: b.resubmit(datetime.now(UTC), datetime.now(UTC), lambda _: None),
    Capability.CHECK_CONNECTION: lambda b: b.check_connection(),
    Capability.SETTINGS: lambda b: b.settings_list(),
    Capability.RESTORE: lambda b: b.restore(
        QueueKind.CONFLICTS, QueueEntry("conformance-none", QueueKind.CONFLICTS, "none", "none"), ""
    ),
}


class ConformanceError(AssertionError):
    pass


def _fail(backend: Backend, message: str) -> None:
    raise ConformanceError(f"{backend.kind}: {message}")


def _aware(backend: Backend, moment: datetime | None, what: str) -> None:
    if moment is not None and (not isinstance(moment, datetime) or moment.tzinfo is None):
        _fail(backend, f"{what} must be a timezone-aware datetime or None, got {moment!r}")


def _count(backend: Backend, value: Any, what: str) -> None:
    if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 0):
        _fail(backend, f"{what} must be a non-negative int or None, got {value!r}")


def _line(backend: Backend, text: Any, what: str) -> None:
    if not isinstance(text, str) or not text.strip():
        _fail(backend, f"{what} must be a non-empty line of text, got {text!r}")
    if "\n" in text or "\r" in text:
        _fail(backend, f"{what} must be one line (details belong in Rejection.raw), got {text[:120]!r}")


def check_snapshot(snapshot: Snapshot, backend: Backend) -> None:
    """Raise ConformanceError when a snapshot breaks the contract of synctui.model."""
    if not isinstance(snapshot, Snapshot):
        _fail(backend, f"snapshot() returned {type(snapshot).__name__}")
    if snapshot.backend != backend.settings.name:
        _fail(backend, f"snapshot.backend is {snapshot.backend!r}, expected the configured name")
    if snapshot.kind != backend.kind:
        _fail(backend, f"snapshot.kind is {snapshot.kind!r}, expected {backend.kind!r}")
    kinds = [q.kind for q in snapshot.queues]
    if sorted(kinds) != sorted(QueueKind):
        _fail(backend, f"queues must list each QueueKind once, got {[str(k) for k in kinds]}")
    for q in snapshot.queues:
        _count(backend, q.count, f"{q.kind.value} count")
        _aware(backend, q.oldest, f"{q.kind.value} oldest")
    if not isinstance(snapshot.health, Health):
        _fail(backend, f"snapshot.health is {type(snapshot.health).__name__}, not a Health")
    if snapshot.health.error is not None:
        check_rejection(snapshot.health.error, backend, "snapshot.health.error")
    _aware(backend, snapshot.taken_at, "taken_at")
    if snapshot.taken_at is None:
        _fail(backend, "taken_at must be set")
    check_log_rows(snapshot.log, backend)
    if snapshot.capabilities and snapshot.capabilities != backend.capabilities:
        _fail(backend, "snapshot.capabilities must equal the backend's capabilities")


def check_log_rows(rows: Iterable[SyncLogRow], backend: Backend) -> None:
    for row in rows:
        if not isinstance(row, SyncLogRow):
            _fail(backend, f"a sync log row is {type(row).__name__}, not a SyncLogRow")
        for moment, what in ((row.last_success, "last_success"), (row.last_attempt, "last_attempt")):
            _aware(backend, moment, f"sync log row {row.key}: {what}")
        for value, what in ((row.local_count, "local_count"), (row.remote_count, "remote_count")):
            _count(backend, value, f"sync log row {row.key}: {what}")


def check_rejection(rejection: Rejection, backend: Backend, what: str) -> None:
    if not isinstance(rejection, Rejection):
        _fail(backend, f"{what} is {type(rejection).__name__}, not a Rejection")
    if not isinstance(rejection.category, Category):
        _fail(backend, f"{what}.category is {rejection.category!r}, not a Category")
    _line(backend, rejection.message, f"{what}.message")


def check_error(exc: BaseException, backend: Backend, what: str) -> None:
    """A failure must be a BackendError whose rejection a person can read."""
    if not isinstance(exc, BackendError):
        _fail(backend, f"{what} raised {type(exc).__name__}: {exc!s:.200} (only BackendError may escape)")
    check_rejection(exc.rejection, backend, f"{what}: the rejection")


def check_page(page: EntryPage, backend: Backend, queue: QueueKind, offset: int, limit: int) -> None:
    where = f"entries({queue.value}, {offset}, {limit})"
    if not isinstance(page, EntryPage):
        _fail(backend, f"{where} returned {type(page).__name__}, not an EntryPage")
    if len(page.entries) > limit:
        _fail(backend, f"{where} returned {len(page.entries)} entries, more than the limit")
    if page.offset != offset:
        _fail(backend, f"{where} says offset {page.offset}")
    _count(backend, page.total, f"{where}.total")
    if page.total is not None and page.total < offset + len(page.entries):
        _fail(backend, f"{where}.total is {page.total}, fewer than the entries up to this page")
    for entry in page.entries:
        check_entry(entry, backend, queue, where)


def check_entry(entry: QueueEntry, backend: Backend, queue: QueueKind, where: str) -> None:
    if not isinstance(entry, QueueEntry):
        _fail(backend, f"{where} listed a {type(entry).__name__}, not a QueueEntry")
    if not isinstance(entry.id, str) or not entry.id:
        _fail(backend, f"{where}: entry ids must be non-empty strings, got {entry.id!r}")
    if entry.queue != queue:
        _fail(backend, f"{where}: entry {entry.id} says it is in {entry.queue}")
    _aware(backend, entry.created, f"{where}: entry {entry.id} created")
    _count(backend, entry.attempts, f"{where}: entry {entry.id} attempts")
    if entry.rejection is not None:
        check_rejection(entry.rejection, backend, f"{where}: entry {entry.id} rejection")


def check_detail(detail: EntryDetail, backend: Backend, queue: QueueKind, id: str) -> None:
    where = f"entry({queue.value}, {id!r})"
    if not isinstance(detail, EntryDetail):
        _fail(backend, f"{where} returned {type(detail).__name__}, not an EntryDetail")
    if detail.entry.id != id:
        _fail(backend, f"{where} returned entry {detail.entry.id!r}")
    check_entry(detail.entry, backend, queue, where)
    if not isinstance(detail.payload, str):
        _fail(backend, f"{where}.payload must be text, got {type(detail.payload).__name__}")


def check_action_result(result: ActionResult, backend: Backend, what: str) -> None:
    """Counted and truthful: `ok` only when every entry asked for was done."""
    if not isinstance(result, ActionResult):
        _fail(backend, f"{what} returned {type(result).__name__}, not an ActionResult")
    _line(backend, result.message, f"{what}.message")
    for key, value in result.counts.items():
        _count(backend, value, f"{what}.counts[{key!r}]")
    failed = [r.id for r in result.results if not r.ok]
    if result.ok and failed:
        _fail(backend, f"{what} says ok but entries {failed[:5]} were not done")
    for entry in result.results:
        if entry.rejection is not None:
            check_rejection(entry.rejection, backend, f"{what}: entry {entry.id} rejection")


def check_sync_result(result: SyncResult, backend: Backend) -> None:
    if not isinstance(result, SyncResult):
        _fail(backend, f"synchronize() returned {type(result).__name__}, not a SyncResult")
    _line(backend, result.message, "synchronize().message")
    for key, value in result.counts.items():
        _count(backend, value, f"synchronize().counts[{key!r}]")
    if result.rejection is not None:  # a failure's reason, or what an ended sync left (HCM)
        check_rejection(result.rejection, backend, "synchronize().rejection")


def check_health(health: Health, backend: Backend) -> None:
    if not isinstance(health, Health):
        _fail(backend, f"check_connection() returned {type(health).__name__}, not a Health")
    if health.latency_ms is not None and (
        not isinstance(health.latency_ms, float | int) or health.latency_ms < 0
    ):
        _fail(backend, f"check_connection() latency_ms is {health.latency_ms!r}")
    if not health.online and health.error is None:
        _fail(backend, "check_connection() says offline without saying why (Health.error)")
    if health.error is not None:
        check_rejection(health.error, backend, "check_connection().error")


def check_comparison(comparison: Comparison, backend: Backend, id: str) -> None:
    if not isinstance(comparison, Comparison):
        _fail(backend, f"compare() returned {type(comparison).__name__}, not a Comparison")
    if comparison.id != id:
        _fail(backend, f"compare({id!r}) returned the comparison of {comparison.id!r}")
    if comparison.server is None and not comparison.reason:
        _fail(backend, "compare() has no server copy and no reason why")


def check_settings(settings: list[Setting], backend: Backend) -> None:
    if not isinstance(settings, list) or not all(isinstance(s, Setting) for s in settings):
        _fail(backend, f"settings_list() must return a list of Setting, got {settings!r:.200}")
    keys = [s.key for s in settings]
    if len(set(keys)) != len(keys):
        _fail(backend, f"settings_list() repeats keys: {keys}")


def check_watch_paths(backend: Backend) -> None:
    try:
        paths = backend.watch_paths()
    except Exception as exc:
        raise ConformanceError(f"{backend.kind}: watch_paths() raised {exc!r}") from exc
    if not isinstance(paths, list) or not all(isinstance(p, Path) for p in paths):
        _fail(backend, f"watch_paths() must return a list of Path, got {paths!r:.200}")


def check_no_secret(value: Any, backend: Backend, what: str) -> None:
    """The configured password or token must not appear in anything the adapter returns."""
    secret = backend.settings.secret.reveal() if backend.settings.secret else ""
    if len(secret) < 4:
        return  # too short to tell a leak from a coincidence
    text = json.dumps(to_data(value)) if not isinstance(value, str) else value
    if secret in text:
        _fail(backend, f"{what} shows the configured secret")


async def check_backend(backend: Backend) -> Snapshot:
    """Run the read-only parts of the interface and check what comes back. Returns the snapshot."""
    snapshot = await backend.snapshot()
    check_snapshot(snapshot, backend)
    if Capability.ENTRIES in backend.capabilities:
        for stat in snapshot.queues:
            if not stat.count:
                continue
            page = await backend.entries(stat.kind, 0, 2)
            check_page(page, backend, stat.kind, 0, 2)
            if page.entries:
                detail = await backend.entry(stat.kind, page.entries[0].id)
                check_detail(detail, backend, stat.kind, page.entries[0].id)
    check_watch_paths(backend)
    return snapshot
