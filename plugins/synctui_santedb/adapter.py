"""SanteDB dCDR 3.x adapter: the /app sync centre, /ami jobs and /auth OAuth of a disconnected CDR.

Reference: ../shared/reference/santedb-openiz-api.md §1–§6 and §10. Every answer is parsed strictly
(wire.py); every failure a person should read becomes BackendError with one human line.

The backend holds one `DcdrClient` (dcdr_client.py: options, HTTP, errors) and hands it to the read side
(reading.py), Synchronize Now (sync_now.py) and the repair actions (repair.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

import httpx

from synctui.backend import Backend, BackendSettings, ProgressCallback
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
from .dcdr_client import DEFAULTS, MAX_BODY, DcdrClient
from .profiles import Profile
from .reading import ENTRY_FILTERS, GUID
from .repair import TYPE_NAME
from .sync_now import DONE_STATES, OUTGOING

# The option defaults and wire constants that used to be defined here stay importable from here.
__all__ = [
    "DEFAULTS",
    "DONE_STATES",
    "ENTRY_FILTERS",
    "GUID",
    "MAX_BODY",
    "OUTGOING",
    "TYPE_NAME",
    "SanteDBBackend",
]


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
        self.client = DcdrClient(settings, http)

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
        return await repair.retry(self.client, ids)

    async def discard(self, queue: QueueKind, ids: Sequence[str]) -> ActionResult:
        """ "Leave Server Version" / "Ignore": deletes queue entries (the local change is dropped)."""
        return await repair.discard(self.client, queue, ids)

    async def reset(self, keys: Sequence[str] | None) -> ActionResult:
        return await repair.reset(self.client, keys)

    async def count_remotes(self) -> list[SyncLogRow]:
        """Local and upstream totals for each sync-log row, as the sync centre's Count Remotes."""
        return await repair.count_remotes(self.client)

    async def compare(self, queue: QueueKind, id: str) -> Comparison:
        return await repair.compare(self.client, queue, id)
