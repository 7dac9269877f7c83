"""The simulated dCDR's upstream side: the sync log and the iCDR (server) copies, push and pull.

Plain functions over `SimulatorState` (which exposes them as methods); the job runner drives them.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from . import payloads, reasons
from .queue_model import Entry, SimulatorError

if TYPE_CHECKING:
    from .state import SimulatorState

_LOCATION = "participation%5BLocation%5D.player=" + payloads.FACILITY
SYNC_FILTERS: list[tuple[str, str | None]] = [
    ("Patient", "relationship%5BDedicatedServiceDeliveryLocation%5D.target=" + payloads.FACILITY),
    ("Act", _LOCATION + "&moodConcept=ec74541f-87c4-4327-a4b9-97f325501747"),
    ("SubstanceAdministration", _LOCATION),
    ("QuantityObservation", _LOCATION),
    ("Place", "classConcept=ff34dfa7-c6d3-4f8b-bc9f-14bcdc13ba6c"),
    ("Material", None),
    ("ManufacturedMaterial", None),
    ("Concept", "statusConcept.mnemonic=ACTIVE"),
    ("UserEntity", "securityUser.userName=demo"),
    ("Act", "$deletedObjects"),
    ("Entity", "$deletedObjects"),
    ("Concept", "$deletedObjects"),
]


@dataclass
class LogRow:
    key: str
    resource_type: str
    filter: str | None
    last_sync: datetime | None = None
    last_etag: str | None = None
    last_error: str | None = None

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {"Key": self.key, "ResourceType": self.resource_type}
        if self.filter is not None:
            body["Filter"] = self.filter
        if self.last_sync is not None:
            body["LastSync"] = payloads.iso(self.last_sync)
        if self.last_etag is not None:
            body["LastETag"] = self.last_etag
        if self.last_error is not None:
            body["LastError"] = self.last_error
        return body


# -- sync log ---------------------------------------------------------------------------------------


def reset_log(state: SimulatorState, key: str | None = None) -> None:
    """Reset deletes the row(s); the next pull re-creates them and re-fetches everything."""
    if key is None:
        state.sync_log.clear()
    else:
        if key.lower() not in state.sync_log:
            raise SimulatorError(404, "KeyNotFoundException", f"Synchronization log entry {key} not found")
        del state.sync_log[key.lower()]
    state.changed()


def log_row(state: SimulatorState, resource_type: str, filter_: str | None) -> LogRow:
    """The row of (type, filter), made on first use."""
    for row in state.sync_log.values():
        if row.resource_type == resource_type and row.filter == filter_:
            return row
    row = LogRow(payloads.guid(state.rng), resource_type, filter_)
    state.sync_log[row.key] = row
    return row


def mark_pulled(state: SimulatorState, error: str | None = None) -> None:
    """After a pull: every (type, filter) row gets LastSync/LastETag, or LastError on failure."""
    rows = SYNC_FILTERS
    if error is not None:
        log_row(state, *rows[0]).last_error = error
    else:
        for type_, filter_ in rows:
            row = log_row(state, type_, filter_)
            row.last_sync = state.now()
            row.last_etag = payloads.guid(state.rng).replace("-", "")
            row.last_error = None
    state.changed()


# -- push / pull primitives (the job runner drives these) -------------------------------------------


def push(state: SimulatorState, entry: Entry) -> int | None:
    """Send one outbound entry to the iCDR. Returns None when accepted, else the HTTP status
    (the entry is dead-lettered with the .NET exception text)."""
    status = state.fates.get(entry.data_file)
    objs = state.focal_objects(state.payload(entry))
    if not objs and entry.correlation_key in state.local:  # XML payloads: the local copy is the object
        objs = [state.local[entry.correlation_key]]
    if status is None:
        state.remove_entry(entry.id)
        for obj in objs:
            if obj["id"] not in state.server:
                type_ = obj["$type"]
                state.server_counts[type_] = state.server_counts.get(type_, 0) + 1
            state.server[obj["id"]] = copy.deepcopy(obj)
        state.changed()
        return None
    focal = objs[0] if objs else {"$type": entry.resource_type, "id": entry.correlation_key}
    _diverge_server_copy(state, focal, status)
    version = int(focal.get("versionSequence", 1))
    text = reasons.reason_text(status, focal["$type"], focal["id"], entry.operation, version)
    state.dead_letter(entry.id, text)
    return status


def _diverge_server_copy(state: SimulatorState, obj: dict[str, Any], status: int) -> None:
    """Make the iCDR copy explain the rejection (a newer version for 409, absent for 404...)."""
    key = obj["id"]
    if status == 409:
        server = copy.deepcopy(state.server.get(key) or obj)
        server["versionSequence"] = int(obj.get("versionSequence", 1)) + 1
        server["etag"] = payloads.guid(state.rng).replace("-", "")
        server["modifiedOn"] = payloads.iso(state.now())
        if "name" in server:
            server["name"] = copy.deepcopy(state.new_record("Patient")["name"])
        else:
            server["actTime"] = payloads.iso(state.now() - timedelta(hours=2))
        if key not in state.server:
            state.server_counts[obj["$type"]] = state.server_counts.get(obj["$type"], 0) + 1
        state.server[key] = server
    elif status == 404:
        state.server.pop(key, None)
    elif status == 410 and key in state.server:
        state.server[key]["statusConcept"] = "bdef5f90-5497-4f26-956c-8f818cce2bd2"  # Obsolete


def pull(state: SimulatorState) -> list[Entry]:
    """Fetch what other devices changed on the iCDR into the `in` queue."""
    pulled = []
    with state.batch():
        while state.server_pending:
            obj = state.server_pending.pop(0)
            pulled.append(state.enqueue("in", "Bundle", "Sync", payloads.bundle([obj])))
    return pulled


def apply_inbound(state: SimulatorState, entry: Entry, fail: bool = False) -> bool:
    """Apply one pulled bundle locally; a failure dead-letters it with originalQueue=in."""
    objs = state.focal_objects(state.payload(entry))
    if fail:
        focal = objs[0] if objs else {"$type": "Bundle", "id": entry.correlation_key}
        state.dead_letter(entry.id, reasons.apply_failure_text(focal["$type"], focal["id"]))
        return False
    del state.entries[entry.id]
    for obj in objs:
        state.record_local_change(copy.deepcopy(obj), "Insert")
    state.changed()
    return True


def server_change(state: SimulatorState, resource_type: str | None = None) -> dict[str, Any]:
    """Another device created or updated a record on the iCDR (shows up on the next pull)."""
    type_ = resource_type or state.rng.choice(("Patient", "SubstanceAdministration", "Act"))
    if state.server and state.rng.random() < 0.3:
        key = state.rng.choice(list(state.server))
        obj = copy.deepcopy(state.server[key])
        obj["versionSequence"] = int(obj.get("versionSequence", 1)) + 1
    else:
        obj = state.new_record(type_)
        state.server_counts[type_] = state.server_counts.get(type_, 0) + 1
    state.server[obj["id"]] = obj
    state.server_pending.append(copy.deepcopy(obj))
    state.changed()
    return obj
