"""The simulated dCDR: four queues, payload store, local and iCDR (server) copies, sync log, jobs.

Rules follow santedb-dc-core / santedb-data (reference §3): one sequence of ids over all queues (FIFO by
id), moving an entry makes a new row with a new id sharing the same `dataFile`, moving back out of
dead-letter increments `retry`, nothing is enqueued directly into dead-letter.
Every mutation calls `changed()`, which notifies listeners (the state-file writer) synchronously.

`SimulatorState` holds all the data and the queue operations; the queue entry model is in
queue_model.py, the sync log and the push/pull against the server copies in upstream.py.
"""

from __future__ import annotations

import copy
import random
import secrets
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from . import payloads, upstream
from .backlog import Backlog
from .jobs import Job, JobRunner, default_jobs
from .queue_model import QUEUES, Entry, SimulatorError
from .upstream import SYNC_FILTERS, LogRow

__all__ = [
    "ACT_TYPES",
    "ADMIN_TYPES",
    "PROFILES",
    "QUEUES",
    "RESOURCE_TYPES",
    "Entry",
    "LogRow",
    "SimulatorError",
    "SimulatorState",
]

ACT_TYPES = ("Act", "SubstanceAdministration", "QuantityObservation")
RESOURCE_TYPES = (
    "Patient", "Act", "SubstanceAdministration", "QuantityObservation", "Place", "Material",
    "ManufacturedMaterial", "Concept", "UserEntity", "Entity", "Bundle",
)  # fmt: skip
ADMIN_TYPES = ("UserEntity", "AuditEventData", "MailMessage")
# Queue-listing filter (query parameter) -> the entry's wire field it compares with.
FILTER_FIELDS = {"id": "id", "correlation": "correlationKey", "type": "resourceType", "dataFile": "dataFile",
                 "operation": "operation", "retry": "retry"}  # fmt: skip
PROFILES = ("santedb3", "santedb2", "openiz")  # which wire API the app speaks (same state machine)
_INITIAL_COUNTS = {
    "Patient": 1243, "Act": 5310, "SubstanceAdministration": 4102, "QuantityObservation": 2218,
    "Place": 37, "Material": 64, "ManufacturedMaterial": 211, "Concept": 8734, "UserEntity": 12,
    "Entity": 1507, "Bundle": 0,
}  # fmt: skip


