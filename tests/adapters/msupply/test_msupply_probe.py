"""Check connection probes central read-only; the adapter never calls what changes central's queues."""

from __future__ import annotations

import ast
import base64
import hashlib
from pathlib import Path

import httpx
import pytest
import synctui_msupply
from synctui_msupply.adapter import MSupplyBackend
from synctui_msupply.simulator import QUEUE_CHANGING_CALLS, READ_ONLY_CENTRAL_CALLS, Simulator

from synctui.cli import check
from synctui.model import Category, QueueKind


async def test_check_connection_reports_the_site(backend: MSupplyBackend, sim: Simulator) -> None:
    health = await backend.check_connection()
    assert health.online and health.auth_ok and health.error is None
    assert health.latency_ms is not None and health.latency_ms >= 0
    probe = backend.last_probe
    assert probe and probe.site and probe.site.site_id == 2 and probe.site.name == "pharmacy-site"
    assert probe.site.initialisation_status == "completed"
    assert probe.central_url == "http://central.msupply.test"
    assert probe.site_status and probe.site_status.code == "idle"
    assert probe.v3_count == 1200
    central = [c for c in sim.calls if c[1].startswith("/sync/")]
    assert set(central) == READ_ONLY_CENTRAL_CALLS


async def test_probe_sends_the_reference_headers(backend: MSupplyBackend, sim: Simulator) -> None:
    seen = []
    original = sim.central.authenticate

    def spy(name, sha, hardware_id, version):
        seen.append((name, sha, hardware_id, version))
        return original(name, sha, hardware_id, version)

    sim.central.authenticate = spy  # type: ignore[method-assign]
    await backend.check_connection()
    sha = hashlib.sha256(b"sync-pass").hexdigest()
    assert seen[0] == ("pharmacy-site", sha, sim.s.hardware_id, "14")
    assert seen[-1][3] is None  # the v3 call carries mobile-version instead of version
    assert base64.b64encode(f"pharmacy-site:{sha}".encode())  # Basic of name:sha256-hex


async def test_another_device_is_told_it_is_not_registered(make_backend) -> None:
    backend = make_backend(hardware_id="SOME-OTHER-DEVICE")
    health = await backend.check_connection()
    assert not health.auth_ok and health.online is True
    assert health.error and health.error.code == "HARDWARE_ID_MISMATCH"
    assert "not the one registered for the site" in health.error.message
    assert health.error.status == 401


@pytest.mark.parametrize(
    ("v5_code", "category"),
    [
        ("site_name_not_found", Category.AUTH),
        ("site_incorrect_password", Category.AUTH),
        ("site_has_no_store", Category.AUTH),
        ("site_auth_timeout", Category.RETRYABLE),
        ("api_version_incompatible", Category.SERVER),
        ("sync_is_running", Category.RETRYABLE),
    ],
)
async def test_v5_errors(backend: MSupplyBackend, sim: Simulator, v5_code: str, category: Category) -> None:
    sim.central.fail_next = v5_code
    health = await backend.check_connection()
    assert health.error and health.error.category == category and health.error.advice
    assert v5_code in health.error.raw


async def test_probe_is_skipped_without_a_hardware_id(make_backend, sim: Simulator) -> None:
    backend = make_backend(hardware_id=None)
    health = await backend.check_connection()
    assert health.online and health.auth_ok is None  # central never saw the sync credentials
    assert health.error and health.error.code == "CENTRAL_NOT_PROBED" and "hardware_id" in health.error.advice
    assert "credentials accepted" not in check.describe("pharmacy", health)
    assert backend.last_probe and "hardware_id" in (backend.last_probe.skipped or "")
    assert not [c for c in sim.calls if c[1].startswith("/sync/")]


async def test_central_unreachable(backend: MSupplyBackend, http: httpx.AsyncClient) -> None:
    site_transport = http._transport

    class CentralDown(httpx.AsyncBaseTransport):
        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            if request.url.path.startswith("/sync/"):
                raise httpx.ConnectError("connection refused", request=request)
            return await site_transport.handle_async_request(request)

    http._transport = CentralDown()
    health = await backend.check_connection()
    assert health.online is False and health.auth_ok is None
    assert (
        health.error and health.error.code == "CONNECTION_ERROR" and "central server" in health.error.message
    )
    http._transport = site_transport


async def test_site_unreachable_is_offline(backend: MSupplyBackend, sim: Simulator) -> None:
    sim.faults.rate, sim.faults.kinds = 1.0, ("reset",)
    health = await backend.check_connection()
    assert not health.online and health.error and health.error.code == "CONNECTION_ERROR"


async def test_the_adapter_never_changes_centrals_queues(backend: MSupplyBackend, sim: Simulator) -> None:
    """Exercise every adapter action; the simulator must never see initialise, acknowledged_records
    or a POST of queued_records (v5 or v3), nor the v5 GET of queued_records."""
    await backend.snapshot()
    await backend.check_connection()
    await backend.synchronize(lambda p: None)
    sim.s.inject("INTEGRATION_ERROR")
    await backend.synchronize(lambda p: None)
    await backend.entries(QueueKind.CONFLICTS)
    await backend.retry(None)
    await sim.s.wait_idle()
    await backend.settings_list()
    await backend.change_settings({"interval_minutes": "2"})
    await backend.check_connection()
    await backend.snapshot()
    called = set(sim.calls)
    assert not called & QUEUE_CHANGING_CALLS
    assert ("GET", "/sync/v5/queued_records") not in called
    assert {c for c in called if c[1].startswith("/sync/")} <= READ_ONLY_CENTRAL_CALLS


def test_no_adapter_module_names_a_queue_changing_path() -> None:
    """Static guard: the only central paths in the adapter's code are the read-only ones."""
    allowed = {path for _, path in READ_ONLY_CENTRAL_CALLS}
    root = Path(synctui_msupply.__file__).parent
    found = set()
    for path in root.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and node.value.startswith("/sync/")
            ):
                found.add(node.value)
    assert found == allowed
