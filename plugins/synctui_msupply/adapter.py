"""The Open mSupply site adapter: the site's GraphQL for status, legacy central probes for Check connection."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import ClassVar

import httpx

from synctui.backend import Backend, BackendError, BackendSettings, ProgressCallback, config_error
from synctui.model import (
    ActionResult,
    Capability,
    Category,
    EntryDetail,
    EntryPage,
    EntryResult,
    Health,
    QueueEntry,
    QueueKind,
    Rejection,
    Setting,
    Snapshot,
    SyncResult,
    Thresholds,
)

from . import conflicts, database, mapping, panel, queries, retry_outcome, site_settings
from .conflict_pages import buffer_detail, conflicts_page, gone, not_listable, sync_error_detail
from .options import OPTIONS, MSupplyOptions, parse_options
from .probe import CentralProbe, probe_central
from .rejections import explain
from .site_answers import Fetched, field_error, read_sync_info, required_field
from .site_client import SiteClient, shape_error
from .sync_follow import describe, trigger_and_follow
from .wire import (
    InitialisationStatus,
    ParseError,
    StoreInfo,
    SyncErrorInfo,
    SyncSettings,
    SyncStatus,
    parse_initialisation_status,
    parse_manual_sync,
    parse_me_store,
    parse_settings_result,
    parse_sync_settings,
    parse_sync_status,
)


class MSupplyBackend(Backend):
    kind: ClassVar[str] = "msupply"
    description: ClassVar[str] = (
        "Open mSupply site (GraphQL), with read-only probes of the legacy mSupply central"
    )
    option_specs = OPTIONS
    capabilities = frozenset(
        {
            Capability.ENTRIES,
            Capability.SYNCHRONIZE,
            Capability.RETRY,
            Capability.CHECK_CONNECTION,
            Capability.SETTINGS,
        }
    )
    # mSupply's own badge thresholds (days since the last successful sync, reference §7)
    default_thresholds: ClassVar[Thresholds] = Thresholds(warning=timedelta(days=1), error=timedelta(days=3))

    def __init__(self, settings: BackendSettings, http: httpx.AsyncClient) -> None:
        super().__init__(settings, http)
        self._config_error: BackendError | None = None
        try:
            self.options = parse_options(settings)
        except BackendError as exc:
            self.options = MSupplyOptions()
            self._config_error = exc
        self.site = SiteClient(http, settings.url, settings.username, settings.secret)
        self._init: InitialisationStatus | None = None
        self._settings: SyncSettings | None = None
        self._store: StoreInfo | None = None
        self._store_note: str | None = None
        self._probe: CentralProbe | None = None
        self._probe_task: asyncio.Task[None] | None = None

    # --- reading the site -----------------------------------------------------------------------------

    def _check_config(self) -> None:
        if self._config_error is not None:
            raise self._config_error
        if not self.settings.url:
            raise config_error(self.settings, "no URL is configured for this mSupply site")

    @property
    def initialised(self) -> bool:
        return self._init is not None and self._init.status == "INITIALISED"

    async def _initialisation(self) -> InitialisationStatus:
        answer = await self.site.post(queries.INITIALISATION_STATUS, auth=False)
        self._init = required_field(
            answer,
            "initialisationStatus",
            "its initialisation status",
            parse_initialisation_status,
            self.site.what,
        )
        return self._init

    async def _fetch(self) -> Fetched:
        if not self.initialised:
            await self._initialisation()
        if self.initialised:
            answer = await self.site.query(queries.SYNC_INFO)
        else:
            answer = await self.site.post(queries.SYNC_STATUS_PRE_INIT, auth=False)
        if not answer.data and answer.errors:
            self._init = None  # e.g. the site was re-initialised and serves another schema
            raise field_error(answer, "", "its sync status") or shape_error(
                ParseError("no data"), self.site.what
            )
        try:
            status, push_queue, settings, note = read_sync_info(answer, self.initialised)
        except ParseError as exc:
            raise shape_error(exc, self.site.what) from None
        if settings is not None:
            self._settings = settings
        return Fetched(status, push_queue, self._settings, note)

    async def _fetch_store(self) -> None:
        if self._store is not None or self._store_note is not None or not self.initialised:
            return
        try:
            answer = await self.site.query(queries.ME_STORE)
            self._store = parse_me_store(answer.data.get("me"))
            if self._store is None:
                self._store_note = "no default store for this user"
        except (BackendError, ParseError) as exc:
            self._store_note = f"not reported ({exc})"

    def _site_name(self) -> str | None:
        if self.options.site_name:
            return self.options.site_name
        if self._settings and self._settings.username:
            return self._settings.username
        return self._init.site_name if self._init else None

    def _central_url(self) -> str | None:
        return self.options.central_url or (self._settings.url if self._settings else None) or None

    def _hung_threshold(self, settings: SyncSettings | None) -> timedelta:
        return mapping.hung_after(
            site_settings.scheduled_seconds(settings),
            self.options.hung_after_intervals,
            self.options.hung_min_seconds,
        )

    def _start_background_probe(self) -> None:
        if self._probe is not None or self._probe_task is not None:
            return

        async def run() -> None:
            with contextlib.suppress(Exception):
                self._probe = await probe_central(
                    self.http, self._central_url(), self._site_name(), self.options
                )

        self._probe_task = asyncio.get_running_loop().create_task(run())

    async def snapshot(self) -> Snapshot:
        self._check_config()
        fetched = await self._fetch()
        await self._fetch_store()
        self._start_background_probe()
        now = datetime.now(UTC)
        status = fetched.status
        verdict = mapping.assess(status, now, self._hung_threshold(fetched.settings))
        errors, db_note = await database.error_count(self.options.database)
        thresholds = self.settings.thresholds
        if (
            self.options.use_site_thresholds
            and status
            and status.warning_threshold
            and status.error_threshold
        ):
            thresholds = Thresholds(
                warning=timedelta(days=status.warning_threshold), error=timedelta(days=status.error_threshold)
            )
        interval = site_settings.scheduled_seconds(fetched.settings)
        return Snapshot(
            backend=self.settings.name,
            kind=self.kind,
            queues=mapping.queues(fetched.push_queue, status, verdict, errors),
            health=Health(
                online=True,
                latency_ms=self.site.last_latency_ms,
                auth_ok=True if self.initialised else None,
            ),
            log=mapping.log_rows(status, verdict),
            jobs=[mapping.job(status, verdict, interval, paused=site_settings.is_paused(fetched.settings))],
            progress=mapping.progress(status, verdict),
            info=panel.site_panel(
                site_name=self._site_name(),
                site_url=self.settings.url,
                store=self._store,
                store_note=self._store_note,
                initialisation=self._init,
                settings=fetched.settings,
                settings_note=fetched.settings_note,
                batch_size=site_settings.batch_text(self.options),
                status=status,
                verdict=verdict,
                probe=self._probe,
                central_url=self._central_url(),
                db_note=db_note,
            ),
            taken_at=now,
            thresholds=thresholds,
            capabilities=self.capabilities,
        )

    # --- actions ------------------------------------------------------------------------------------

    async def _trigger(self) -> str:
        answer = await self.site.query(queries.MANUAL_SYNC, {"fetchPatientId": None})
        return required_field(answer, "manualSync", "the sync request", parse_manual_sync, self.site.what)

    async def _status_now(self) -> SyncStatus | None:
        answer = await self.site.query(queries.SYNC_STATUS)
        if answer.data.get("syncStatus") is None and answer.error_for("syncStatus"):
            raise field_error(answer, "syncStatus", "its sync status")  # type: ignore[misc]
        try:
            return parse_sync_status(answer.data.get("syncStatus"))
        except ParseError as exc:
            raise shape_error(exc, self.site.what) from None

    async def synchronize(self, progress: ProgressCallback) -> SyncResult:
        self._check_config()
        if not self.initialised:
            await self._initialisation()
        if not self.initialised:
            return SyncResult(
                False,
                "This site is not initialised yet: initialise it once in Open mSupply; synctui never does.",
                rejection=explain("UNKNOWN", "site not initialised"),
            )
        if self._settings is None:
            with contextlib.suppress(BackendError):
                await self._fetch()
        result = await trigger_and_follow(
            self._status_now,
            self._trigger,
            self.options,
            lambda: self._hung_threshold(self._settings),
            progress,
        )
        if not result.ok:
            return result
        # The site says the sync finished without an error; records that failed to integrate are in
        # its sync_buffer, which only the database shows. Counted, or said to be unknown.
        errors, note = await database.error_count(self.options.database)
        counts = dict(result.counts)
        message = f"Sync finished: {describe(counts)}"
        if errors is not None:
            counts["rejected"] = errors
            if errors:
                message += (
                    f"; {errors} record{'s' if errors != 1 else ''} failed to integrate (in Sync errors)"
                )
        else:
            why = note or "set options.database to see them"
            message += f"; records that failed to integrate are not known ({why})"
        return replace(result, message=message, counts=counts)

    async def retry(self, ids: Sequence[str] | None) -> ActionResult:
        """mSupply has no per-record retry: every sync retries the failed step and re-integrates the
        buffered records, so retrying means a sync. It is ok only when that sync ran and finished
        without an error (and, with the database, the records no longer fail); a hung or still
        running sync, or one that failed, is said so, entry by entry, counted."""
        self._check_config()
        wanted = list(ids or [])
        if self._settings is None:  # the interval decides when a sync "appears hung"
            with contextlib.suppress(BackendError):
                await self._fetch()
        status = await self._status_now()
        threshold = self._hung_threshold(self._settings)
        verdict = mapping.assess(status, datetime.now(UTC), threshold)
        if verdict.state == "hung":
            step = verdict.failed_step
            where = f" at step {mapping.STEP_LABELS[step]}" if step else ""
            why = f"not retried: the sync started at {retry_outcome.clock(status)} appears hung{where}"
            return ActionResult(
                False,
                f"Not retried: the sync started at {retry_outcome.clock(status)} appears hung{where}, so no new sync "
                "can start. Restart Open mSupply on the site, then retry.",
                [EntryResult(id, False, why, verdict.rejection) for id in wanted],
                counts={"retried": 0, "not_retried": len(wanted)},
            )
        quick = replace(
            self.options,
            sync_timeout_seconds=self.options.retry_wait_seconds,
            trigger_grace_seconds=min(self.options.trigger_grace_seconds, self.options.retry_wait_seconds),
        )
        result = await trigger_and_follow(
            self._status_now, self._trigger, quick, lambda: threshold, lambda progress: None
        )
        with contextlib.suppress(BackendError):
            status = await self._status_now()
        return await retry_outcome.after_sync(wanted, result, status, self.options.database)

    # --- conflicts ------------------------------------------------------------------------------------

    async def _sync_entry(self) -> tuple[QueueEntry | None, SyncStatus | None]:
        fetched = await self._fetch()
        status = fetched.status
        verdict = mapping.assess(status, datetime.now(UTC), self._hung_threshold(fetched.settings))
        entry = conflicts.sync_error_entry(status, verdict)
        return entry, status

    async def entries(
        self, queue: QueueKind, offset: int = 0, limit: int = 50, filter: str | None = None
    ) -> EntryPage:
        self._check_config()
        if queue != QueueKind.CONFLICTS:
            raise not_listable()
        sync_entry, _ = await self._sync_entry()
        return await conflicts_page(sync_entry, self.options.database, offset, limit, filter)

    async def entry(self, queue: QueueKind, id: str) -> EntryDetail:
        self._check_config()
        if queue == QueueKind.CONFLICTS and id == conflicts.SYNC_ENTRY_ID:
            return sync_error_detail(*await self._sync_entry())
        if queue == QueueKind.CONFLICTS and id.startswith(conflicts.BUFFER_PREFIX) and self.options.database:
            detail = await buffer_detail(self.options.database, id)
            if detail is not None:
                return detail
        raise gone(f"No entry {id!r} in {queue.value}: it may have been integrated since.")

    # --- settings ---------------------------------------------------------------------------------------

    async def _current_settings(self) -> SyncSettings:
        answer = await self.site.query(queries.SYNC_SETTINGS)
        settings = required_field(
            answer, "syncSettings", "its sync settings", parse_sync_settings, self.site.what
        )
        assert settings is not None
        self._settings = settings
        return settings

    async def settings_list(self) -> list[Setting]:
        self._check_config()
        current = await self._current_settings()
        return site_settings.listed(current, self.options)

    async def change_settings(self, values: dict[str, str]) -> ActionResult:
        """The backend call only: the agent checks the admin PIN and writes the audit log."""
        self._check_config()
        site_settings.check_keys(values)
        current = await self._current_settings()
        url, interval = site_settings.new_values(values, current)
        password = site_settings.plain_password(self.options)
        answer = await self.site.query(
            queries.UPDATE_SYNC_SETTINGS,
            {
                "syncSettings": {
                    "url": url,
                    "username": current.username,
                    "password": password,
                    "intervalSeconds": interval,
                }
            },
        )
        result = required_field(
            answer, "updateSyncSettings", "the settings change", parse_settings_result, self.site.what
        )
        if isinstance(result, SyncErrorInfo):
            raise BackendError(explain(result.variant, result.full_error))
        self._settings = result
        self._probe = None
        return ActionResult(True, site_settings.describe_change(current, result))

    # --- check connection -------------------------------------------------------------------------------

    async def check_connection(self) -> Health:
        """Site reachability and login, then the read-only central probe (v5 site/site_status, v3 count).

        `auth_ok` is True only when what was asked in this probe accepted the credentials: the site's
        login (when the site is initialised) and central's v5 `site` call (when it was probed). False
        when either refused them, None when that was not learnt (unreachable, not configured, skipped)."""
        self._check_config()
        try:
            await self._initialisation()
        except BackendError as exc:
            return Health(online=False, auth_ok=None, error=exc.rejection)
        site_latency = self.site.last_latency_ms
        site_auth: bool | None = None
        error: Rejection | None = None
        if self.initialised:
            try:
                await self.site.login()
                site_auth = True
            except BackendError as exc:
                refused = exc.rejection.code in ("INVALID_CREDENTIALS", "UNAUTHENTICATED")
                site_auth = False if refused else None
                error = exc.rejection
            if site_auth:
                try:
                    await self._current_settings()
                except BackendError as exc:  # e.g. not a ServerAdmin: the login itself was accepted
                    error = exc.rejection
        probe = await probe_central(self.http, self._central_url(), self._site_name(), self.options)
        self._probe = probe
        if probe.skipped:  # the site's login says nothing about the sync credentials central checks
            return Health(
                online=True,
                latency_ms=site_latency,
                auth_ok=False if site_auth is False else None,
                error=error or _not_probed(probe.skipped, site_auth),
            )
        auth_ok: bool | None = None
        if site_auth is False or probe.auth_ok is False:
            auth_ok = False
        elif probe.auth_ok is True and (site_auth is True or not self.initialised):
            auth_ok = True
        return Health(
            online=bool(probe.reachable),
            latency_ms=probe.latency_ms if probe.latency_ms is not None else site_latency,
            auth_ok=auth_ok,
            error=probe.error or error,
        )

    @property
    def last_probe(self) -> CentralProbe | None:
        """The details of the last Check connection (site id, role, central URL...)."""
        return self._probe

    def watch_paths(self) -> list[Path]:
        return [self.options.database] if self.options.database else []

    async def aclose(self) -> None:
        if self._probe_task is not None and not self._probe_task.done():
            self._probe_task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._probe_task


def _not_probed(why: str, site_auth: bool | None) -> Rejection:
    login = "The site accepted synctui's login; " if site_auth else ""
    return Rejection(
        Category.FIX_DATA,
        f"{login}the central server was not probed, so the site's sync credentials are not verified.",
        advice=f"To check them, {why}.",
        code="CENTRAL_NOT_PROBED",
    )
