"""The HCM adapter against the plugin kit's conformance and fault suites, on its simulator: an OpLog
written by the field-worker generator, the DIGIT-like server in-process."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest_asyncio
import synctui_hcm.plugin
from synctui_hcm.adapter import HCMBackend
from synctui_hcm.simulator import FieldWorker, SimConfig, SimServer, SimTransport, simulator_app

from synctui.backend import BackendSettings, Secret
from synctui.testing.conformance import BackendConformance, Target
from tests.adapters.hcm.conftest import FAST, sync_until_settled


class TestHCMConformance(BackendConformance):
    adapter = HCMBackend
    plugin = synctui_hcm.plugin

    @pytest_asyncio.fixture
    async def target(self, tmp_path: Path) -> AsyncIterator[Target]:
        oplog = tmp_path / "oplog.sqlite"
        worker = FieldWorker(oplog, seed=11)
        server = SimServer(SimConfig(persist_delay=0.0, seed=5))
        settings = BackendSettings(
            name="device-1",
            kind="hcm",
            url="http://sim.test",
            secret=Secret("sim-token"),
            options={"oplog": str(oplog), **FAST, "max_attempts": 1},
        )
        app = simulator_app(server)
        for _ in range(2):
            worker.register_household(members=1, tenant_id="nope")  # refused: conflicts
        async with httpx.AsyncClient(transport=SimTransport(app), timeout=5.0) as http:
            seeding = HCMBackend(settings, http)
            await sync_until_settled(seeding, server)
            await seeding.aclose()
        for _ in range(2):
            worker.register_household(members=1)  # not sent yet: the outbox
        yield Target(settings, SimTransport(app))
        worker.close()
