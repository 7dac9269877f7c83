"""The read side of the dCDR adapter: snapshot, queue entries, one entry's payload, check_connection.

Plain functions over a `DcdrClient`; Synchronize Now and the repair actions reuse the smaller readers
(counts, page, job, sync_log, find_entry, payload).
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from datetime import UTC, datetime

from synctui.backend import BackendError
from synctui.model import (
    Capability,
    Category,
    EntryDetail,
    EntryPage,
    Health,
    InfoItem,
    Job,
    JobState,
    QueueEntry,
    QueueKind,
    QueueStat,
    Rejection,
    Snapshot,
    SyncProgress,
    SyncStep,
)

from . import reading_legacy
from .dcdr_client import DcdrClient
from .wire import JobInfo, LogRow, State, parse_job, parse_jobs, parse_state

ENTRY_FILTERS = ("id", "correlation", "creationTime", "type", "dataFile", "operation", "retry")
GUID = re.compile(r"^[0-9A-Fa-f]{8}-?[0-9A-Fa-f]{4}-?[0-9A-Fa-f]{4}-?[0-9A-Fa-f]{4}-?[0-9A-Fa-f]{12}$")


def now() -> datetime:
    return datetime.now(UTC)


# --- single answers -------------------------------------------------------------------------------


async def state(client: DcdrClient) -> tuple[State, float]:
    started = time.perf_counter()
    data, where = await client.get_json(client.profile.state)
    latency = (time.perf_counter() - started) * 1000
    return parse_state(data, where), latency


async def counts(client: DcdrClient) -> dict[QueueKind, int]:
    if client.profile.queues is None:
        return await reading_legacy.sizes(client)
    data, where = await client.get_json(client.profile.queues)
    return client.dialect.parse_counts(data, where, client.profile)


def _queue_path(client: DcdrClient, queue: QueueKind) -> str:
    if not isinstance(queue, QueueKind) or queue not in client.profile.queue_names:
        raise client.config(f"queue {queue!r} does not exist on a SanteDB dCDR")
    return client.profile.queue.format(q=client.profile.queue_names[queue])


async def page(
    client: DcdrClient, queue: QueueKind, offset: int, limit: int, filters: dict[str, str] | None = None
) -> EntryPage:
    path = _queue_path(client, queue)
    params = {"_offset": str(offset), "_count": str(limit), **client.profile.list_params, **(filters or {})}
    data, where = await client.get_json(path, params=params)
    return client.dialect.parse_entry_page(data, queue, offset, limit, where, client.profile)


async def _oldest(client: DcdrClient, queue: QueueKind) -> datetime | None:
    first = await page(client, queue, 0, 1)  # FIFO by sequence: the first entry is the oldest
    return first.entries[0].created if first.entries else None


async def _oldest_entries(
    client: DcdrClient, queue_counts: dict[QueueKind, int]
) -> tuple[dict[QueueKind, datetime | None], dict[QueueKind, Rejection]]:
    """The oldest entry of each non-empty queue, and why it is not known for those whose look failed
    (one failed look leaves the other queues and every count as they are). A queue whose count has
    not moved keeps the answer of its last look for up to `log_interval`: an idle device then costs
    one request per refresh instead of five (a send and an add between two refreshes can leave the
    count alike with a new head; the age is corrected at the next look)."""
    cache = client.oldest_cache
    fresh_after = time.monotonic() - client.log_interval
    wanted = [
        queue
        for queue, count in queue_counts.items()
        if count and not (queue in cache and cache[queue][0] == count and cache[queue][2] >= fresh_after)
    ]
    found = await asyncio.gather(*(_oldest(client, queue) for queue in wanted), return_exceptions=True)
    failed: dict[QueueKind, Rejection] = {}
    for queue, created in zip(wanted, found, strict=True):
        if isinstance(created, BackendError):
            cache.pop(queue, None)
            failed[queue] = created.rejection
        elif isinstance(created, BaseException):
            raise created
        else:
            cache[queue] = (queue_counts[queue], created, time.monotonic())
    oldest = {queue: cache[queue][1] for queue, count in queue_counts.items() if count and queue in cache}
    return oldest, failed


async def sync_log(client: DcdrClient, fresh: bool = False) -> list[LogRow]:
    cache = client.log_cache
    if not fresh and cache and time.monotonic() - cache[0] < client.log_interval:
        return cache[1]
    if client.profile.sync_log is None:
        return []  # OpenIZ has no sync-log endpoint
    data, where = await client.get_json(client.profile.sync_log)
    rows = client.dialect.parse_sync_log(data, where)
    client.log_cache = (time.monotonic(), rows)
    return rows


async def _jobs(client: DcdrClient) -> tuple[list[Job], Rejection | None]:
    """The dCDR's jobs, and why they are not known when reading them failed (the rest of the
    dashboard does not depend on them)."""
    cache = client.jobs_cache
    if cache and time.monotonic() - cache[0] < client.log_interval:
        return cache[1], None
    if client.profile.jobs is None:
        return [], None  # 2.x and OpenIZ show no jobs through their sync centre API
    try:
        data, where = await client.get_json(client.profile.jobs)
        jobs = [info.job for info in parse_jobs(data, where)]
    except BackendError as exc:
        if exc.rejection.status != 403:
            return [], exc.rejection
        jobs = []  # this user may not read system jobs; the rest of the dashboard still works
    client.jobs_cache = (time.monotonic(), jobs)
    return jobs, None


async def job(client: DcdrClient, job_id: str) -> JobInfo:
    path = (client.profile.job or "").format(id=job_id)
    data, where = await client.get_json(path)
    return parse_job(data, where)


# --- snapshot and health --------------------------------------------------------------------------


async def _state_and_counts(client: DcdrClient) -> tuple[State, float, dict[QueueKind, int]]:
    if client.profile.state is not None:
        current, latency = await state(client)
        return current, latency, await counts(client)
    # 2.x / OpenIZ: no state endpoint; the device answering is all that is known (see README)
    started = time.perf_counter()
    queue_counts = await counts(client)
    return State(online=True), (time.perf_counter() - started) * 1000, queue_counts


def _queue_stat(
    client: DcdrClient,
    queue: QueueKind,
    queue_counts: dict[QueueKind, int],
    oldest: dict[QueueKind, datetime | None],
    why: dict[QueueKind, Rejection],
) -> QueueStat:
    label = client.profile.labels[queue]
    detail = "oldest entry: age not known" if queue in why else None
    return QueueStat(
        kind=queue, count=queue_counts[queue], oldest=oldest.get(queue), label=label, detail=detail
    )


def upstream_offline(current: State) -> Rejection | None:
    """Why a dCDR that answers says it is offline: it cannot reach its central server."""
    if current.online:
        return None
    down = " and ".join(name for name, up in (("HDSI", current.hdsi), ("AMI", current.ami)) if up is False)
    return Rejection(
        category=Category.RETRYABLE,
        message="The dCDR answers but cannot reach the central server"
        + (f" ({down} unreachable)" if down else ""),
        advice="Check the device's connection to the central server; what is queued stays on the device "
        "and is sent when the connection is back.",
        code="UPSTREAM_OFFLINE",
    )


def _not_known(rejection: Rejection) -> str:
    return f"not known: {rejection.message}"


async def snapshot(client: DcdrClient, kind: str, capabilities: frozenset[Capability]) -> Snapshot:
    """One read of the dCDR. The state, the counts or the sync log failing fails the read (the agent
    keeps the last data, marked stale); the age of a queue or the jobs that cannot be read are marked
    not known in a partial snapshot."""
    current, latency, queue_counts = await _state_and_counts(client)
    oldest, why = await _oldest_entries(client, queue_counts)
    log = await sync_log(client)
    jobs, jobs_error = await _jobs(client)
    queues = [
        _queue_stat(client, queue, queue_counts, oldest, why)
        for queue in (QueueKind.OUTBOX, QueueKind.INBOX, QueueKind.ADMIN, QueueKind.CONFLICTS)
    ]
    sync_job_id = client.profile.sync_job_id.lower()
    sync_job = next((j for j in jobs if j.id.lower() == sync_job_id), None)
    progress = None
    if sync_job and sync_job.state == JobState.RUNNING:
        progress = SyncProgress(
            steps=[SyncStep("Send outbox", total=None, done=None)],
            message=sync_job.message or "Synchronizing",
            running=True,
        )
    info = [InfoItem("profile", "API", client.profile.title)]
    if client.profile.state is None:
        info.append(InfoItem("upstream", "Upstream", "not reported by this API"))
    if client.profile.sync_log is None:
        info.append(InfoItem("sync_log", "Sync log", "n/a: this API has none"))
    if current.client_id:
        info.append(InfoItem("client_id", "Client", current.client_id))
    if current.hdsi is not None:
        info.append(InfoItem("hdsi", "Upstream HDSI", "reachable" if current.hdsi else "unreachable"))
    if current.ami is not None:
        info.append(InfoItem("ami", "Upstream AMI", "reachable" if current.ami else "unreachable"))
    if jobs_error is not None:
        info.append(InfoItem("jobs", "Jobs", _not_known(jobs_error)))
    for queue, rejection in why.items():
        info.append(
            InfoItem(f"oldest_{queue.value}", f"Oldest {client.profile.labels[queue]}", _not_known(rejection))
        )
    return Snapshot(
        backend=client.settings.name,
        kind=kind,
        queues=queues,
        health=Health(
            online=current.online, latency_ms=round(latency, 1), auth_ok=True, error=upstream_offline(current)
        ),
        log=[row.row for row in log],
        jobs=jobs,
        progress=progress,
        info=info,
        taken_at=now(),
        thresholds=client.settings.thresholds,
        capabilities=capabilities,
    )


async def check_connection(client: DcdrClient) -> Health:
    """A fresh login, then the state (3.x) or the counts (2.x, OpenIZ). `auth_ok` is True only when the
    dCDR accepted the user name and password in this probe, False when it refused them, None when that
    was not learnt (nothing configured, the dCDR unreachable or failing)."""
    try:
        await client.auth.fresh_token()
    except BackendError as exc:
        refused = exc.rejection.category == Category.AUTH and exc.rejection.status is not None
        return Health(
            online=refused,  # it answered, and refused the login
            auth_ok=False if refused else None,
            error=exc.rejection,
        )
    try:
        current, latency, _ = await _state_and_counts(client)
    except BackendError as exc:
        # The login of this probe was accepted; what failed after it is in `error`. Whether the device
        # reaches its server is not known then.
        refused = exc.rejection.category == Category.AUTH  # 401 after a fresh login, or 403
        return Health(online=False, auth_ok=not refused, error=exc.rejection)
    return Health(
        online=current.online,
        latency_ms=round(latency, 1),
        auth_ok=True,
        server_version=current.version,
        error=upstream_offline(current),
    )


# --- entries --------------------------------------------------------------------------------------


async def entries(
    client: DcdrClient, queue: QueueKind, offset: int = 0, limit: int = 50, filter: str | None = None
) -> EntryPage:
    offset = max(int(offset), 0)
    limit = min(max(int(limit), 1), 1000)
    return await page(client, queue, offset, limit, _filters(client, filter))


def _filters(client: DcdrClient, text: str | None) -> dict[str, str]:
    """`key=value&...` with the dCDR's filter names, or a bare id, GUID or resource type."""
    text = (text or "").strip()
    if not text:
        return {}
    if client.profile.entry_lookup != "filter":
        raise client.config(f"the {client.profile.title} cannot filter queue entries; clear the filter")
    if "=" in text:
        filters = {}
        for part in text.split("&"):
            key, _, value = part.partition("=")
            key = key.strip()
            if key not in ENTRY_FILTERS:
                raise client.config(f"'{key}' is not a queue filter (use one of {', '.join(ENTRY_FILTERS)})")
            filters[key] = value.strip()
        return filters
    if text.isdigit():
        return {"id": text}
    if GUID.match(text):
        return {"correlation": text}
    return {"type": text}


