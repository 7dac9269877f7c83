"""OpenIZ's "Re-Submit To Server" (reference §8, KB005): queue again, as Update bundles, the patients and
acts created locally in a date range that the server does not have.

As in openizdc's `ApplicationService.ForceRequeue`, the whole query string is the filter of the local
patient and act queries (`QueryExpressionParser.BuildLinqExpression`), and only the server is asked what it
lacks: a record already waiting in the outbox is queued again. The parser joins the values of one
key with OR for `=` and with AND for the other operators, so `id=!<key>&id=!<key2>` leaves those
records out; plain `id=<key>` values select records (OR). Other operators on `id` and keys that are not
GUIDs are refused (FormatException), as Guid.Parse would.

The simulator queues them one at a time with the runner's step delay between, so a caller sees the
outbox grow; a request dropped half-way (the client cancelled) stops the queueing there. (The real
client queues one bundle per page of 25 records, empty pages included.)
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


GUID = re.compile(r"^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$")


def parse_ids(values: list[str]) -> tuple[set[str], set[str]]:
    """`id` values → (keys selected, keys left out); both lower case."""
    chosen: set[str] = set()
    left_out: set[str] = set()
    for value in values:
        value = value.strip()
        negated = value.startswith("!")
        key = value[1:] if negated else value
        if not GUID.match(key):
            raise SimulatorError(
                400,
                "FormatException",
                "Guid should contain 32 digits with 4 dashes (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx).",
            )
        (left_out if negated else chosen).add(key.lower())
    return chosen, left_out


def missing_on_server(
    state: SimulatorState,
    since: datetime,
    until: datetime,
    chosen: set[str] | None = None,
    left_out: set[str] | None = None,
) -> list[str]:
    keys = [
        key
        for key, created in state.created.items()
        if since <= created <= until
        and key not in state.server
        and state.local.get(key, {}).get("$type") in RESUBMITTED_TYPES
        and (not chosen or key.lower() in chosen)
        and key.lower() not in (left_out or set())
    ]
    return sorted(keys, key=lambda key: state.created[key])


async def resubmit(
    state: SimulatorState,
    since: datetime,
    until: datetime,
    chosen: set[str] | None = None,
    left_out: set[str] | None = None,
) -> int:
    """Queue the records; returns how many were queued."""
    queued = 0
    for key in missing_on_server(state, since, until, chosen, left_out):
        obj = copy.deepcopy(state.local[key])
        state.enqueue("out", "Bundle", "Update", payloads.bundle([obj]), key)
        queued += 1
        await asyncio.sleep(state.runner.step_delay)
    return queued
