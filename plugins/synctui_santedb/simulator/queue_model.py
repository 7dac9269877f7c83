"""The simulated dCDR's queue model: the four queues, one queue entry and its wire JSON, refusals.

Rules (reference §3): one sequence of ids over all queues (FIFO by id); moving an entry makes a new row
with a new id sharing the same `dataFile`; moving back out of dead-letter increments `retry`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from . import payloads

# name -> (pattern value, pattern as Newtonsoft's StringEnumConverter writes the flags)
QUEUES: dict[str, tuple[int, str]] = {
    "in": (1, "UpstreamToLocal"),
    "out": (2, "LocalToUpstream"),
    "admin": (10, "LocalToUpstream, LowPriority"),
    "deadletter": (132, "DeadLetter"),
}


class SimulatorError(Exception):
    """A request the dCDR would refuse; `status` is the HTTP code it maps to."""

    def __init__(self, status: int, exc_type: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.exc_type = exc_type
        self.message = message


@dataclass
class Entry:
    id: int
    queue: str
    correlation_key: str
    creation_time: datetime
    resource_type: str
    data_file: str
    operation: str
    retry: int = 0
    original_queue: str | None = None
    reason: str | None = None

    def to_json(self) -> dict[str, Any]:
        pattern_name = QUEUES[self.queue][1]
        body: dict[str, Any] = {
            "$type": "SynchronizationQueueEntryInfo",
            "id": self.id,
            "correlationKey": self.correlation_key,
            "creationTime": payloads.iso(self.creation_time),
            "resourceType": self.resource_type,
            "dataFile": self.data_file,
            "operation": self.operation,
            "retry": self.retry,
            "queue": {"name": self.queue, "pattern": pattern_name},
        }
        if self.queue == "deadletter":
            body["$type"] = "SynchronizationQueueDeadLetterEntryInfo"
            orig = self.original_queue or "out"
            body["originalQueue"] = {"name": orig, "pattern": QUEUES[orig][1]}
            if self.reason is not None:
                body["reason"] = self.reason
        return body


def parse_entry_id(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError) as exc:
        raise SimulatorError(400, "FormatException", f"Queue entry id {value!r} is not an integer") from exc
