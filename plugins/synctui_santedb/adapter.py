"""SanteDB dCDR 3.x adapter: the /app sync centre, /ami jobs and /auth OAuth of a disconnected CDR.

Reference: ../shared/reference/santedb-openiz-api.md §1–§6 and §10. Every answer is parsed strictly
(wire.py); every failure a person should read becomes BackendError with one human line.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar

import httpx

from synctui.backend import Backend, BackendError, BackendSettings, ProgressCallback
from synctui.model import (
    ActionResult,
    Capability,
    Category,
    Comparison,
    EntryDetail,
    EntryPage,
    EntryResult,
    Health,
    InfoItem,
    Job,
    JobState,
    QueueEntry,
    QueueKind,
    QueueStat,
    Rejection,
    Snapshot,
    SyncLogRow,
    SyncProgress,
    SyncResult,
    SyncStep,
)

from .auth import TokenCache
from .rejections import first_message_line, parse_reason
from .wire import (
    PROFILES,
    JobInfo,
    LogRow,
    Profile,
    Where,
    decode_json,
    parse_counts,
    parse_entry_page,
    parse_fault,
    parse_job,
    parse_jobs,
    parse_state,
    parse_sync_log,
    parse_total,
)

DEFAULTS: dict[str, Any] = {
    "profile": "santedb3",
    "client_id": None,
    "database": None,
    "log_interval": 30.0,  # seconds between fetches of /app/Sync and /ami/JobInfo (0: every snapshot)
    "sync_poll_interval": 1.0,
    "sync_max_duration": 900.0,
    "sync_start_grace": 5,  # polls after $start before a finished-looking job counts as this run's end
    "payload_limit": 256 * 1024,  # characters of a payload shown; the rest is cut (truncated=True)
}
MAX_BODY = 32 * 1024 * 1024  # an answer bigger than this is refused, not parsed
ENTRY_FILTERS = ("id", "correlation", "creationTime", "type", "dataFile", "operation", "retry")
GUID = re.compile(r"^[0-9A-Fa-f]{8}-?[0-9A-Fa-f]{4}-?[0-9A-Fa-f]{4}-?[0-9A-Fa-f]{4}-?[0-9A-Fa-f]{12}$")
TYPE_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,99}$")
OUTGOING = (QueueKind.OUTBOX, QueueKind.ADMIN)
DONE_STATES = {"completed", "aborted", "cancelled", "canceled", "stopped"}


def _now() -> datetime:
    return datetime.now(UTC)


class SanteDBBackend(Backend):
    kind: ClassVar[str] = "santedb"
    description: ClassVar[str] = "SanteDB dCDR 3.x (disconnected CDR / gateway, /app sync centre)"
    capabilities: ClassVar[frozenset[Capability]] = frozenset(
        {
            Capability.ENTRIES,
            Capability.SYNCHRONIZE,
            Capability.CHECK_CONNECTION,
            Capability.RETRY,
            Capability.DISCARD,
            Capability.RESET,
            Capability.COUNT_REMOTES,
            Capability.COMPARE,
        }
    )

    def __init__(self, settings: BackendSettings, http: httpx.AsyncClient) -> None:
        super().__init__(settings, http)
        self._config_error: BackendError | None = None
        self.options = self._read_options(settings.options)
        self.profile: Profile = PROFILES.get(str(self.options["profile"]), PROFILES["santedb3"])
        self.base = (settings.url or "").rstrip("/")
        self.auth = TokenCache(settings, self._request, self.profile.state)
        self._log_cache: tuple[float, list[LogRow]] | None = None
        self._jobs_cache: tuple[float, list[Job]] | None = None

    # --- configuration ----------------------------------------------------------------------------

    def _read_options(self, given: dict[str, Any]) -> dict[str, Any]:
        options = dict(DEFAULTS)
        for key, default in DEFAULTS.items():
            if key not in given or given[key] is None:
                continue
            value = given[key]
            if isinstance(default, (int, float)) and not isinstance(default, bool):
                if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
                    self._config_error = self._config(f"option '{key}' must be a number ≥ 0, not {value!r}")
                    continue
            elif not isinstance(value, str):
                self._config_error = self._config(f"option '{key}' must be text")
                continue
            options[key] = value
        if str(options["profile"]) not in PROFILES:
            self._config_error = self._config(
                f"profile '{options['profile']}' is not supported (known: {', '.join(PROFILES)})"
            )
        return options

    def _config(self, what: str) -> BackendError:
        return BackendError(
            Rejection(
                category=Category.FIX_DATA,
                message=f"Backend {self.settings.name}: {what}",
                advice="Correct the [backends] entry in the synctui configuration.",
                code="CONFIG",
            )
        )

    def _check_config(self) -> None:
        if self._config_error:
            raise self._config_error
        if not re.match(r"^https?://[^/\s]+", self.base):
            raise self._config(f"url {self.settings.url!r} is not an http(s) address of a dCDR")

    def watch_paths(self) -> list[Path]:
        database = self.options.get("database")
        return [Path(database).expanduser()] if database else []

    # --- HTTP -------------------------------------------------------------------------------------

    async def _request(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        json_body: Any = None,
        data: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
        auth: bool = True,
        check: bool = True,
        query: str | None = None,
    ) -> httpx.Response:
        """One call to the dCDR; re-authenticates once on 401; transport failures → BackendError."""
        self._check_config()
        url = self.base + path + (f"?{query}" if query else "")
        for attempt in (1, 2):
            sent_headers = {"Accept": "application/json", **(headers or {})}
            if auth:
                sent_headers["Authorization"] = f"BEARER {await self.auth.token()}"
            try:
                response = await self.http.request(
                    method, url, params=params, json=json_body, data=data, headers=sent_headers
                )
            except httpx.TimeoutException:
                raise self._unreachable(path, "did not answer in time") from None
            except httpx.ConnectError:
                raise self._unreachable(path, "refused the connection or could not be found") from None
            except (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError):
                raise self._unreachable(path, "dropped the connection before answering") from None
            except (httpx.HTTPError, httpx.InvalidURL, OSError, ValueError) as exc:
                raise self._unreachable(path, f"could not be reached ({type(exc).__name__})") from None
            if len(response.content) > MAX_BODY:
                raise Where(self.base, path).fail("an answer larger than 32 MB")
            if response.status_code == 401 and auth and attempt == 1:
                self.auth.invalidate()
                continue
            return self._checked(response, path) if check else response
        raise AssertionError("unreachable")  # pragma: no cover

    def _unreachable(self, path: str, what: str) -> BackendError:
        return BackendError(
            Rejection(
                category=Category.RETRYABLE,
                message=f"The dCDR at {self.base} {what} ({path})",
                advice="Check that the dCDR (SanteDB disconnected client or gateway) is running and that "
                "the URL is right; synctui will keep trying.",
                code="UNREACHABLE",
            )
        )

    def _checked(self, response: httpx.Response, path: str) -> httpx.Response:
        status = response.status_code
        if status < 300:
            return response
        detail = self._fault_text(response)
        suffix = f": {detail}" if detail else ""
        if status == 401:
            category, message, advice = (
                Category.AUTH,
                f"The dCDR at {self.base} refused the login for {path}{suffix}",
                "Check the user name and password in the synctui configuration.",
            )
        elif status == 403:
            category, message, advice = (
                Category.AUTH,
                f"The user '{self.settings.username}' may not use {path} on the dCDR{suffix}",
                "Ask an administrator to grant this user the permission (for actions: "
                "AccessClientAdministrativeFunction).",
            )
        elif status in (404, 410):
            category, message, advice = (
                Category.GONE,
                f"The dCDR at {self.base} has no {path} (HTTP {status}){suffix}",
                "It may have been processed or removed meanwhile; refresh and try again.",
            )
        elif status in (423, 429, 502, 503, 504):
            category, message, advice = (
                Category.RETRYABLE,
                f"The dCDR at {self.base} is busy or unavailable (HTTP {status} on {path}){suffix}",
                "Wait a moment; synctui will try again.",
            )
        elif status >= 500:
            category, message, advice = (
                Category.SERVER,
                f"The dCDR at {self.base} failed on {path} (HTTP {status}){suffix}",
                "Look at the dCDR's log; if it keeps failing, restart the dCDR.",
            )
        else:
            category, message, advice = (
                Category.UNKNOWN,
                f"The dCDR at {self.base} refused {path} (HTTP {status}){suffix}",
                "This synctui version may not match the dCDR's API; report it to support.",
            )
        raise BackendError(
            Rejection(
                category=category,
                message=self._scrub(message),
                advice=advice,
                status=status,
                code="HTTP_ERROR",
                raw=self._scrub(response.text[:4000]) if _is_text(response) else "",
            )
        )

    def _fault_text(self, response: httpx.Response) -> str | None:
        try:
            return parse_fault(decode_json(response.content[:100_000], Where()))
        except BackendError:
            if _is_text(response) and "html" not in response.headers.get("content-type", ""):
                line = first_message_line(response.text[:2000])
                return line[:200] or None
            return None

    def _scrub(self, text: str) -> str:
        for secret in self.auth.secrets:
            text = text.replace(secret, "********")
        return text

    async def _get_json(self, path: str, **kwargs: Any) -> tuple[Any, Where]:
        response = await self._request("GET", path, **kwargs)
        where = Where(self.base, path)
        return decode_json(response.content, where), where

    # --- reading ----------------------------------------------------------------------------------

    async def _state(self) -> tuple[Any, float]:
        started = time.perf_counter()
        data, where = await self._get_json(self.profile.state)
        latency = (time.perf_counter() - started) * 1000
        return parse_state(data, where), latency

    async def _counts(self) -> dict[QueueKind, int]:
        data, where = await self._get_json(self.profile.queues)
        return parse_counts(data, where, self.profile)

    def _queue_path(self, queue: QueueKind) -> str:
        if not isinstance(queue, QueueKind) or queue not in self.profile.queue_names:
            raise self._config(f"queue {queue!r} does not exist on a SanteDB dCDR")
        return self.profile.queue.format(q=self.profile.queue_names[queue])

    async def _page(
        self, queue: QueueKind, offset: int, limit: int, filters: dict[str, str] | None = None
    ) -> EntryPage:
        path = self._queue_path(queue)
        params = {"_offset": str(offset), "_count": str(limit), "_includeTotal": "true", **(filters or {})}
        data, where = await self._get_json(path, params=params)
        return parse_entry_page(data, queue, offset, limit, where, self.profile)

    async def _oldest(self, queue: QueueKind) -> datetime | None:
        page = await self._page(queue, 0, 1)  # FIFO by sequence: the first entry is the oldest
        return page.entries[0].created if page.entries else None

    async def _log(self, fresh: bool = False) -> list[LogRow]:
        if not fresh and self._log_cache and time.monotonic() - self._log_cache[0] < self._interval:
            return self._log_cache[1]
        data, where = await self._get_json(self.profile.sync_log)
        rows = parse_sync_log(data, where)
        self._log_cache = (time.monotonic(), rows)
        return rows

    async def _jobs(self) -> list[Job]:
        if self._jobs_cache and time.monotonic() - self._jobs_cache[0] < self._interval:
            return self._jobs_cache[1]
        try:
            data, where = await self._get_json(self.profile.jobs)
            jobs = [info.job for info in parse_jobs(data, where)]
        except BackendError as exc:
            if exc.rejection.status != 403:
                raise
            jobs = []  # this user may not read system jobs; the rest of the dashboard still works
        self._jobs_cache = (time.monotonic(), jobs)
        return jobs

    async def _job(self, job_id: str) -> JobInfo:
        path = self.profile.job.format(id=job_id)
        data, where = await self._get_json(path)
        return parse_job(data, where)

    @property
    def _interval(self) -> float:
        return float(self.options["log_interval"])

    def _forget_cache(self) -> None:
        self._log_cache = None
        self._jobs_cache = None

    async def snapshot(self) -> Snapshot:
        state, latency = await self._state()
        counts = await self._counts()
        non_empty = [kind for kind, count in counts.items() if count]
        oldest_list = await _gather(*(self._oldest(kind) for kind in non_empty))
        oldest = dict(zip(non_empty, oldest_list, strict=True))
        log = await self._log()
        jobs = await self._jobs()
        queues = [
            QueueStat(kind=kind, count=counts[kind], oldest=oldest.get(kind), label=self.profile.labels[kind])
            for kind in (QueueKind.OUTBOX, QueueKind.INBOX, QueueKind.ADMIN, QueueKind.CONFLICTS)
        ]
        sync_job = next((j for j in jobs if j.id.lower() == self.profile.sync_job_id.lower()), None)
        progress = None
        if sync_job and sync_job.state == JobState.RUNNING:
            progress = SyncProgress(
                steps=[SyncStep("Send outbox", total=None, done=None)],
                message=sync_job.message or "Synchronizing",
                running=True,
            )
        info = [InfoItem("profile", "API", "SanteDB 3.x dCDR (/app)")]
        if state.client_id:
            info.append(InfoItem("client_id", "Client", state.client_id))
        if state.hdsi is not None:
            info.append(InfoItem("hdsi", "Upstream HDSI", "reachable" if state.hdsi else "unreachable"))
        if state.ami is not None:
            info.append(InfoItem("ami", "Upstream AMI", "reachable" if state.ami else "unreachable"))
        return Snapshot(
            backend=self.settings.name,
            kind=self.kind,
            queues=queues,
            health=Health(online=state.online, latency_ms=round(latency, 1), auth_ok=True),
            log=[row.row for row in log],
            jobs=jobs,
            progress=progress,
            info=info,
            taken_at=_now(),
            thresholds=self.settings.thresholds,
            capabilities=self.capabilities,
        )

    async def check_connection(self) -> Health:
        try:
            await self.auth.token()
        except BackendError as exc:
            answered = exc.rejection.category == Category.AUTH  # reachable, but the login was refused
            return Health(online=answered, auth_ok=False if answered else None, error=exc.rejection)
        try:
            state, latency = await self._state()
        except BackendError as exc:
            return Health(online=False, auth_ok=True, error=exc.rejection)
        return Health(
            online=state.online, latency_ms=round(latency, 1), auth_ok=True, server_version=state.version
        )

    async def entries(
        self, queue: QueueKind, offset: int = 0, limit: int = 50, filter: str | None = None
    ) -> EntryPage:
        offset = max(int(offset), 0)
        limit = min(max(int(limit), 1), 1000)
        return await self._page(queue, offset, limit, self._filters(filter))

    def _filters(self, text: str | None) -> dict[str, str]:
        """`key=value&...` with the dCDR's filter names, or a bare id, GUID or resource type."""
        text = (text or "").strip()
        if not text:
            return {}
        if "=" in text:
            filters = {}
            for part in text.split("&"):
                key, _, value = part.partition("=")
                key = key.strip()
                if key not in ENTRY_FILTERS:
                    raise self._config(
                        f"'{key}' is not a queue filter (use one of {', '.join(ENTRY_FILTERS)})"
                    )
                filters[key] = value.strip()
            return filters
        if text.isdigit():
            return {"id": text}
        if GUID.match(text):
            return {"correlation": text}
        return {"type": text}

    async def _find_entry(self, queue: QueueKind, id: str) -> QueueEntry:
        page = await self._page(queue, 0, 1, {"id": id})
        for entry in page.entries:
            if entry.id == id:
                return entry
        raise self._gone(queue, id)

    def _gone(self, queue: QueueKind, id: str) -> BackendError:
        label = self.profile.labels.get(queue, str(queue))
        return BackendError(
            Rejection(
                category=Category.GONE,
                message=f"Entry {id} is no longer in the {label} queue",
                advice="It was probably sent, retried or discarded meanwhile; refresh the list.",
                status=404,
            )
        )

    def _entry_id(self, id: str) -> str:
        if not isinstance(id, str) or not id.isdigit() or len(id) > 20:
            raise self._config(f"{id!r} is not a queue entry id (a number)")
        return id

    async def _payload(self, queue: QueueKind, id: str, limit: int) -> tuple[str, str, bool]:
        path = self.profile.queue_entry.format(q=self.profile.queue_names[queue], id=id)
        try:
            response = await self._request("GET", path)
        except BackendError as exc:
            if exc.rejection.category == Category.GONE:
                raise self._gone(queue, id) from None
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

    async def entry(self, queue: QueueKind, id: str) -> EntryDetail:
        id = self._entry_id(id)
        meta = await self._find_entry(queue, id)
        payload, content_type, truncated = await self._payload(queue, id, int(self.options["payload_limit"]))
        return EntryDetail(entry=meta, payload=payload, content_type=content_type, truncated=truncated)

    # --- Synchronize Now --------------------------------------------------------------------------

    async def synchronize(self, progress: ProgressCallback) -> SyncResult:
        start = _now()
        baseline = await self._counts()
        job_id = self.profile.sync_job_id
        job = await self._job(job_id)
        joined = job.job.state == JobState.RUNNING
        if not joined:
            body = {"parameter": [{"name": "mode", "value": "All"}, {"name": "push", "value": True}]}
            await self._request("POST", self.profile.job_start.format(id=job_id), json_body=body)
        self._forget_cache()
        tracker = _StepTracker(baseline, start)
        progress(tracker.progress(baseline, "Synchronizing" if joined else "Starting", running=True))
        deadline = time.monotonic() + float(self.options["sync_max_duration"])
        interval = float(self.options["sync_poll_interval"])
        seen_running, polls = joined, 0
        counts = baseline
        while True:
            polls += 1
            job = await self._job(job_id)
            counts = await self._counts()
            running = job.job.state == JobState.RUNNING
            seen_running = seen_running or running
            finished = not running and job.wire_state.lower() in DONE_STATES | {"notrun"}
            grace_over = polls > self.options["sync_start_grace"]
            this_run = seen_running or _after(job.job.last_start, start) or grace_over
            done = finished and this_run
            progress(tracker.progress(counts, job.job.message, running=not done))
            if done:
                break
            if time.monotonic() >= deadline:
                return self._sync_timeout(tracker, counts)
            await asyncio.sleep(interval)
        self._forget_cache()
        return await self._sync_result(job, baseline, counts, tracker)

    def _sync_timeout(self, tracker: _StepTracker, counts: dict[QueueKind, int]) -> SyncResult:
        seconds = int(float(self.options["sync_max_duration"]))
        return SyncResult(
            ok=False,
            message="Sync Failed",
            rejection=Rejection(
                category=Category.RETRYABLE,
                message=f"The synchronization did not finish within {seconds} s",
                advice="It may still be running on the device: check Background Jobs, and the connection "
                "to the server, before starting it again.",
                code="TIMEOUT",
            ),
            counts=tracker.counts(counts),
        )

    async def _sync_result(
        self,
        job: JobInfo,
        baseline: dict[QueueKind, int],
        counts: dict[QueueKind, int],
        tracker: _StepTracker,
    ) -> SyncResult:
        totals = tracker.counts(counts)
        state = job.wire_state.lower()
        if state == "aborted":
            reason = parse_reason(job.job.message) if job.job.message else None
            detail = reason.message if reason and reason.category != Category.UNKNOWN else job.job.message
            rejection = Rejection(
                category=reason.category if reason else Category.UNKNOWN,
                message=f"The synchronization job stopped with an error: {first_message_line(detail or '')}"
                if detail
                else "The synchronization job stopped with an error",
                advice=(reason.advice if reason else "")
                or "Check the connection to the server, then synchronize again.",
                status=reason.status if reason else None,
                code=reason.code if reason else None,
                raw=job.job.message,
            )
            return SyncResult(ok=False, message="Sync Failed", rejection=rejection, counts=totals)
        if state in ("cancelled", "canceled"):
            rejection = Rejection(
                category=Category.UNKNOWN,
                message="The synchronization was cancelled",
                advice="Synchronize again when ready.",
            )
            return SyncResult(ok=False, message="Sync Failed", rejection=rejection, counts=totals)
        rejected = counts[QueueKind.CONFLICTS] - baseline[QueueKind.CONFLICTS]
        if rejected > 0:
            return SyncResult(
                ok=False,
                message="Sync Failed",
                rejection=await self._rejected(rejected, counts),
                counts=totals,
            )
        waiting = sum(counts[k] for k in OUTGOING)
        if waiting:
            rejection = Rejection(
                category=Category.RETRYABLE,
                message=f"{waiting} records are still waiting to be sent after the synchronization",
                advice="Check the device's connection to the server (is it online?) and synchronize again.",
            )
            return SyncResult(ok=False, message="Sync Failed", rejection=rejection, counts=totals)
        return SyncResult(ok=True, message="Data Synced", counts=totals)

    async def _rejected(self, rejected: int, counts: dict[QueueKind, int]) -> Rejection:
        """Summarise the newest dead-letter entries: the most common reason decides the category."""
        message = f"{rejected} {'entry was' if rejected == 1 else 'entries were'} rejected by the server"
        reasons: list[Rejection] = []
        try:
            sample = min(rejected, 20)
            page = await self._page(QueueKind.CONFLICTS, max(counts[QueueKind.CONFLICTS] - sample, 0), sample)
            reasons = [e.rejection for e in page.entries if e.rejection]
        except BackendError:
            pass  # the count alone is still the answer
        if not reasons:
            return Rejection(
                category=Category.UNKNOWN,
                message=message,
                advice="Open the Conflicts queue to see why. Do not re-enter the data: it is not lost.",
                code="REJECTED",
            )
        common = Counter((r.category, r.status, r.code) for r in reasons).most_common(1)[0][0]
        example = next(r for r in reasons if (r.category, r.status, r.code) == common)
        return Rejection(
            category=example.category,
            message=f"{message}: {example.message}",
            advice=example.advice,
            status=example.status,
            code=example.code,
            raw=example.raw,
        )

    # --- actions ----------------------------------------------------------------------------------

    async def retry(self, ids: Sequence[str] | None) -> ActionResult:
        self._forget_cache()
        if ids is None:
            body = {"parameter": [{"name": "all", "value": True}]}
            await self._request("POST", self.profile.retry, json_body=body)
            return ActionResult(ok=True, message="All conflicted entries were queued again")
        results = []
        for id in ids:
            try:
                body = {"parameter": [{"name": "id", "value": int(self._entry_id(id))}]}
                await self._request("POST", self.profile.retry, json_body=body)
                results.append(EntryResult(id=id, ok=True, message="queued again"))
            except BackendError as exc:
                results.append(
                    EntryResult(id=str(id), ok=False, message=exc.rejection.message, rejection=exc.rejection)
                )
        return _summary(results, "queued again")

    async def discard(self, queue: QueueKind, ids: Sequence[str]) -> ActionResult:
        """ "Leave Server Version" / "Ignore": deletes queue entries (the local change is dropped)."""
        self._forget_cache()
        results = []
        for id in ids:
            try:
                path = self.profile.queue_entry.format(
                    q=self.profile.queue_names[queue], id=self._entry_id(id)
                )
                await self._request("DELETE", path)
                results.append(EntryResult(id=id, ok=True, message="discarded"))
            except BackendError as exc:
                results.append(
                    EntryResult(id=str(id), ok=False, message=exc.rejection.message, rejection=exc.rejection)
                )
        return _summary(results, "discarded")

    async def reset(self, keys: Sequence[str] | None) -> ActionResult:
        self._forget_cache()
        if keys is None:
            await self._request("POST", self.profile.reset_all)
            return ActionResult(ok=True, message="The synchronization log was reset; no data was deleted")
        results = []
        for key in keys:
            try:
                if not isinstance(key, str) or not GUID.match(key):
                    raise self._config(f"{key!r} is not a sync-log key (a GUID)")
                await self._request("POST", self.profile.reset_one.format(key=key))
                results.append(EntryResult(id=key, ok=True, message="reset"))
            except BackendError as exc:
                results.append(
                    EntryResult(id=str(key), ok=False, message=exc.rejection.message, rejection=exc.rejection)
                )
        return _summary(results, "reset")

    async def count_remotes(self) -> list[SyncLogRow]:
        """Local and upstream totals for each sync-log row, as the sync centre's Count Remotes."""
        rows = await self._log(fresh=True)
        counted: list[SyncLogRow] = []
        upstream_errors: list[BackendError] = []
        for log in rows:
            row = log.row
            # The log's Filter is a URL-encoded query string; the sync centre decodes it and sends it as is.
            if row.filter.startswith("$") or not TYPE_NAME.match(row.record_type):
                counted.append(row)
                continue
            local = await self._total(row.record_type, row.filter, upstream=False)
            try:
                remote = await self._total(row.record_type, row.filter, upstream=True)
            except BackendError as exc:
                upstream_errors.append(exc)
                remote = None
            counted.append(_replace_counts(row, local, remote))
        if upstream_errors and len(upstream_errors) == len([r for r in counted if r.local_count is not None]):
            first = upstream_errors[0].rejection
            raise BackendError(
                Rejection(
                    category=first.category,
                    message=f"Could not count records on the server: {first.message}",
                    advice="The dCDR relays this to the central server; check that it is online.",
                    status=first.status,
                )
            )
        return counted

    async def _total(self, record_type: str, filter: str, *, upstream: bool) -> int | None:
        query = "&".join(p for p in (filter.lstrip("?"), "_count=0&_includeTotal=true") if p)
        headers = {"X-SanteDB-Upstream": "true"} if upstream else None
        try:
            data, where = await self._get_json(
                self.profile.hdsi.format(type=record_type), query=query, headers=headers
            )
        except BackendError as exc:
            if not upstream and exc.rejection.category in (Category.GONE, Category.UNKNOWN):
                return None  # not an HDSI type on this dCDR: shown as "-"
            raise
        return parse_total(data, where)

    async def compare(self, queue: QueueKind, id: str) -> Comparison:
        id = self._entry_id(id)
        meta = await self._find_entry(queue, id)
        local, _, _ = await self._payload(queue, id, int(self.options["payload_limit"]))
        record_type, key = _focal(local, meta)
        if not record_type or not key or not TYPE_NAME.match(record_type) or not GUID.match(key):
            return Comparison(
                id=id,
                local=local,
                server=None,
                reason="The type or key of this record is not known, so the server copy cannot be fetched.",
            )
        path = self.profile.hdsi.format(type=record_type) + f"/{key}"
        try:
            response = await self._request("GET", path, headers={"X-SanteDB-Upstream": "true"})
        except BackendError as exc:
            if exc.rejection.category == Category.GONE:
                return Comparison(
                    id=id,
                    local=local,
                    server=None,
                    reason=f"The server has no {record_type} {key}: it was never received or was removed.",
                )
            return Comparison(
                id=id,
                local=local,
                server=None,
                reason=f"The server copy could not be fetched: {exc.rejection.message}",
            )
        try:
            server = json.dumps(json.loads(response.content), indent=2, ensure_ascii=False)
        except (ValueError, RecursionError):
            server = response.content[: int(self.options["payload_limit"])].decode("utf-8", "replace")
        return Comparison(id=id, local=local, server=server)


