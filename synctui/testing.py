"""Helpers for plugin authors and for synctui's own tests.

- `StaticBackend`: a backend whose snapshot is whatever you set (or an exception to raise).
- `check_snapshot` / `check_backend`: conformance checks every adapter should pass; call them from
  your plugin's tests against your simulator.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any, ClassVar

from synctui.backend import Backend, BackendError, BackendSettings
from synctui.model import (
    Capability,
    EntryPage,
    Health,
    QueueKind,
    QueueStat,
    Snapshot,
    SyncProgress,
    SyncResult,
)


class ConformanceError(AssertionError):
    pass


def make_snapshot(name: str = "static", kind: str = "static", **counts: int | None) -> Snapshot:
    """A snapshot with the given queue counts (outbox=3, conflicts=None, ...), online, taken now."""
    return Snapshot(
        backend=name,
        kind=kind,
        queues=[QueueStat(kind=k, count=counts.get(k.value, 0)) for k in QueueKind],
        health=Health(online=True, latency_ms=1.0),
        taken_at=datetime.now(UTC),
    )


class StaticBackend(Backend):
    """Serves `self.next` (a Snapshot, or an exception instance to raise, or "hang")."""

    kind: ClassVar[str] = "static"
    capabilities: ClassVar[frozenset[Capability]] = frozenset({Capability.SYNCHRONIZE})

    def __init__(self, settings: BackendSettings, http: Any) -> None:
        super().__init__(settings, http)
        self.next: Snapshot | BaseException | str = make_snapshot(settings.name, self.kind)
        self.sync_result = SyncResult(ok=True, message="Sync finished")
        self.sync_started = 0
        self.sync_gate: asyncio.Event | None = None

    async def snapshot(self) -> Snapshot:
        value = self.next
        if isinstance(value, BaseException):
            raise value.with_traceback(None)  # a fresh traceback each time, not one more layer
        if value == "hang":
            await asyncio.sleep(3600)
        assert isinstance(value, Snapshot)
        return replace(value, taken_at=datetime.now(UTC))

    async def synchronize(self, progress: Any) -> SyncResult:
        self.sync_started += 1
        progress(SyncProgress(message="Sending"))
        if self.sync_gate is not None:
            await self.sync_gate.wait()
        return self.sync_result


def check_snapshot(snapshot: Snapshot, backend: Backend) -> None:
    """Raise ConformanceError when a snapshot breaks the contract of synctui.model."""

    def fail(message: str) -> None:
        raise ConformanceError(f"{backend.kind}: {message}")

    if not isinstance(snapshot, Snapshot):
        fail(f"snapshot() returned {type(snapshot).__name__}")
    if snapshot.backend != backend.settings.name:
        fail(f"snapshot.backend is {snapshot.backend!r}, expected the configured name")
    if snapshot.kind != backend.kind:
        fail(f"snapshot.kind is {snapshot.kind!r}, expected {backend.kind!r}")
    kinds = [q.kind for q in snapshot.queues]
    if sorted(kinds) != sorted(QueueKind):
        fail(f"queues must list each QueueKind once, got {[k.value for k in kinds]}")
    for q in snapshot.queues:
        if q.count is not None and (not isinstance(q.count, int) or q.count < 0):
            fail(f"{q.kind.value} count must be a non-negative int or None, got {q.count!r}")
        if q.oldest is not None and q.oldest.tzinfo is None:
            fail(f"{q.kind.value} oldest must be timezone-aware")
    if snapshot.taken_at.tzinfo is None:
        fail("taken_at must be timezone-aware")
    for row in snapshot.log:
        for moment in (row.last_success, row.last_attempt):
            if moment is not None and moment.tzinfo is None:
                fail(f"sync log row {row.key}: timestamps must be timezone-aware")
    if snapshot.capabilities and snapshot.capabilities != type(backend).capabilities:
        fail("snapshot.capabilities must equal the class's capabilities")


async def check_backend(backend: Backend) -> Snapshot:
    """Run the read-only parts of the interface and check what comes back. Returns the snapshot."""
    snapshot = await backend.snapshot()
    check_snapshot(snapshot, backend)
    if Capability.ENTRIES in backend.capabilities:
        for stat in snapshot.queues:
            if not stat.count:
                continue
            page = await backend.entries(stat.kind, 0, 2)
            if not isinstance(page, EntryPage):
                raise ConformanceError(f"entries() returned {type(page).__name__}")
            if len(page.entries) > 2:
                raise ConformanceError("entries() returned more than `limit` entries")
            if page.total is not None and page.total < len(page.entries):
                raise ConformanceError("entries() total is smaller than the page")
            for entry in page.entries:
                if entry.queue != stat.kind:
                    raise ConformanceError(f"entry {entry.id} listed under {stat.kind} says {entry.queue}")
            if page.entries:
                detail = await backend.entry(stat.kind, page.entries[0].id)
                if detail.entry.id != page.entries[0].id:
                    raise ConformanceError("entry() returned another entry")
    try:
        backend.watch_paths()
    except Exception as exc:
        raise ConformanceError(f"watch_paths() raised {exc!r}") from exc
    return snapshot


__all__ = [
    "BackendError",
    "ConformanceError",
    "StaticBackend",
    "check_backend",
    "check_snapshot",
    "make_snapshot",
]
