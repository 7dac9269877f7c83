"""The SanteDB adapter against the plugin kit's conformance and fault suites, on its simulator."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest_asyncio
import synctui_santedb.plugin
from synctui_santedb.adapter import SanteDBBackend
from synctui_santedb.simulator import Faults, SimulatorState, create_app

from synctui.backend import BackendSettings, Secret
from synctui.testing.conformance import BackendConformance, Target


class TestSanteDBConformance(BackendConformance):
    adapter = SanteDBBackend
    plugin = synctui_santedb.plugin

    @pytest_asyncio.fixture
    async def target(self) -> AsyncIterator[Target]:
        state = SimulatorState(seed=3, step_delay=0.0, password="demo-password")
        app = create_app(state, Faults(rate=0.0, seed=1))
        settings = BackendSettings(
            name="tablet",
            kind="santedb",
            url="http://dcdr.test:9200",
            username="demo",
            secret=Secret("demo-password"),
            options={"sync_poll_interval": 0.01, "sync_max_duration": 10, "log_interval": 0},
        )
        yield Target(settings, httpx.ASGITransport(app=app))
        await state.runner.stop()
