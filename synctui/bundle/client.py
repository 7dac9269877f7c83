"""`BundleClient`: the `AgentClient` of a support bundle. The dashboard draws the device's state from
it as from a live agent; every change is refused, and so is anything that would need the device."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import datetime
from typing import Any, NoReturn

from synctui.bundle.contents import Contents
from synctui.client_interface import AgentRefused
from synctui.model import (
    ActionResult,
    ActionStatus,
    AgentState,
    BackendView,
    Capability,
    Comparison,
    EntryDetail,
    EntryPage,
    Health,
    PluginInfo,
    QueueEntry,
    QueueKind,
    Setting,
    SyncLogRow,
)

READ_ONLY = "this is a support bundle: it shows the device as it was and changes nothing"
NO_DEVICE = "this is a support bundle: the device and its server cannot be reached from it"
NOT_HELD = "this support bundle does not hold it (left out, or not collected, when it was made)"


class BundleClient:
    """`opened`: as support staff see it (read-only, only browsing offered). Otherwise the state is
    served as the agent gave it, so that the bundle's screenshots show what the technician saw."""

    def __init__(self, contents: Contents, description: str, *, opened: bool = True) -> None:
        self.contents = contents
        self.description = description
        self.reaches_device = not opened  # the screenshots show what the technician had: Refresh
        state = contents.state
        if opened:
            state = replace(
                state,
                readonly=True,
                readonly_allows_sync=False,
                embedded=False,  # the header then names the bundle, not the agent that was
                pin_required=False,
                backends=[
                    replace(view, snapshot=replace(view.snapshot, capabilities=_browsing(view)))
                    for view in state.backends
                ],
            )
        self._state = state

    async def state(self) -> AgentState:
        return self._state

    async def updates(self) -> AsyncIterator[AgentState]:
        yield self._state
        await asyncio.Event().wait()  # a bundle never changes: the stream stays open and quiet

    async def entries(
        self, backend: str, queue: QueueKind, offset: int = 0, limit: int = 50, filter: str | None = None
    ) -> EntryPage:
        conflicts = self.contents.conflicts.get(backend) if queue is QueueKind.CONFLICTS else None
        if conflicts is not None:
            chosen = _matching(conflicts, filter)
            total = len(chosen) if filter else self.contents.conflicts_total.get(backend, len(chosen))
            return EntryPage(chosen[offset : offset + limit], offset, limit, total)
        page = self.contents.pages.get((backend, queue))
        if page is None:
            raise AgentRefused(404, f"the {queue.value} queue of {backend}: {NOT_HELD}")
        if offset > 0:
            raise AgentRefused(404, f"this support bundle holds only the first page of {queue.value}")
        chosen = _matching(page.entries, filter)
        return replace(page, entries=chosen[:limit], total=len(chosen) if filter else page.total)

    async def entry(self, backend: str, queue: QueueKind, id: str) -> EntryDetail:
        detail = self.contents.details.get(backend, {}).get(id)
        if detail is None:
            raise AgentRefused(404, f"the record's contents: {NOT_HELD}")
        return detail

    async def plugins(self) -> list[PluginInfo]:
        return list(self.contents.plugins)

    async def audit(self, limit: int = 100) -> list[dict[str, Any]]:
        if self.contents.audit is None:
            raise AgentRefused(404, f"the audit log: {NOT_HELD}")
        return self.contents.audit[-limit:] if limit > 0 else []

    async def refresh(self, backend: str | None = None) -> None:
        _refuse(NO_DEVICE)

    async def synchronize(self, backend: str, *, key: str | None = None) -> ActionStatus:
        _refuse(READ_ONLY)

    async def retry(
        self, backend: str, ids: list[str] | None, *, pin: str | None = None, key: str | None = None
    ) -> ActionResult:
        _refuse(READ_ONLY)

    async def discard(
        self,
        backend: str,
        queue: QueueKind,
        ids: list[str],
        *,
        pin: str | None = None,
        key: str | None = None,
    ) -> ActionResult:
        _refuse(READ_ONLY)

    async def reset(
        self, backend: str, keys: list[str] | None, *, pin: str | None = None, key: str | None = None
    ) -> ActionResult:
        _refuse(READ_ONLY)

    async def compare(self, backend: str, queue: QueueKind, id: str) -> Comparison:
        _refuse(NO_DEVICE)

    async def count_remotes(self, backend: str) -> list[SyncLogRow]:
        _refuse(NO_DEVICE)

    async def resubmit(
        self,
        backend: str,
        since: datetime,
        until: datetime,
        *,
        pin: str | None = None,
        key: str | None = None,
    ) -> ActionStatus:
        _refuse(READ_ONLY)

    async def cancel(self, backend: str, action_id: str) -> ActionStatus:
        _refuse(READ_ONLY)

    async def check_connection(self, backend: str) -> Health:
        _refuse(NO_DEVICE)

    async def settings(self, backend: str) -> list[Setting]:
        _refuse(NO_DEVICE)

    async def change_settings(
        self, backend: str, values: dict[str, str], *, pin: str | None = None, key: str | None = None
    ) -> ActionResult:
        _refuse(READ_ONLY)

    async def aclose(self) -> None:
        return None


def _refuse(why: str) -> NoReturn:
    raise AgentRefused(403, why)


def _browsing(view: BackendView) -> frozenset[Capability]:
    """Of a backend's capabilities, only what a bundle can serve: browsing its queues."""
    return view.snapshot.capabilities & {Capability.ENTRIES}


def _matching(entries: list[QueueEntry], filter: str | None) -> list[QueueEntry]:
    if not filter:
        return list(entries)
    needle = filter.casefold()
    return [
        e
        for e in entries
        if any(
            needle in (text or "").casefold() for text in (e.id, e.record_type, e.operation, e.correlation)
        )
    ]