class SimulatorState:
    """Everything the simulated dCDR knows. Synchronous; call from one event loop."""

    def __init__(
        self,
        seed: int = 0,
        username: str = "demo",
        password: str = "demo",
        client_id: str = "clinic-tablet-01",
        populate: bool = True,
        step_delay: float = 0.05,
        clock: Callable[[], datetime] | None = None,
        profile: str = "santedb3",
        backlog: int = 0,
    ) -> None:
        if profile not in PROFILES:
            raise ValueError(f"unknown profile {profile!r}; known: {', '.join(PROFILES)}")
        self.profile = profile
        self.rng = random.Random(seed)
        self.username = username
        self.password = password
        self.client_id = client_id
        self.clock = clock or (lambda: datetime.now(UTC))
        self.online = True
        self.entries: dict[int, Entry] = {}
        self.payloads: dict[str, dict[str, Any] | str] = {}
        self.fates: dict[str, int | None] = {}  # dataFile -> HTTP status of its next push (None: accepted)
        self.local: dict[str, dict[str, Any]] = {}  # object key -> local copy
        self.created: dict[str, datetime] = {}  # object key -> when it was created locally
        self.server: dict[str, dict[str, Any]] = {}  # object key -> iCDR copy
        self.local_counts: dict[str, int] = dict.fromkeys(RESOURCE_TYPES, 0)
        self.server_counts: dict[str, int] = dict.fromkeys(RESOURCE_TYPES, 0)
        self.server_pending: list[dict[str, Any]] = []  # changes made by other devices, not yet pulled
        self.sync_log: dict[str, LogRow] = {}
        self.jobs: dict[str, Job] = {job.id: job for job in default_jobs()}
        self.tokens: dict[str, datetime] = {}
        self.listeners: list[Callable[[SimulatorState], None]] = []
        self.runner = JobRunner(self, step_delay=step_delay)
        # The oldest outbound entries (ids 1..backlog), computed on demand: a queue of millions.
        self.backlog = Backlog(backlog, end=self.now() - timedelta(hours=4), seed=seed)
        for type_, n in self.backlog.record_types().items():
            self.local_counts[type_] = self.local_counts.get(type_, 0) + n
        self._next_id = backlog + 1
        self._quiet = 0
        if populate:
            self._populate()

    # -- notification -------------------------------------------------------------------------------
    def changed(self) -> None:
        if self._quiet:
            return
        for listener in list(self.listeners):
            listener(self)

    def now(self) -> datetime:
        return self.clock()

    # -- auth ---------------------------------------------------------------------------------------
    def issue_token(self, username: str, password: str, lifetime: int = 3600) -> str | None:
        if username != self.username or password != self.password:
            return None
        token = secrets.token_hex(20)
        self.tokens[token] = self.now() + timedelta(seconds=lifetime)
        return token

    def token_valid(self, token: str) -> bool:
        expiry = self.tokens.get(token)
        return expiry is not None and expiry > self.now()

    # -- queues -------------------------------------------------------------------------------------
    @staticmethod
    def queue_name(name: str) -> str:
        """Canonical queue name (case-insensitive); unknown names raise a 404 like KeyNotFound."""
        lowered = name.lower()
        if lowered not in QUEUES:
            raise SimulatorError(404, "KeyNotFoundException", f"Queue {name} not found")
        return lowered

    def queue_entries(self, queue: str, backlog: bool = True) -> list[Entry]:
        """The whole queue (with `backlog`, all of it however large: prefer `queue_page`)."""
        queue = self.queue_name(queue)
        listed = sorted((e for e in self.entries.values() if e.queue == queue), key=lambda e: e.id)
        if backlog and queue == "out" and self.backlog.count:
            return [*self.backlog.scan(), *listed]
        return listed

    def counts(self) -> dict[str, int]:
        result = dict.fromkeys(QUEUES, 0)
        result["out"] = self.backlog.count
        for entry in self.entries.values():
            result[entry.queue] += 1
        return result

    def first_entry(self, queue: str) -> Entry | None:
        """The oldest entry of a queue (FIFO by id), without listing the queue."""
        if self.queue_name(queue) == "out" and self.backlog.count:
            return self.backlog.page(self.backlog.select({}), 0, 1)[0]
        return next(iter(self.queue_entries(queue)), None)

    def queue_page(
        self,
        queue: str,
        offset: int,
        count: int,
        filters: dict[str, str] | None = None,
        where: Callable[[Entry], bool] | None = None,
    ) -> tuple[list[Entry], int]:
        """Entries offset … offset + count - 1 of a queue (FIFO by id) whose fields equal `filters`
        (wire names: id, correlation, type, dataFile, operation, retry; case-insensitive) and that pass
        `where`, and how many match in all."""
        queue = self.queue_name(queue)
        filters = filters or {}

        def wanted(entry: Entry) -> bool:
            return _matches(entry, filters) and (where is None or where(entry))

        listed = [e for e in self.queue_entries(queue, backlog=False) if wanted(e)]
        if queue != "out" or not self.backlog.count:
            return listed[offset : offset + count], len(listed)
        positions = self.backlog.select(filters) if where is None else None
        if positions is None:  # a filter the backlog cannot answer by arithmetic: scan it
            matched = [e for e in self.backlog.scan() if wanted(e)] + listed
            return matched[offset : offset + count], len(matched)
        before = self.backlog.total(positions)
        page = self.backlog.page(positions, offset, count)
        rest = max(0, offset - before)
        page += listed[rest : rest + count - len(page)]
        return page, before + len(listed)

    def remove_entry(self, entry_id: int) -> Entry:
        """Take an entry out of its queue (sent, moved or deleted)."""
        entry = self.entries.pop(entry_id, None)
        if entry is None:
            entry = self.backlog.get(entry_id)
            if entry is None:
                raise KeyError(entry_id)
            self.backlog.remove(entry_id)
        return entry

    def get_entry(self, queue: str, entry_id: int) -> Entry:
        queue = self.queue_name(queue)
        entry = self.entries.get(entry_id) or self.backlog.get(entry_id)
        if entry is None or entry.queue != queue:
            raise SimulatorError(404, "KeyNotFoundException", f"Queue entry {entry_id} not found in {queue}")
        return entry

    def _new_row(self, queue: str, template: Entry | None = None, **fields: Any) -> Entry:
        entry_id = self._next_id
        self._next_id += 1
        if template is not None:
            entry = copy.copy(template)
            entry.id, entry.queue = entry_id, queue
            for key, value in fields.items():
                setattr(entry, key, value)
        else:
            entry = Entry(id=entry_id, queue=queue, **fields)
        self.entries[entry_id] = entry
        return entry

    def enqueue(
        self,
        queue: str,
        resource_type: str,
        operation: str,
        payload: dict[str, Any] | str,
        correlation_key: str | None = None,
        fate: int | None = None,
    ) -> Entry:
        """Add an entry (not to dead-letter: only failures get there)."""
        queue = self.queue_name(queue)
        if queue == "deadletter":
            raise SimulatorError(
                400, "ArgumentException", "Cannot enqueue directly into the dead-letter queue"
            )
        data_file = payloads.guid(self.rng)
        self.payloads[data_file] = payload
        self.fates[data_file] = fate
        if correlation_key is None:  # usually the key of the (focal) object
            objs = self.focal_objects(payload)
            correlation_key = objs[0]["id"] if objs else payloads.guid(self.rng)
        entry = self._new_row(
            queue,
            correlation_key=correlation_key,
            creation_time=self.now(),
            resource_type=resource_type,
            data_file=data_file,
            operation=operation,
        )
        self.changed()
        return entry

    def dead_letter(self, entry_id: int, reason: str) -> Entry:
        """Move an entry to dead-letter (new id, same dataFile)."""
        entry = self.remove_entry(entry_id)
        moved = self._new_row("deadletter", entry, original_queue=entry.queue, reason=reason)
        self.changed()
        return moved

    def retry(self, entry_id: int) -> Entry:
        """`$retry` by id: back to its original queue with `retry + 1`, removed from dead-letter."""
        entry = self.get_entry("deadletter", entry_id)
        del self.entries[entry_id]
        moved = self._new_row(
            entry.original_queue or "out", entry, retry=entry.retry + 1, original_queue=None, reason=None
        )
        status = self.fates.get(entry.data_file)
        # Re-sent with dependencies / as InsertOrUpdate: most go through; business rules and gone do not.
        self.fates[entry.data_file] = status if status in (422, 410) else None
        self.changed()
        return moved

    def retry_all(self) -> list[Entry]:
        with self.batch():
            return [self.retry(e.id) for e in self.queue_entries("deadletter")]

    def delete(self, queue: str, entry_id: int) -> Entry:
        entry = self.get_entry(queue, entry_id)
        self.remove_entry(entry_id)
        if not any(e.data_file == entry.data_file for e in self.entries.values()):
            self.payloads.pop(entry.data_file, None)
            self.fates.pop(entry.data_file, None)
        self.changed()
        return entry

    def payload(self, entry: Entry) -> dict[str, Any] | str:
        if entry.data_file in self.payloads:
            return self.payloads[entry.data_file]
        return self.backlog.payload(entry.data_file) or {"$type": "Bundle", "resource": []}

    # -- sync log and server copies (upstream.py) ----------------------------------------------------
    def log_rows(self) -> list[LogRow]:
        return list(self.sync_log.values())

    def reset_log(self, key: str | None = None) -> None:
        """Reset deletes the row(s); the next pull re-creates them and re-fetches everything."""
        upstream.reset_log(self, key)

    def push(self, entry: Entry) -> int | None:
        """Send one outbound entry to the iCDR: None when accepted, else the HTTP status (dead-lettered)."""
        return upstream.push(self, entry)

    def pull(self) -> list[Entry]:
        """Fetch what other devices changed on the iCDR into the `in` queue."""
        return upstream.pull(self)

    def apply_inbound(self, entry: Entry, fail: bool = False) -> bool:
        """Apply one pulled bundle locally; a failure dead-letters it with originalQueue=in."""
        return upstream.apply_inbound(self, entry, fail)

    def mark_pulled(self, error: str | None = None) -> None:
        """After a pull: every (type, filter) row gets LastSync/LastETag, or LastError on failure."""
        upstream.mark_pulled(self, error)

    def server_change(self, resource_type: str | None = None) -> dict[str, Any]:
        """Another device created or updated a record on the iCDR (shows up on the next pull)."""
        return upstream.server_change(self, resource_type)

    # -- records ------------------------------------------------------------------------------------
    def new_record(self, resource_type: str, key: str | None = None, version: int = 1) -> dict[str, Any]:
        key = key or payloads.guid(self.rng)
        if resource_type == "Patient":
            return payloads.patient(self.rng, key, version, self.now())
        if resource_type not in ACT_TYPES:
            return payloads.entity(self.rng, key, version, self.now(), resource_type)
        act_type = resource_type
        obj = payloads.act(self.rng, key, version, self.now(), act_type)
        obj["$type"] = resource_type
        return obj

    def record_local_change(self, obj: dict[str, Any], operation: str) -> None:
        key, type_ = obj["id"], obj["$type"]
        if operation == "Insert" and key not in self.local:
            self.local_counts[type_] = self.local_counts.get(type_, 0) + 1
        self.created.setdefault(key, self.now())
        self.local[key] = obj

    def focal_objects(self, payload: dict[str, Any] | str) -> list[dict[str, Any]]:
        if isinstance(payload, str):
            return []
        if payload.get("$type") == "Bundle":
            return [o for o in payload.get("resource", []) if isinstance(o, dict) and "id" in o]
        return [payload] if "id" in payload else []

    # -- jobs ---------------------------------------------------------------------------------------
    def job(self, job_id: str) -> Job:
        job = self.jobs.get(job_id.lower())
        if job is None:
            raise SimulatorError(404, "KeyNotFoundException", f"Job {job_id} not found")
        return job

    # -- helpers ------------------------------------------------------------------------------------
    def batch(self) -> _Batch:
        """Context manager: several mutations, one notification."""
        return _Batch(self)

    def dump(self) -> dict[str, Any]:
        """The whole state as JSON-safe data (what the state file and /__sim/state hold)."""
        return {
            "format": "synctui-santedb-sim/1",
            "profile": self.profile,
            "written": payloads.iso(self.now()),
            "online": self.online,
            "clientId": self.client_id,
            "counts": self.counts(),
            # The backlog's entries are counted, not written out (a million would make every write huge).
            "queues": {q: [e.to_json() for e in self.queue_entries(q, backlog=False)] for q in QUEUES},
            "backlog": self.backlog.count,
            "syncLog": [row.to_json() for row in self.log_rows()],
            "jobs": [job.to_json() for job in self.jobs.values()],
            "localCounts": dict(self.local_counts),
            "serverCounts": dict(self.server_counts),
            "serverPending": len(self.server_pending),
        }

    def _populate(self) -> None:
        with self.batch():
            self.local_counts.update(_INITIAL_COUNTS)
            self.server_counts.update(_INITIAL_COUNTS)
            self.server_counts["Patient"] += 6
            self.server_counts["SubstanceAdministration"] += 9
            start = self.now() - timedelta(hours=3)
            for type_, filter_ in SYNC_FILTERS:
                row = upstream.log_row(self, type_, filter_)
                row.last_sync = start + timedelta(seconds=self.rng.randint(0, 600))
                row.last_etag = payloads.guid(self.rng).replace("-", "")
            for offset, job in enumerate(self.jobs.values()):
                job.state = "Completed"
                job.last_start = start - timedelta(minutes=7 * offset)
                job.last_finish = job.last_start + timedelta(seconds=41 - 9 * offset)
            for status in (409, 422):
                obj = self.new_record("Patient" if status == 409 else "SubstanceAdministration")
                self.record_local_change(obj, "Update" if status == 409 else "Insert")
                self.server[obj["id"]] = copy.deepcopy(obj)
                entry = self.enqueue("out", "Bundle", "Update", payloads.bundle([obj]), fate=status)
                self.push(entry)
            for _ in range(3):
                obj = self.new_record(self.rng.choice(("Patient", "SubstanceAdministration")))
                self.record_local_change(obj, "Insert")
                self.enqueue("out", "Bundle", "Insert", payloads.bundle([obj]))
            xml_obj = self.new_record("QuantityObservation")
            self.record_local_change(xml_obj, "Insert")
            self.enqueue("out", "QuantityObservation", "Insert", payloads.to_xml(xml_obj), xml_obj["id"])
            self.enqueue("admin", "UserEntity", "Update", self.new_record("UserEntity"))


class _Batch:
    def __init__(self, state: SimulatorState) -> None:
        self.state = state

    def __enter__(self) -> SimulatorState:
        self.state._quiet += 1
        return self.state

    def __exit__(self, *exc: object) -> None:
        self.state._quiet -= 1
        if not self.state._quiet:
            self.state.changed()


def _matches(entry: Entry, filters: dict[str, str]) -> bool:
    """The dCDR's equality filters on a queue listing, compared case-insensitively as strings."""
    if not filters:
        return True
    body = entry.to_json()
    return all(str(body[FILTER_FIELDS[name]]).lower() == value.lower() for name, value in filters.items())
