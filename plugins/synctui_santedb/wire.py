"""Strict parsing of the dCDR's answers into synctui.model objects.

Every parser takes decoded JSON (`Any`) and either returns model objects or raises BackendError whose
message names the endpoint and what was wrong with the answer, in one line. Nothing else escapes:
the fuzz tests feed these functions arbitrary JSON.

`Profile` holds what differs between dCDR generations (paths, queue names, job ids). Only SanteDB 3.x
is implemented; SanteDB 2.x and OpenIZ (reference §7–§8) would be other tables plus their own parsers.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote

from synctui.backend import BackendError
from synctui.model import (
    Category,
    EntryPage,
    Job,
    JobState,
    QueueEntry,
    QueueKind,
    Rejection,
    SyncLogRow,
)

from .rejections import parse_reason

MAX_COUNT = 2**53  # a count above this is garbage, not a queue
MAX_TEXT = 100_000  # longest string kept from a list answer (reasons can carry stack traces)


@dataclass(frozen=True)
class Profile:
    """Paths and names of one dCDR generation."""

    name: str
    state: str
    queues: str  # GET counts
    queue: str  # GET entries / DELETE, format with q
    queue_entry: str  # GET payload, format with q, id
    retry: str
    sync_log: str
    reset_all: str
    reset_one: str  # format with key
    jobs: str
    job: str  # format with id
    job_start: str  # format with id
    hdsi: str  # format with type
    sync_job_id: str
    queue_names: dict[QueueKind, str] = field(default_factory=dict)
    labels: dict[QueueKind, str] = field(default_factory=dict)

    def queue_kind(self, name: str) -> QueueKind | None:
        for kind, wire_name in self.queue_names.items():
            if wire_name.lower() == name.lower():
                return kind
        return None


SANTEDB3 = Profile(
    name="santedb3",
    state="/app/State",
    queues="/app/Queue",
    queue="/app/Queue/{q}",
    queue_entry="/app/Queue/{q}/{id}",
    retry="/app/Queue/deadletter/$retry",
    sync_log="/app/Sync",
    reset_all="/app/Sync/$reset",
    reset_one="/app/Sync/{key}/$reset",
    jobs="/ami/JobInfo",
    job="/ami/JobInfo/{id}",
    job_start="/ami/JobInfo/{id}/$start",
    hdsi="/hdsi/{type}",
    sync_job_id="E511689A-98E1-47CD-8933-6A8CEF8AE014",
    queue_names={
        QueueKind.OUTBOX: "out",
        QueueKind.INBOX: "in",
        QueueKind.ADMIN: "admin",
        QueueKind.CONFLICTS: "deadletter",
    },
    labels={
        QueueKind.OUTBOX: "Outbox",
        QueueKind.INBOX: "Inbox",
        QueueKind.ADMIN: "Admin",
        QueueKind.CONFLICTS: "Conflicts",
    },
)

PROFILES: dict[str, Profile] = {SANTEDB3.name: SANTEDB3}


# --- errors ---------------------------------------------------------------------------------------


class Where:
    """Names the answer being parsed: "the dCDR at http://… answered /app/Queue"."""

    def __init__(self, url: str = "", path: str = "") -> None:
        self.url = url
        self.path = path

    def __str__(self) -> str:
        at = f" at {self.url}" if self.url else ""
        return f"the dCDR{at} answered {self.path or 'a request'}"

    def fail(self, what: str) -> BackendError:
        text = f"{self} with {what}"
        message = text[0].upper() + text[1:]
        return BackendError(
            Rejection(
                category=Category.SERVER,
                message=message,
                advice="Check that the URL points at a SanteDB 3.x dCDR (its /app API) and that it is "
                "up to date; if it is, report this answer to support.",
                code="BAD_RESPONSE",
            )
        )


def decode_json(text: str | bytes, where: Where) -> Any:
    """JSON text → data; NaN/Infinity, huge numbers and absurd nesting are refused."""

    def no_constants(name: str) -> Any:
        raise ValueError(name)

    try:
        if isinstance(text, bytes):
            text = text.decode("utf-8")
        return json.loads(text, parse_constant=no_constants)
    except UnicodeDecodeError:
        raise where.fail("text that is not UTF-8") from None
    except RecursionError:
        raise where.fail("JSON nested too deeply") from None
    except ValueError:
        raise where.fail("something that is not valid JSON") from None


# --- field readers --------------------------------------------------------------------------------


def _obj(data: Any, where: Where, what: str) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise where.fail(f"{what} that is not an object ({_kind(data)})")
    return data


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def _count(value: Any, where: Where, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        if isinstance(value, float) and math.isfinite(value) and value.is_integer():
            value = int(value)
        else:
            raise where.fail(f"{what} that is not a number")
    if value < 0 or value > MAX_COUNT:
        raise where.fail(f"{what} that is out of range ({value if abs(value) < 10**12 else 'huge'})")
    return value


def _opt_count(obj: dict[str, Any], key: str, where: Where, what: str) -> int | None:
    value = obj.get(key)
    return None if value is None else _count(value, where, what)


def _text(obj: dict[str, Any], key: str, where: Where, what: str, *, required: bool = False) -> str | None:
    value = obj.get(key)
    if value is None:
        if required:
            raise where.fail(f"{what} missing")
        return None
    if not isinstance(value, str):
        raise where.fail(f"{what} that is not text ({_kind(value)})")
    return value[:MAX_TEXT]


def _bool(obj: dict[str, Any], key: str, where: Where, what: str, default: bool | None = None) -> bool | None:
    value = obj.get(key, default)
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise where.fail(f"{what} that is not true/false ({_kind(value)})")


def parse_time(value: Any, where: Where, what: str) -> datetime | None:
    """ISO 8601 (with .NET's 7 fraction digits) → aware datetime; .NET's MinValue means "never"."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise where.fail(f"{what} that is not a timestamp ({_kind(value)})")
    text = value.strip()
    if len(text) > 40:
        raise where.fail(f"{what} that is not a timestamp")
    match = re.fullmatch(r"(\d{4}-\d\d-\d\d[T ]\d\d:\d\d(?::\d\d)?)(\.\d+)?(Z|[+-]\d\d:?\d\d)?", text)
    if not match:
        raise where.fail(f"{what} that is not a timestamp ({text!r})")
    base, frac, zone = match.groups()
    frac = (frac or "")[:7]  # "." + 6 digits: .NET writes 7, Python keeps microseconds
    try:
        parsed = datetime.fromisoformat(base + frac + ("+00:00" if zone in (None, "Z") else zone))
        if parsed.year <= 1:
            return None
        return parsed.astimezone(UTC)
    except (ValueError, OverflowError):
        raise where.fail(f"{what} that is not a valid date ({text!r})") from None


def _items(data: Any, where: Where, what: str) -> list[Any]:
    """A list answer: a plain JSON list or a collection {"resource": [...]} (nulls are omitted)."""
    if isinstance(data, list):
        return data
    if isinstance(data, dict):
        items = data.get("resource", data.get("item", []))
        if items is None:
            return []
        if isinstance(items, list):
            return items
        raise where.fail(f"{what} whose 'resource' is not a list ({_kind(items)})")
    raise where.fail(f"{what} that is not a list ({_kind(data)})")


# --- /app/State -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class State:
    online: bool
    hdsi: bool | None = None
    ami: bool | None = None
    client_id: str | None = None
    version: str | None = None


def parse_state(data: Any, where: Where) -> State:
    obj = _obj(data, where, "a state")
    online = _bool(obj, "online", where, "an 'online' flag")
    if online is None:
        raise where.fail("no 'online' flag")
    version = obj.get("version")
    return State(
        online=online,
        hdsi=_bool(obj, "hdsi", where, "an 'hdsi' flag"),
        ami=_bool(obj, "ami", where, "an 'ami' flag"),
        client_id=_text(obj, "client_id", where, "a client_id"),
        version=version[:100] if isinstance(version, str) else None,
    )


# --- /app/Queue -----------------------------------------------------------------------------------


def parse_counts(data: Any, where: Where, profile: Profile = SANTEDB3) -> dict[QueueKind, int]:
    obj = _obj(data, where, "queue counts")
    counts: dict[QueueKind, int] = {}
    for kind, name in profile.queue_names.items():
        if name not in obj:
            raise where.fail(f"no count for the '{name}' queue")
        counts[kind] = _count(obj[name], where, f"a count for '{name}'")
    return counts


def parse_entry(data: Any, queue: QueueKind, where: Where, profile: Profile = SANTEDB3) -> QueueEntry:
    obj = _obj(data, where, "a queue entry")
    raw_id = obj.get("id")
    if isinstance(raw_id, bool) or not isinstance(raw_id, (int, str)) or raw_id == "":
        raise where.fail("a queue entry without a valid id")
    if isinstance(raw_id, int):
        raw_id = str(_count(raw_id, where, "an entry id"))
    elif len(raw_id) > 100:
        raise where.fail("a queue entry id that is too long")
    record_type = _text(obj, "resourceType", where, "a resourceType") or _text(obj, "type", where, "a type")
    operation = _text(obj, "operation", where, "an operation") or ""
    original: QueueKind | None = None
    if "originalQueue" in obj and obj["originalQueue"] is not None:
        oq = _obj(obj["originalQueue"], where, "an originalQueue")
        name = _text(oq, "name", where, "an originalQueue name")
        original = profile.queue_kind(name) if name else None
    rejection = None
    reason = _text(obj, "reason", where, "a reason")
    if reason is not None:
        rejection = parse_reason(reason)
    elif queue == QueueKind.CONFLICTS:
        rejection = Rejection(
            category=Category.UNKNOWN,
            message="The dCDR did not record why this entry was rejected",
            advice="Inspect the entry; retrying it will show the server's answer again.",
        )
    return QueueEntry(
        id=raw_id,
        queue=queue,
        record_type=(record_type or "")[:200],
        operation=operation[:100],
        created=parse_time(obj.get("creationTime"), where, "a creationTime"),
        attempts=_opt_count(obj, "retry", where, "a retry count") or 0,
        rejection=rejection,
        correlation=(_text(obj, "correlationKey", where, "a correlationKey") or None),
        original_queue=original,
    )


def parse_entry_page(
    data: Any, queue: QueueKind, offset: int, limit: int, where: Where, profile: Profile = SANTEDB3
) -> EntryPage:
    obj = _obj(data, where, "a queue listing")
    items = _items(obj, where, "a queue listing")
    entries = [parse_entry(item, queue, where, profile) for item in items[: max(limit, 0)]]
    total = _opt_count(obj, "totalResults", where, "a total")
    if total is None:
        total = _opt_count(obj, "size", where, "a size")
    answered_offset = _opt_count(obj, "offset", where, "an offset")
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
    for item in _items(data, where, "a sync log"):
        obj = _obj(item, where, "a sync log row")
        key = obj.get("Key")
        if not isinstance(key, str) or not key:
            raise where.fail("a sync log row without a Key")
        resource = _text(obj, "ResourceType", where, "a ResourceType", required=True) or ""
        raw_filter = _text(obj, "Filter", where, "a Filter") or ""
        shown = unquote(raw_filter, errors="replace")
        row = SyncLogRow(
            key=key[:100],
            record_type=resource[:200],
            filter=shown,
            last_success=parse_time(obj.get("LastSync"), where, "a LastSync"),
            last_error=_text(obj, "LastError", where, "a LastError") or None,
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
    obj = _obj(data, where, "a job")
    job_id = _text(obj, "id", where, "a job id", required=True) or ""
    wire_state = _text(obj, "state", where, "a job state") or "NotRun"
    state = JOB_STATES.get(wire_state.lower())
    if state is None:
        raise where.fail(f"an unknown job state {wire_state[:40]!r}")
    progress = obj.get("progress")
    if progress is not None:
        number = isinstance(progress, (int, float)) and not isinstance(progress, bool)
        if not number or not math.isfinite(progress):
            raise where.fail("a job progress that is not a number")
        progress = min(max(float(progress), 0.0), 1.0)
    # The sync job never reports progress (reference §5): 0 means "not reported", not 0 %.
    if progress == 0.0:
        progress = None
    status = _text(obj, "status", where, "a job status") or ""
    job = Job(
        id=job_id[:100],
        name=(_text(obj, "name", where, "a job name") or job_id)[:200],
        state=state,
        progress=progress,
        last_start=parse_time(obj.get("lastStart"), where, "a lastStart"),
        last_finish=parse_time(obj.get("lastFinish"), where, "a lastFinish"),
        message=status[:2000],
        can_cancel=bool(_bool(obj, "canCancel", where, "a canCancel flag", False)),
    )
    return JobInfo(job=job, wire_state=wire_state)


def parse_jobs(data: Any, where: Where) -> list[JobInfo]:
    return [parse_job(item, where) for item in _items(data, where, "a job list")]


# --- OAuth and HDSI -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Token:
    access_token: str
    expires_in: float | None


def parse_token(data: Any, where: Where) -> Token:
    obj = _obj(data, where, "a token answer")
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
    obj = _obj(data, where, "a count")
    for key in ("totalResults", "size"):
        if obj.get(key) is not None:
            return _count(obj[key], where, f"a '{key}'")
    raise where.fail("no totalResults")
