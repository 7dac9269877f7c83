"""`synctui demo` backend: the SanteDB dCDR simulator in-process, with traffic and a state file."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

import httpx

from synctui.backend import BackendSettings, DemoBackend, Secret

from .simulator import SimulatorState, StateFileWriter, Traffic, create_app


class SanteDBDemo(DemoBackend):
    name: ClassVar[str] = "clinic-tablet"
    kind: ClassVar[str] = "santedb"

    def __init__(self, seed: int = 7, speed: float = 1.0) -> None:
        self.seed = seed
        self.speed = speed
        self.state: SimulatorState | None = None
        self.traffic: Traffic | None = None

    async def start(self, state_dir: Path) -> tuple[BackendSettings, httpx.AsyncBaseTransport]:
        state_file = Path(state_dir) / "santedb-clinic-tablet.json"
        self.state = SimulatorState(seed=self.seed, username="demo", password="demo")
        StateFileWriter(state_file).attach(self.state)
        self.traffic = Traffic(self.state, seed=self.seed, speed=self.speed)
        self.traffic.start()
        settings = BackendSettings(
            name=self.name,
            kind=self.kind,
            url="http://dcdr.demo:9200",
            username="demo",
            secret=Secret("demo"),
            refresh_interval=5,
            options={"database": str(state_file)},
        )
        return settings, httpx.ASGITransport(app=create_app(self.state, traffic=self.traffic))

    async def stop(self) -> None:
        if self.traffic is not None:
            await self.traffic.stop()
            self.traffic = None