# --- helpers --------------------------------------------------------------------------------------


class _StepTracker:
    """Turns falling queue counts into SyncSteps: total = the most ever waiting, done = total − now."""

    STEPS = (
        (QueueKind.OUTBOX, "Send outbox"),
        (QueueKind.ADMIN, "Send admin queue"),
        (QueueKind.INBOX, "Receive inbox"),
    )

    def __init__(self, baseline: dict[QueueKind, int], started: datetime) -> None:
        self.baseline = baseline
        self.started = started
        self.peak = {kind: baseline[kind] for kind, _ in self.STEPS}
        self.finished: dict[QueueKind, datetime] = {}

    def progress(self, counts: dict[QueueKind, int], message: str, running: bool) -> SyncProgress:
        steps = []
        for kind, name in self.STEPS:
            self.peak[kind] = max(self.peak[kind], counts[kind])
            if counts[kind] == 0 and kind not in self.finished and (self.peak[kind] or not running):
                self.finished[kind] = _now()
            elif counts[kind]:
                self.finished.pop(kind, None)
            total = self.peak[kind]
            steps.append(
                SyncStep(
                    name,
                    total=total,
                    done=total - counts[kind],
                    started=self.started,
                    finished=self.finished.get(kind) if not running or counts[kind] == 0 else None,
                )
            )
        return SyncProgress(
            steps=steps, message=message or ("Synchronizing" if running else ""), running=running
        )

    def counts(self, counts: dict[QueueKind, int]) -> dict[str, int]:
        sent = sum(max(self.peak[k] - counts[k], 0) for k in OUTGOING)
        return {
            "sent": sent,
            "received": max(self.peak[QueueKind.INBOX] - counts[QueueKind.INBOX], 0),
            "rejected": max(counts[QueueKind.CONFLICTS] - self.baseline[QueueKind.CONFLICTS], 0),
            "waiting": sum(counts[k] for k in OUTGOING),
        }


