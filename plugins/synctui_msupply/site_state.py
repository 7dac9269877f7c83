"""What the adapter knows of an Open mSupply site between calls, and the site reads that keep it: its
initialisation status, sync settings, default store and the last central probe, read once and refreshed
where a call learns better."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import timedelta

import httpx

from synctui.backend import BackendError, BackendSettings

from . import mapping, queries, site_settings
from .options import MSupplyOptions
from .probe import CentralProbe, probe_central
from .site_answers import Fetched, field_error, read_sync_info, required_field
from .site_client import SiteClient, shape_error
from .wire import (
    InitialisationStatus,
    ParseError,
    StoreInfo,
    SyncSettings,
    SyncStatus,
    parse_initialisation_status,
    parse_manual_sync,
    parse_me_store,
    parse_sync_settings,
    parse_sync_status,
)


class SiteState:
    def __init__(self, settings: BackendSettings, options: MSupplyOptions, http: httpx.AsyncClient) -> None:
        self.options = options
        self.http = http
        self.site = SiteClient(http, settings.url, settings.username, settings.secret)
        self.init: InitialisationStatus | None = None
        self.settings: SyncSettings | None = None
        self.store: StoreInfo | None = None
        self.store_note: str | None = None
        self.probe: CentralProbe | None = None
        self._probe_task: asyncio.Task[None] | None = None

    @property
    def initialised(self) -> bool:
        return self.init is not None and self.init.status == "INITIALISED"

    async def initialisation(self) -> InitialisationStatus:
        answer = await self.site.post(queries.INITIALISATION_STATUS, auth=False)
        self.init = required_field(
            answer,
            "initialisationStatus",
            "its initialisation status",
            parse_initialisation_status,
            self.site.what,
        )
        return self.init

    async def fetch(self) -> Fetched:
        if not self.initialised:
            await self.initialisation()
        if self.initialised:
            answer = await self.site.query(queries.SYNC_INFO)
        else:
            answer = await self.site.post(queries.SYNC_STATUS_PRE_INIT, auth=False)
        if not answer.data and answer.errors:
            self.init = None  # e.g. the site was re-initialised and serves another schema
            raise field_error(answer, "", "its sync status") or shape_error(
                ParseError("no data"), self.site.what
            )
        try:
            status, push_queue, settings, note = read_sync_info(answer, self.initialised)
        except ParseError as exc:
            raise shape_error(exc, self.site.what) from None
        if settings is not None:
            self.settings = settings
        return Fetched(status, push_queue, self.settings, note)

    async def fetch_store(self) -> None:
        if self.store is not None or self.store_note is not None or not self.initialised:
            return
        try:
            answer = await self.site.query(queries.ME_STORE)
            self.store = parse_me_store(answer.data.get("me"))
            if self.store is None:
                self.store_note = "no default store for this user"
        except (BackendError, ParseError) as exc:
            self.store_note = f"not reported ({exc})"

    async def current_settings(self) -> SyncSettings:
        answer = await self.site.query(queries.SYNC_SETTINGS)
        settings = required_field(
            answer, "syncSettings", "its sync settings", parse_sync_settings, self.site.what
        )
        assert settings is not None
        self.settings = settings
        return settings

    async def status_now(self) -> SyncStatus | None:
        answer = await self.site.query(queries.SYNC_STATUS)
        if answer.data.get("syncStatus") is None and answer.error_for("syncStatus"):
            raise field_error(answer, "syncStatus", "its sync status")  # type: ignore[misc]
        try:
            return parse_sync_status(answer.data.get("syncStatus"))
        except ParseError as exc:
            raise shape_error(exc, self.site.what) from None

    async def trigger(self) -> str:
        answer = await self.site.query(queries.MANUAL_SYNC, {"fetchPatientId": None})
        return required_field(answer, "manualSync", "the sync request", parse_manual_sync, self.site.what)

    def site_name(self) -> str | None:
        if self.options.site_name:
            return self.options.site_name
        if self.settings and self.settings.username:
            return self.settings.username
        return self.init.site_name if self.init else None

    def central_url(self) -> str | None:
        return self.options.central_url or (self.settings.url if self.settings else None) or None

    def hung_threshold(self, settings: SyncSettings | None) -> timedelta:
        return mapping.hung_after(
            site_settings.scheduled_seconds(settings),
            self.options.hung_after_intervals,
            self.options.hung_min_seconds,
        )

    async def probe_central(self) -> CentralProbe:
        self.probe = await probe_central(self.http, self.central_url(), self.site_name(), self.options)
        return self.probe

    def start_background_probe(self) -> None:
        if self.probe is not None or self._probe_task is not None:
            return

        async def run() -> None:
            with contextlib.suppress(Exception):
                await self.probe_central()

        self._probe_task = asyncio.get_running_loop().create_task(run())

    async def aclose(self) -> None:
        if self._probe_task is not None and not self._probe_task.done():
            self._probe_task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._probe_task
