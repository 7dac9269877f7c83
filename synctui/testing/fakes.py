"""Fakes for tests: a backend whose snapshot is whatever the test sets, and a snapshot builder."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any, ClassVar

from synctui.backend import Backend, BackendSettings
from synctui.model import Capability, Health, QueueKind, QueueStat, Snapshot, SyncProgress, SyncResult


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
    capabilities = frozenset({Capability.SYNCHRONIZE})

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
