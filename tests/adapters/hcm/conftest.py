"""Fixtures of the HCM adapter tests: an OpLog file, the simulator in-process, an adapter wired to both."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from synctui_hcm.adapter import HCMBackend
from synctui_hcm.simulator import FieldWorker, SimConfig, SimServer, SimTransport, simulator_app

from synctui.backend import BackendSettings, Secret
from synctui.model import QueueKind, Snapshot

FAST = {
    "pause_seconds": 0,
    "retry_interval": 0.05,
    "resend_grace": 0.3,
    "max_passes": 8,
    "health_interval": 0,
    "poll_backoff": 0,
}


@pytest.fixture
def oplog(tmp_path: Path) -> Path:
    return tmp_path / "oplog.sqlite"


@pytest.fixture
def worker(oplog: Path) -> FieldWorker:
    w = FieldWorker(oplog, seed=11)
    yield w
    w.close()


@pytest.fixture
def server() -> SimServer:
    return SimServer(SimConfig(persist_delay=0.02, seed=5))


@pytest.fixture
async def make_backend(oplog: Path, server: SimServer) -> AsyncIterator[Callable[..., HCMBackend]]:
    clients: list[httpx.AsyncClient] = []
    backends: list[HCMBackend] = []

    def make(token: str = "sim-token", sim: SimServer | None = None, **options: Any) -> HCMBackend:
        app = simulator_app(sim or server)
        http = httpx.AsyncClient(transport=SimTransport(app), timeout=5.0)
        clients.append(http)
        settings = BackendSettings(
            name="device-1",
            kind="hcm",
            url="http://sim.test",
            secret=Secret(token),
            options={"oplog": str(oplog), **FAST, **options},
        )
        backend = HCMBackend(settings, http)
        backend.sim_app = app  # type: ignore[attr-defined]  # tests read the faults it injected
        backends.append(backend)
        return backend

    yield make
    for backend in backends:
        await backend.aclose()
    for http in clients:
        await http.aclose()


def counts(snapshot: Snapshot) -> dict[str, int | None]:
    return {k.value: snapshot.queue(k).count for k in QueueKind}


def raw_rows(oplog: Path, where: str = "1=1") -> list[sqlite3.Row]:
    conn = sqlite3.connect(oplog)
    conn.row_factory = sqlite3.Row
    try:
        return conn.execute(f"SELECT * FROM oplog WHERE {where} ORDER BY id").fetchall()
    finally:
        conn.close()


async def sync_until_settled(backend: HCMBackend, server: SimServer, rounds: int = 12) -> Snapshot:
    """Synchronize (bounded) until nothing is pending up or awaiting confirmation."""
    snap = await backend.snapshot()
    for _ in range(rounds):
        await backend.synchronize(lambda p: None)
        snap = await backend.snapshot()
        c = counts(snap)
        if not c["outbox"] and not c["inbox"]:
            break
    await server.drain()
    return snap


@asynccontextmanager
async def mocked_backend(
    oplog: Path, handler: Callable[[httpx.Request], httpx.Response]
) -> AsyncIterator[HCMBackend]:
    """An adapter whose server is `handler` (httpx.MockTransport), one pass per sync."""
    settings = BackendSettings(
        name="d",
        kind="hcm",
        url="http://x",
        secret=Secret("t"),
        options={"oplog": str(oplog), "max_passes": 1},
    )
    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as http:
        backend = HCMBackend(settings, http)
        try:
            yield backend
        finally:
            await backend.aclose()
