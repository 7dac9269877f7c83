"""The mSupply adapter against the plugin kit's conformance and fault suites, on its simulator."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest_asyncio
import synctui_msupply.plugin
from synctui_msupply.adapter import MSupplyBackend
from synctui_msupply.simulator import SimulatorTransport, build

from synctui.backend import BackendSettings, Secret
from synctui.testing.conformance import BackendConformance, Target


class TestMSupplyConformance(BackendConformance):
    adapter = MSupplyBackend
    plugin = synctui_msupply.plugin
    fault_seed = 3  # the seeded mixed run that reached an invalid central URL from the site (now refused)

    @pytest_asyncio.fixture
    async def target(self, tmp_path: Path) -> AsyncIterator[Target]:
        sim = build(url="http://central.msupply.test")
        sim.s.users["admin"] = ("pass-word", True)
        for _ in range(3):
            sim.s.add_change()
        sim.s.db_path = tmp_path / "site.sqlite"
        sim.s._init_db()
        sim.s.add_integration_error("name", "Name code already used", "N-1")
        sim.s.add_integration_error("item", "Unit is missing", "I-7")
        settings = BackendSettings(
            name="pharmacy",
            kind="msupply",
            url="http://site.msupply.test",
            username="admin",
            secret=Secret("pass-word"),
            options={
                "hardware_id": sim.s.hardware_id,
                "site_password": Secret(sim.central.password),
                "poll_seconds": 0.0,
                "hung_min_seconds": 0.0,
                "database": str(sim.s.db_path),
            },
        )
        yield Target(settings, SimulatorTransport(app=sim.app(in_process=True)))
        await sim.stop()