async def find_entry(client: DcdrClient, queue: QueueKind, id: str) -> QueueEntry:
    if client.profile.entry_lookup == "inline":
        return (await reading_legacy.inline_entry(client, queue, id, 1)).entry
    if client.profile.entry_lookup == "scan":
        found = await reading_legacy.scan_entry(client, queue, id)
        if found is None:
            raise gone(client, queue, id)
        return found
    listed = await page(client, queue, 0, 1, {"id": id})
    for entry in listed.entries:
        if entry.id == id:
            return entry
    raise gone(client, queue, id)


def gone(client: DcdrClient, queue: QueueKind, id: str) -> BackendError:
    label = client.profile.labels.get(queue, str(queue))
    return BackendError(
        Rejection(
            category=Category.GONE,
            message=f"Entry {id} is no longer in the {label} queue",
            advice="It was probably sent, retried or discarded meanwhile; refresh the list.",
            status=404,
        )
    )


def entry_id(client: DcdrClient, id: str) -> str:
    if not isinstance(id, str) or not id.isdigit() or len(id) > 20:
        raise client.config(f"{id!r} is not a queue entry id (a number)")
    return id


async def payload(client: DcdrClient, queue: QueueKind, id: str, limit: int) -> tuple[str, str, bool]:
    """The queued payload as (text, content type, truncated); JSON is pretty-printed."""
    path = client.profile.queue_entry.format(q=client.profile.queue_names[queue], id=id)
    try:
        response = await client.request("GET", path)
    except BackendError as exc:
        if exc.rejection.category == Category.GONE:
            raise gone(client, queue, id) from None
        raise
    content_type = response.headers.get("content-type", "application/json").split(";")[0].strip()
    raw = response.content
    truncated = len(raw) > limit
    if truncated:
        return raw[:limit].decode("utf-8", errors="replace"), content_type, True
    text = raw.decode("utf-8", errors="replace")
    if "json" in content_type or text.lstrip().startswith(("{", "[")):
        try:
            text = json.dumps(json.loads(text), indent=2, ensure_ascii=False)
            content_type = "application/json"
        except (ValueError, RecursionError):
            pass  # shown as the dCDR stored it
    return text, content_type, False


async def entry(client: DcdrClient, queue: QueueKind, id: str) -> EntryDetail:
    id = entry_id(client, id)
    _queue_path(client, queue)
    limit = int(client.options["payload_limit"])
    if client.profile.entry_lookup == "inline":
        return await reading_legacy.inline_entry(client, queue, id, limit)
    if client.profile.entry_lookup == "scan":
        meta = await reading_legacy.scan_entry(client, queue, id)
        text, content_type, truncated = await payload(client, queue, id, limit)
        if meta is None:  # beyond the pages scanned, but the dCDR has it
            meta = QueueEntry(id=id, queue=queue, record_type="", operation="")
        return EntryDetail(entry=meta, payload=text, content_type=content_type, truncated=truncated)
    meta = await find_entry(client, queue, id)
    text, content_type, truncated = await payload(client, queue, id, limit)
    return EntryDetail(entry=meta, payload=text, content_type=content_type, truncated=truncated)