async def _gather(*aws: Any) -> list[Any]:
    """Run concurrently; re-raise the first failure only after all have finished."""
    results = await asyncio.gather(*aws, return_exceptions=True)
    for result in results:
        if isinstance(result, BaseException):
            raise result
    return list(results)


def _after(moment: datetime | None, start: datetime) -> bool:
    return moment is not None and (moment - start).total_seconds() > -2.0


def _is_text(response: httpx.Response) -> bool:
    content_type = response.headers.get("content-type", "")
    return content_type.startswith("text/") or "json" in content_type or "xml" in content_type


def _summary(results: list[EntryResult], verb: str) -> ActionResult:
    good = sum(r.ok for r in results)
    bad = len(results) - good
    message = f"{good} {'entry' if good == 1 else 'entries'} {verb}"
    if bad:
        message += f", {bad} failed"
    return ActionResult(ok=bad == 0, message=message, results=results)


def _replace_counts(row: SyncLogRow, local: int | None, remote: int | None) -> SyncLogRow:
    return replace(row, local_count=local, remote_count=remote)


def _focal(payload: str, meta: QueueEntry) -> tuple[str | None, str | None]:
    """The type and key of the record a queued payload is about (a Bundle's focal object, or itself)."""
    try:
        data = json.loads(payload)
    except (ValueError, RecursionError):
        return None, None
    if not isinstance(data, dict):
        return None, None
    key = meta.correlation or (data.get("id") if isinstance(data.get("id"), str) else None)
    kind = data.get("$type")
    if kind == "Bundle" and isinstance(data.get("resource"), list):
        focal = data.get("focal")
        wanted = {key} | (set(f for f in focal if isinstance(f, str)) if isinstance(focal, list) else set())
        for item in data["resource"]:
            if isinstance(item, dict) and item.get("id") in wanted and isinstance(item.get("$type"), str):
                return item["$type"], item["id"]
        return None, key
    if kind == "Patch":
        target = data.get("appliesTo")
        if isinstance(target, dict) and all(isinstance(target.get(k), str) for k in ("type", "id")):
            return target["type"].split(",")[0].split(".")[-1], target["id"]
        return None, key
    return (kind if isinstance(kind, str) else meta.record_type or None), key
