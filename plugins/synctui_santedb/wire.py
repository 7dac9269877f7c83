"""Strict parsing of the dCDR's answers into synctui.model objects.

Every parser takes decoded JSON (`Any`) and either returns model objects or raises BackendError whose
message names the endpoint and what was wrong with the answer, in one line. Nothing else escapes:
the fuzz tests feed these functions arbitrary JSON.

The path tables (`Profile`) live in profiles.py, `Where`, JSON decoding and the field readers in
wire_fields.py.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from synctui.model import (
    Capability,
    Category,
    EntryPage,
    Job,
    JobState,
    QueueEntry,
    QueueKind,
    Rejection,
    SyncLogRow,
)

from .profiles import SANTEDB3, Profile
from .rejections import parse_reason
from .wire_fields import (
    Where,
    as_count,
    as_object,
    list_items,
    opt_bool,
    opt_count,
    opt_text,
    parse_time,
)

__all__ = [
    "JOB_STATES",
    "JobInfo",
    "LogRow",
    "State",
    "Token",
    "parse_counts",
    "parse_entry",
    "parse_entry_page",
    "parse_fault",
    "parse_job",
    "parse_jobs",
    "parse_oauth_error",
    "parse_state",
    "parse_sync_log",
    "parse_token",
    "parse_total",
]


# --- /app/State -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class State:
    online: bool
    hdsi: bool | None = None
    ami: bool | None = None
    client_id: str | None = None
    version: str | None = None


def parse_state(data: Any, where: Where) -> State:
    obj = as_object(data, where, "a state")
    online = opt_bool(obj, "online", where, "an 'online' flag")
    if online is None:
        raise where.fail("no 'online' flag")
    version = obj.get("version")
    return State(
        online=online,
        hdsi=opt_bool(obj, "hdsi", where, "an 'hdsi' flag"),
        ami=opt_bool(obj, "ami", where, "an 'ami' flag"),
        client_id=opt_text(obj, "client_id", where, "a client_id"),
        version=version[:100] if isinstance(version, str) else None,
    )


NO_REASON = Rejection(
    category=Category.UNKNOWN,
    message="The dCDR did not record why this entry was rejected",
    advice="Inspect the entry; retrying it will show the server's answer again.",
)

# --- /app/Queue -----------------------------------------------------------------------------------


def parse_counts(data: Any, where: Where, profile: Profile = SANTEDB3) -> dict[QueueKind, int]:
    obj = as_object(data, where, "queue counts")
    counts: dict[QueueKind, int] = {}
    for kind, name in profile.queue_names.items():
        if name not in obj:
            raise where.fail(f"no count for the '{name}' queue")
        counts[kind] = as_count(obj[name], where, f"a count for '{name}'")
    return counts


def parse_entry(data: Any, queue: QueueKind, where: Where, profile: Profile = SANTEDB3) -> QueueEntry:
    obj = as_object(data, where, "a queue entry")
    raw_id = obj.get("id")
    if isinstance(raw_id, bool) or not isinstance(raw_id, (int, str)) or raw_id == "":
        raise where.fail("a queue entry without a valid id")
    if isinstance(raw_id, int):
        raw_id = str(as_count(raw_id, where, "an entry id"))
    elif len(raw_id) > 100:
        raise where.fail("a queue entry id that is too long")
    record_type = opt_text(obj, "resourceType", where, "a resourceType") or opt_text(
        obj, "type", where, "a type"
    )
    operation = opt_text(obj, "operation", where, "an operation") or ""
    original: QueueKind | None = None
    if "originalQueue" in obj and obj["originalQueue"] is not None:
        oq = as_object(obj["originalQueue"], where, "an originalQueue")
        name = opt_text(oq, "name", where, "an originalQueue name")
        original = profile.queue_kind(name) if name else None
    rejection = None
    reason = opt_text(obj, "reason", where, "a reason")
    if reason is not None:
        rejection = parse_reason(reason, compare=Capability.COMPARE in profile.capabilities)
    elif queue == QueueKind.CONFLICTS:
        rejection = NO_REASON
    return QueueEntry(
        id=raw_id,
        queue=queue,
        record_type=(record_type or "")[:200],
        operation=operation[:100],
        created=parse_time(obj.get("creationTime"), where, "a creationTime"),
        attempts=opt_count(obj, "retry", where, "a retry count") or 0,
        rejection=rejection,
        correlation=(opt_text(obj, "correlationKey", where, "a correlationKey") or None),
        original_queue=original,
    )


def parse_entry_page(
    data: Any, queue: QueueKind, offset: int, limit: int, where: Where, profile: Profile = SANTEDB3
) -> EntryPage:
    obj = as_object(data, where, "a queue listing")
    items = list_items(obj, where, "a queue listing")
    entries = [parse_entry(item, queue, where, profile) for item in items[: max(limit, 0)]]
    total = opt_count(obj, "totalResults", where, "a total")
    if total is None:
        total = opt_count(obj, "size", where, "a size")
    answered_offset = opt_count(obj, "offset", where, "an offset")
    if total is not None and total < len(entries) + (answered_offset or offset):
        total = None  # "size" was the page size, not the total
    return EntryPage(entries=entries, offset=offset, limit=limit, total=total)


# --- /app/Sync ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LogRow:
    """A sync-log row plus its raw (still URL-encoded) filter, needed to count remotes."""

    row: SyncLogRow
    raw_filter: str


def parse_sync_log(data: Any, where: Where) -> list[LogRow]:
    rows = []
    for item in list_items(data, where, "a sync log"):
        obj = as_object(item, where, "a sync log row")
        key = obj.get("Key")
        if not isinstance(key, str) or not key:
            raise where.fail("a sync log row without a Key")
        resource = opt_text(obj, "ResourceType", where, "a ResourceType", required=True) or ""
        raw_filter = opt_text(obj, "Filter", where, "a Filter") or ""
        shown = unquote(raw_filter, errors="replace")
        row = SyncLogRow(
            key=key[:100],
            record_type=resource[:200],
            filter=shown,
            last_success=parse_time(obj.get("LastSync"), where, "a LastSync"),
            last_error=opt_text(obj, "LastError", where, "a LastError") or None,
        )
        rows.append(LogRow(row=row, raw_filter=raw_filter))
    return rows


# --- /ami/JobInfo ---------------------------------------------------------------------------------

JOB_STATES = {
    "notrun": JobState.IDLE,
    "stopped": JobState.IDLE,
    "starting": JobState.RUNNING,
    "running": JobState.RUNNING,
    "completed": JobState.COMPLETED,
    "aborted": JobState.FAILED,
    "cancelled": JobState.CANCELLED,
    "canceled": JobState.CANCELLED,
}


@dataclass(frozen=True)
class JobInfo:
    job: Job
    wire_state: str  # NotRun, Running, Aborted...


def parse_job(data: Any, where: Where) -> JobInfo:
    obj = as_object(data, where, "a job")
    job_id = opt_text(obj, "id", where, "a job id", required=True) or ""
    wire_state = opt_text(obj, "state", where, "a job state") or "NotRun"
    # A state this list lacks (a newer dCDR's "Paused"...) is shown as unknown, with its own name
    state = JOB_STATES.get(wire_state.lower(), JobState.UNKNOWN)
    progress = obj.get("progress")
    if progress is not None:
        number = isinstance(progress, (int, float)) and not isinstance(progress, bool)
        if not number or not math.isfinite(progress):
            raise where.fail("a job progress that is not a number")
        progress = min(max(float(progress), 0.0), 1.0)
    # The sync job never reports progress (reference §5): 0 means "not reported", not 0 %.
    if progress == 0.0:
        progress = None
    status = opt_text(obj, "status", where, "a job status") or ""
    if state is JobState.UNKNOWN:
        status = f"state {' '.join(wire_state.split())[:40]!r} not known to synctui" + (
            f": {status}" if status else ""
        )
    job = Job(
        id=job_id[:100],
        name=(opt_text(obj, "name", where, "a job name") or job_id)[:200],
        state=state,
        progress=progress,
        last_start=parse_time(obj.get("lastStart"), where, "a lastStart"),
        last_finish=parse_time(obj.get("lastFinish"), where, "a lastFinish"),
        message=status[:2000],
        can_cancel=bool(opt_bool(obj, "canCancel", where, "a canCancel flag", False)),
    )
    return JobInfo(job=job, wire_state=wire_state)


def parse_jobs(data: Any, where: Where) -> list[JobInfo]:
    return [parse_job(item, where) for item in list_items(data, where, "a job list")]


# --- OAuth and HDSI -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Token:
    access_token: str
    expires_in: float | None


def parse_token(data: Any, where: Where) -> Token:
    obj = as_object(data, where, "a token answer")
    token = obj.get("access_token")
    if not isinstance(token, str) or not token or len(token) > 20_000 or not token.isprintable():
        raise where.fail("no usable access_token")
    expires = obj.get("expires_in")
    if isinstance(expires, str) and expires.isdigit():
        expires = int(expires)
    if isinstance(expires, bool) or not isinstance(expires, (int, float)) or not math.isfinite(expires):
        expires = None
    return Token(access_token=token, expires_in=float(expires) if expires and expires > 0 else None)


def parse_oauth_error(data: Any) -> str | None:
    """The error_description of an OAuth error answer, if it has one."""
    if isinstance(data, dict):
        for key in ("error_description", "error", "message"):
            value = data.get(key)
            if isinstance(value, str) and value.strip():
                return " ".join(value.split())[:200]
    return None


def parse_fault(data: Any) -> str | None:
    """The message of a SanteDB RestServiceFault (or any {message/detail} answer), if any."""
    if isinstance(data, dict):
        for key in ("message", "detail", "error_description", "error"):
            value = data.get(key)
            if isinstance(value, str) and value.strip():
                return " ".join(value.split())[:200]
    return None


def parse_total(data: Any, where: Where) -> int:
    """An HDSI/AMI count answer (`_count=0&_includeTotal=true`): totalResults, else size."""
    obj = as_object(data, where, "a count")
    for key in ("totalResults", "size"):
        if obj.get(key) is not None:
            return as_count(obj[key], where, f"a '{key}'")
    raise where.fail("no totalResults")
