"""`synctui demo`: an Open mSupply pharmacy site beside the SanteDB device, simulated in-process."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

import httpx

from synctui.backend import BackendSettings, DemoBackend, Secret

from .adapter import MSupplyBackend
from .simulator import Simulator, SimulatorTransport, build

DEMO_URL = "http://pharmacy-site.msupply.demo"
DEMO_BATCH_SIZE = {"remote_push": 10, "remote_pull": 25, "central_pull": 20}


class MSupplyDemo(DemoBackend):
    name: ClassVar[str] = "pharmacy-site"
    kind: ClassVar[str] = MSupplyBackend.kind

    def __init__(self, faults: float = 0.0, interval_seconds: int = 45, step_delay: float = 0.4) -> None:
        self.faults = faults
        self.interval_seconds = interval_seconds
        self.step_delay = step_delay
        self.simulator: Simulator | None = None

    async def start(self, state_dir: Path) -> tuple[BackendSettings, httpx.AsyncBaseTransport]:
        state_dir.mkdir(parents=True, exist_ok=True)
        database = state_dir / "msupply-site.sqlite"
        database.unlink(missing_ok=True)
        sim = build(
            faults=self.faults,
            step_delay=self.step_delay,
            interval_seconds=self.interval_seconds,
            db_path=database,
            om_central_url=DEMO_URL,
            url=DEMO_URL,
        )
        sim.s.integration_error_rate = 0.01
        sim.s.batch_size.update(DEMO_BATCH_SIZE)  # small batches so the steps' progress is visible
        for _ in range(12):
            sim.s.add_change()
        sim.central.remote_queue = 120
        sim.central.max_cursor = 40
        sim.s.add_integration_error(
            "stock_line",
            "Foreign key not found: location_id 'cold-room-2' for stock_line (location not synced yet)",
        )
        sim.start_background(tick=2.0)
        sim.s.trigger()  # a first sync runs as the demo opens
        self.simulator = sim
        settings = BackendSettings(
            name=self.name,
            kind=self.kind,
            url=DEMO_URL,
            username="admin",
            secret=Secret("pass"),
            refresh_interval=2.0,
            options={
                "hardware_id": sim.s.hardware_id,
                "site_password": Secret(sim.central.password),
                "database": str(database),
                "poll_seconds": 0.5,
                "batch_size": dict(DEMO_BATCH_SIZE),
                "hung_min_seconds": 120.0,
            },
        )
        return settings, SimulatorTransport(app=sim.app(in_process=True))

    async def stop(self) -> None:
        if self.simulator is not None:
            await self.simulator.stop()
            self.simulator = None
