"""OpenIZ's "Re-Submit To Server" (reference §8, KB005): queue again, as Update bundles, the patients and
acts created locally in a date range that the server does not have.

The simulator queues them one at a time with the runner's step delay between, so a caller sees the
outbox grow; a request dropped half-way (the client cancelled) stops the queueing there.
"""

from __future__ import annotations

import asyncio
import copy
import re
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from . import payloads
from .queue_model import SimulatorError

if TYPE_CHECKING:
    from .state import SimulatorState

RESUBMITTED_TYPES = ("Patient", "Act", "SubstanceAdministration", "QuantityObservation")


def parse_range(conditions: list[str]) -> tuple[datetime, datetime]:
    """`[">2024-05-01T00:00:00", "<2024-05-03T23:59:59"]` → (since, until), UTC when no zone is given."""
    since = until = None
    for condition in conditions:
        found = re.fullmatch(r"\s*([<>])=?(.+)", condition)
        if not found:
            raise SimulatorError(400, "FormatException", f"creationTime {condition!r} needs > or <")
        try:
            when = datetime.fromisoformat(found.group(2).strip().replace("Z", "+00:00"))
        except ValueError as exc:
            raise SimulatorError(400, "FormatException", f"Bad date {found.group(2)!r}") from exc
        when = when if when.tzinfo else when.replace(tzinfo=UTC)
        if found.group(1) == ">":
            since = when
        else:
            until = when
    if since is None or until is None:
        raise SimulatorError(400, "ArgumentException", "creationTime needs both >start and <end")
    return since, until


def missing_on_server(state: SimulatorState, since: datetime, until: datetime) -> list[str]:
    keys = [
        key
        for key, created in state.created.items()
        if since <= created <= until
        and key not in state.server
        and state.local.get(key, {}).get("$type") in RESUBMITTED_TYPES
    ]
    return sorted(keys, key=lambda key: state.created[key])


async def resubmit(state: SimulatorState, since: datetime, until: datetime) -> int:
    """Queue the records; returns how many were queued."""
    queued = 0
    for key in missing_on_server(state, since, until):
        obj = copy.deepcopy(state.local[key])
        state.enqueue("out", "Bundle", "Update", payloads.bundle([obj]), key)
        queued += 1
        await asyncio.sleep(state.runner.step_delay)
    return queued
