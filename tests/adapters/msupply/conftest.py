"""Fixtures: a simulated Open mSupply site + central in-process, and adapters pointed at it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
from synctui_msupply.adapter import MSupplyBackend
from synctui_msupply.simulator import Simulator, SimulatorTransport, build

from synctui.backend import BackendSettings, Secret

SITE_URL = "http://site.msupply.test"


@pytest.fixture
def sim() -> Simulator:
    sim = build(url="http://central.msupply.test")
    for _ in range(5):
        sim.s.add_change()
    sim.central.remote_queue = 1200
    sim.central.max_cursor = 30
    return sim


@pytest.fixture
async def http(sim: Simulator) -> AsyncIterator[httpx.AsyncClient]:
    transport = SimulatorTransport(app=sim.app(in_process=True))
    async with httpx.AsyncClient(transport=transport, timeout=5.0) as client:
        yield client
    await sim.stop()


MakeBackend = Callable[..., MSupplyBackend]


@pytest.fixture
async def make_backend(sim: Simulator, http: httpx.AsyncClient) -> AsyncIterator[MakeBackend]:
    made: list[MSupplyBackend] = []

    def make(username: str = "admin", password: str = "pass", **options: Any) -> MSupplyBackend:
        opts: dict[str, Any] = {
            "hardware_id": sim.s.hardware_id,
            "site_password": Secret(sim.central.password),
            "poll_seconds": 0.0,
            "hung_min_seconds": 0.0,
        }
        opts.update(options)
        settings = BackendSettings(
            name="pharmacy",
            kind="msupply",
            url=SITE_URL,
            username=username,
            secret=Secret(password),
            options=opts,
        )
        backend = MSupplyBackend(settings, http)
        made.append(backend)
        return backend

    yield make
    for backend in made:
        await backend.aclose()


@pytest.fixture
def backend(make_backend: MakeBackend) -> MSupplyBackend:
    return make_backend()
