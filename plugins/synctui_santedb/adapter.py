"""SanteDB dCDR adapter: the sync centre of a SanteDB 3.x dCDR (/app, /ami, /auth OAuth) and, chosen by
`options.profile`, of the legacy SanteDB 2.x (/app) and OpenIZ (/__app) disconnected clients.

Reference: ../shared/reference/santedb-openiz-api.md §1–§10. Every answer is parsed strictly
(wire.py, wire_v2.py, wire_openiz.py); every failure a person should read becomes BackendError with one
human line.

One registered class (`SanteDBBackend`, kind `santedb`); each instance's `capabilities` are those of its
profile, what that generation really has; a method outside them raises NotSupported.

The backend holds one `DcdrClient` (dcdr_client.py: options, HTTP, errors) and hands it to the read side
(reading.py), Synchronize Now (sync_now.py) and the repair actions (repair.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, ClassVar

import httpx

from synctui.backend import Backend, BackendSettings, NotSupported, ProgressCallback
from synctui.model import (
    ActionResult,
    Capability,
    Comparison,
    EntryDetail,
    EntryPage,
    Health,
    QueueKind,
    Snapshot,
    SyncLogRow,
    SyncResult,
)

from . import reading, repair, sync_now
from .auth import TokenCache
from .dcdr_client import DcdrClient
from .options import OPTIONS
from .profiles import OPENIZ, SANTEDB2, SANTEDB3, Profile


class SanteDBBackend(Backend):
    kind: ClassVar[str] = "santedb"
    description: ClassVar[str] = "SanteDB dCDR 3.x (disconnected CDR / gateway, /app sync centre)"
    capabilities = SANTEDB3.capabilities | SANTEDB2.capabilities | OPENIZ.capabilities  # of some profile
    option_specs = OPTIONS

    def __init__(self, settings: BackendSettings, http: httpx.AsyncClient) -> None:
        super().__init__(settings, http)
        self.client = DcdrClient(settings, http)
        self.capabilities = self.client.profile.capabilities

    def _require(self, capability: Capability, what: str) -> None:
        if capability not in self.capabilities:
            raise NotSupported(f"{what} ({self.profile.title})")

    @property
    def options(self) -> dict[str, Any]:
        return self.client.options

    @property
    def profile(self) -> Profile:
        return self.client.profile

    @property
    def auth(self) -> TokenCache:
        return self.client.auth

    @property
    def base(self) -> str:
        """The dCDR's URL without a trailing slash."""
        return self.client.base

    @base.setter
    def base(self, value: str) -> None:
        self.client.base = value

    def watch_paths(self) -> list[Path]:
        database = self.options.get("database")
        return [Path(database).expanduser()] if database else []

    # --- reading ----------------------------------------------------------------------------------

    async def snapshot(self) -> Snapshot:
        return await reading.snapshot(self.client, self.kind, self.capabilities)

    async def check_connection(self) -> Health:
        return await reading.check_connection(self.client)

    async def entries(
        self, queue: QueueKind, offset: int = 0, limit: int = 50, filter: str | None = None
    ) -> EntryPage:
        return await reading.entries(self.client, queue, offset, limit, filter)

    async def entry(self, queue: QueueKind, id: str) -> EntryDetail:
        return await reading.entry(self.client, queue, id)

    # --- Synchronize Now --------------------------------------------------------------------------

    async def synchronize(self, progress: ProgressCallback) -> SyncResult:
        return await sync_now.synchronize(self.client, progress)

    # --- actions ----------------------------------------------------------------------------------

    async def retry(self, ids: Sequence[str] | None) -> ActionResult:
        self._require(Capability.RETRY, "retrying entries")
        return await repair.retry(self.client, ids)

    async def discard(self, queue: QueueKind, ids: Sequence[str]) -> ActionResult:
        """ "Leave Server Version" / "Ignore": deletes queue entries (the local change is dropped)."""
        self._require(Capability.DISCARD, "discarding entries")
        return await repair.discard(self.client, queue, ids)

    async def reset(self, keys: Sequence[str] | None) -> ActionResult:
        self._require(Capability.RESET, "resetting the sync log")
        return await repair.reset(self.client, keys)

    async def count_remotes(self) -> list[SyncLogRow]:
        """Local and upstream totals for each sync-log row, as the sync centre's Count Remotes."""
        self._require(Capability.COUNT_REMOTES, "counting remote records")
        return await repair.count_remotes(self.client)

    async def compare(self, queue: QueueKind, id: str) -> Comparison:
        self._require(Capability.COMPARE, "comparing with the server")
        return await repair.compare(self.client, queue, id)

    async def resubmit(self, since: datetime, until: datetime, progress: ProgressCallback) -> ActionResult:
        """OpenIZ's "Re-Submit To Server": queue again what was created in the range and the server lacks."""
        self._require(Capability.RESUBMIT, "re-submitting by date range")
        from . import resubmit  # only OpenIZ servers need it (and its xml.etree)

        return await resubmit.resubmit(self.client, since, until, progress)
