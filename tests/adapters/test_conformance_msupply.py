"""The mSupply adapter against the plugin kit's conformance and fault suites, on its simulator."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
import synctui_msupply.plugin
from synctui_msupply.adapter import MSupplyBackend
from synctui_msupply.simulator import SimulatorTransport, build

from synctui.backend import BackendSettings, Secret
from synctui.testing.checks import ConformanceError
from synctui.testing.conformance import BackendConformance, Target
from synctui.testing.faults import FAULTS

# Product bug: the login answer's token goes into the Authorization header unchecked
# (synctui_msupply/wire.py SiteClient.post); a token with a non-ASCII character makes httpx raise
# UnicodeEncodeError, which escapes the adapter instead of a BackendError ("malformed token").
TOKEN_NOT_CHECKED = pytest.mark.xfail(
    strict=True,
    raises=ConformanceError,
    reason="msupply: a server token with non-ASCII text escapes as UnicodeEncodeError",
)


# Product bug: the central server's URL read from the site's sync settings is used unchecked
# (probe.py probe_central -> wire.py CentralClient.get); an invalid one (here 20 000 characters) makes
# httpx raise InvalidURL, which escapes check_connection instead of a BackendError.
CENTRAL_URL_NOT_CHECKED = pytest.mark.xfail(
    strict=True,
    raises=ConformanceError,
    reason="msupply: an invalid central URL from the site escapes as InvalidURL",
)


class TestMSupplyConformance(BackendConformance):
    adapter = MSupplyBackend
    plugin = synctui_msupply.plugin
    fault_seed = 3  # the seeded mixed run that reaches the central-URL bug below

    @CENTRAL_URL_NOT_CHECKED
    @pytest.mark.slow
    async def test_faults_mixed(self, target: Target) -> None:
        await super().test_faults_mixed(target)

    @pytest.mark.parametrize(
        "fault", [pytest.param(f, marks=TOKEN_NOT_CHECKED) if f == "hostile-strings" else f for f in FAULTS]
    )
    async def test_fault(self, target: Target, fault: str) -> None:
        await super().test_fault(target, fault)

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
