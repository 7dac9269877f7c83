"""The Open mSupply site adapter: the site's GraphQL for status, legacy central probes for Check connection."""

from __future__ import annotations

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
    EntryDetail,
    EntryPage,
    EntryResult,
    Health,
    QueueEntry,
    QueueKind,
    Setting,
    Snapshot,
    SyncResult,
    Thresholds,
)

from . import conflicts, database, mapping, panel, queries, retry_outcome, site_settings
from .conflict_pages import buffer_detail, conflicts_page, gone, not_listable, sync_error_detail
from .connection_check import check_connection
from .options import OPTIONS, MSupplyOptions, parse_options
from .probe import CentralProbe
from .rejections import explain
from .site_answers import required_field
from .site_state import SiteState
from .sync_follow import describe, trigger_and_follow
from .wire import SyncErrorInfo, SyncStatus, parse_settings_result


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
        self.state = SiteState(settings, self.options, http)

    def _check_config(self) -> None:
        if self._config_error is not None:
            raise self._config_error
        if not self.settings.url:
            raise config_error(self.settings, "no URL is configured for this mSupply site")

    # --- reading the site -----------------------------------------------------------------------------

    async def snapshot(self) -> Snapshot:
        self._check_config()
        fetched = await self.state.fetch()
        await self.state.fetch_store()
        self.state.start_background_probe()
        now = datetime.now(UTC)
        status = fetched.status
        verdict = mapping.assess(status, now, self.state.hung_threshold(fetched.settings))
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
                latency_ms=self.state.site.last_latency_ms,
                auth_ok=True if self.state.initialised else None,
            ),
            log=mapping.log_rows(status, verdict),
            jobs=[mapping.job(status, verdict, interval, paused=site_settings.is_paused(fetched.settings))],
            progress=mapping.progress(status, verdict),
            info=panel.site_panel(
                site_name=self.state.site_name(),
                site_url=self.settings.url,
                store=self.state.store,
                store_note=self.state.store_note,
                initialisation=self.state.init,
                settings=fetched.settings,
                settings_note=fetched.settings_note,
                batch_size=site_settings.batch_text(self.options),
                status=status,
                verdict=verdict,
                probe=self.state.probe,
                central_url=self.state.central_url(),
                db_note=db_note,
            ),
            taken_at=now,
            thresholds=thresholds,
            capabilities=self.capabilities,
        )

    # --- actions ------------------------------------------------------------------------------------

    async def synchronize(self, progress: ProgressCallback) -> SyncResult:
        self._check_config()
        if not self.state.initialised:
            await self.state.initialisation()
        if not self.state.initialised:
            return SyncResult(
                False,
                "This site is not initialised yet: initialise it once in Open mSupply; synctui never does.",
                rejection=explain("UNKNOWN", "site not initialised"),
            )
        if self.state.settings is None:
            with contextlib.suppress(BackendError):
                await self.state.fetch()
        result = await trigger_and_follow(
            self.state.status_now,
            self.state.trigger,
            self.options,
            lambda: self.state.hung_threshold(self.state.settings),
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
        if self.state.settings is None:  # the interval decides when a sync "appears hung"
            with contextlib.suppress(BackendError):
                await self.state.fetch()
        status = await self.state.status_now()
        threshold = self.state.hung_threshold(self.state.settings)
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
            self.state.status_now, self.state.trigger, quick, lambda: threshold, lambda progress: None
        )
        with contextlib.suppress(BackendError):
            status = await self.state.status_now()
        return await retry_outcome.after_sync(wanted, result, status, self.options.database)

    # --- conflicts ------------------------------------------------------------------------------------

    async def _sync_entry(self) -> tuple[QueueEntry | None, SyncStatus | None]:
        fetched = await self.state.fetch()
        status = fetched.status
        verdict = mapping.assess(status, datetime.now(UTC), self.state.hung_threshold(fetched.settings))
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

    async def settings_list(self) -> list[Setting]:
        self._check_config()
        current = await self.state.current_settings()
        return site_settings.listed(current, self.options)

    async def change_settings(self, values: dict[str, str]) -> ActionResult:
        """The backend call only: the agent checks the admin PIN and writes the audit log."""
        self._check_config()
        site_settings.check_keys(values)
        current = await self.state.current_settings()
        url, interval = site_settings.new_values(values, current)
        password = site_settings.plain_password(self.options)
        answer = await self.state.site.query(
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
            answer, "updateSyncSettings", "the settings change", parse_settings_result, self.state.site.what
        )
        if isinstance(result, SyncErrorInfo):
            raise BackendError(explain(result.variant, result.full_error))
        self.state.settings = result
        self.state.probe = None
        return ActionResult(True, site_settings.describe_change(current, result))

    # --- check connection -------------------------------------------------------------------------------

    async def check_connection(self) -> Health:
        self._check_config()
        return await check_connection(self.state)

    @property
    def last_probe(self) -> CentralProbe | None:
        """The details of the last Check connection (site id, role, central URL...)."""
        return self.state.probe

    def watch_paths(self) -> list[Path]:
        return [self.options.database] if self.options.database else []

    async def aclose(self) -> None:
        await self.state.aclose()
