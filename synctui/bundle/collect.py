"""Ask the agent, through the dashboard's own `AgentClient`, for everything a bundle carries."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from synctui.client_interface import AgentClient, AgentRefused, AgentUnavailable
from synctui.model import AgentState, EntryDetail, EntryPage, QueueEntry, QueueKind

PAGE = 50  # the dashboard's page: what the technician saw first
CONFLICT_PAGE = 500  # the agent's largest page
MAX_CONFLICTS = 5_000  # per backend: a bound on the bundle's size
AUDIT_RECORDS = 200
PARALLEL_DETAILS = 8


@dataclass
class Collected:
    """What the agent answered; `errors` says, per item, what it could not give (never a silent gap)."""

    state: AgentState | None = None
    pages: dict[tuple[str, QueueKind], EntryPage] = field(default_factory=dict)
    conflicts: dict[str, list[QueueEntry]] = field(default_factory=dict)
    conflicts_total: dict[str, int | None] = field(default_factory=dict)
    details: dict[str, list[EntryDetail]] = field(default_factory=dict)
    audit: list[dict[str, Any]] | None = None
    errors: dict[str, str] = field(default_factory=dict)


async def collect(client: AgentClient, *, payloads: bool) -> Collected:
    found = Collected()
    try:
        found.state = await client.state()
    except (AgentUnavailable, AgentRefused) as exc:
        found.errors["state"] = _why(exc)
        return found
    for view in found.state.backends:
        backend = view.snapshot.backend
        for stat in view.snapshot.queues:
            if stat.count:
                await _first_page(client, found, backend, stat.kind)
        if view.snapshot.queue(QueueKind.CONFLICTS).count:
            await _conflicts(client, found, backend)
    if payloads:
        await read_payloads(client, found)
    try:
        found.audit = await client.audit(AUDIT_RECORDS)
    except (AgentUnavailable, AgentRefused) as exc:
        found.errors["audit"] = _why(exc)
    return found


async def _first_page(client: AgentClient, found: Collected, backend: str, kind: QueueKind) -> None:
    try:
        found.pages[backend, kind] = await client.entries(backend, kind, 0, PAGE)
    except (AgentUnavailable, AgentRefused) as exc:
        found.errors[f"{backend}/{kind.value}"] = _why(exc)


async def _conflicts(client: AgentClient, found: Collected, backend: str) -> None:
    entries: list[QueueEntry] = []
    total: int | None = None
    try:
        while len(entries) < MAX_CONFLICTS:
            page = await client.entries(backend, QueueKind.CONFLICTS, len(entries), CONFLICT_PAGE)
            entries.extend(page.entries[: MAX_CONFLICTS - len(entries)])
            total = page.total
            if not page.entries or (total is not None and len(entries) >= total):
                break
    except (AgentUnavailable, AgentRefused) as exc:
        found.errors[f"{backend}/rejections"] = _why(exc)
    found.conflicts[backend] = entries
    found.conflicts_total[backend] = total


async def read_payloads(client: AgentClient, found: Collected, *, first: int | None = None) -> None:
    """The contents of the conflicted entries listed in `found` (of the `first` of each backend only,
    when given), into `found.details`; replaces what an earlier call read."""
    gate = asyncio.Semaphore(PARALLEL_DETAILS)
    for backend, entries in found.conflicts.items():
        details, failed = await _details(client, backend, entries[:first], gate)
        found.details[backend] = details
        found.errors.pop(f"{backend}/payloads", None)
        if failed:
            found.errors[f"{backend}/payloads"] = f"{len(failed)} not read, e.g.: {failed[0]}"


async def _details(
    client: AgentClient, backend: str, entries: list[QueueEntry], gate: asyncio.Semaphore
) -> tuple[list[EntryDetail], list[str]]:
    """(the details read, why each of the others was not)."""
    failed: list[str] = []

    async def one(entry: QueueEntry) -> EntryDetail | None:
        async with gate:
            try:
                return await client.entry(backend, QueueKind.CONFLICTS, entry.id)
            except (AgentUnavailable, AgentRefused) as exc:
                failed.append(_why(exc))
                return None

    details = await asyncio.gather(*(one(entry) for entry in entries))
    return [detail for detail in details if detail is not None], failed


def _why(exc: BaseException) -> str:
    return exc.message if isinstance(exc, AgentRefused) else str(exc) or type(exc).__name__
