"""The DIGIT-like simulator, in-process and standalone, and the plugin's hooks and demo device."""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pluggy
from synctui_hcm import plugin
from synctui_hcm.adapter import HCMBackend
from synctui_hcm.simulator import SimConfig, SimServer, SimTransport, simulator_app

from synctui import hookspecs
from synctui.backend import BackendSettings, Secret
from synctui.model import QueueKind
from synctui.plugins import load_plugins

from .conftest import counts

INFO = {"authToken": "sim-token"}


async def test_bulk_answers_202_and_persists_later():
    server = SimServer(SimConfig(persist_delay=0.05))
    async with httpx.AsyncClient(transport=SimTransport(simulator_app(server)), base_url="http://s") as http:
        entity = {"clientReferenceId": "hh-1", "tenantId": "default"}
        r = await http.post(
            "/household/v1/bulk/_create?tenantId=default", json={"RequestInfo": INFO, "Households": [entity]}
        )
        assert r.status_code == 202 and r.json()["status"] == "successful"
        search = {"RequestInfo": INFO, "Household": {"clientReferenceId": ["hh-1"]}}
        r = await http.post("/household/v1/_search?tenantId=default&limit=10&offset=0", json=search)
        assert r.json()["Households"] == []  # accepted is not saved
        await server.drain()
        r = await http.post("/household/v1/_search?tenantId=default&limit=10&offset=0", json=search)
        assert r.json()["Households"][0]["rowVersion"] == 1 and r.json()["TotalCount"] == 1
        # a re-send is accepted too, and fails only in the tracer
        await http.post(
            "/household/v1/bulk/_create?tenantId=default", json={"RequestInfo": INFO, "Households": [entity]}
        )
        await server.drain()
        assert server.tracer_codes()["DUPLICATE_ENTITY"] == 1
        # rules of the API
        assert (await http.post("/household/v1/_search?tenantId=default", json=search)).status_code == 400
        wrong_key = {"RequestInfo": INFO, "Household": [entity]}
        assert (
            await http.post("/household/v1/bulk/_create?tenantId=default", json=wrong_key)
        ).status_code == 400
        no_token = {"RequestInfo": {}, "Households": [entity]}
        assert (
            await http.post("/household/v1/bulk/_create?tenantId=default", json=no_token)
        ).status_code == 401
        single = {"RequestInfo": INFO, "Household": entity}
        r = await http.post("/household/v1/_create?tenantId=default", json=single)
        assert r.status_code == 400 and r.json()["Errors"][0]["code"] == "DUPLICATE_ENTITY"
        state = (await http.get("/simulator/state")).json()
        assert state["entities"] == {"household": 1} and state["max_creates_per_record"] == 1


async def test_faults_setting_is_seeded_and_bounded():
    server = SimServer(SimConfig(persist_delay=0, fault_rate=0.5, seed=3))
    app = simulator_app(server)
    outcomes = []
    async with httpx.AsyncClient(transport=SimTransport(app), base_url="http://s") as http:
        for _ in range(60):
            try:
                r = await http.post(
                    "/household/v1/_search?tenantId=default&limit=10&offset=0",
                    json={"RequestInfo": INFO, "Household": {"clientReferenceId": []}},
                )
                outcomes.append(r.status_code)
            except httpx.TransportError as exc:
                outcomes.append(type(exc).__name__)
    assert {"ReadError", "ReadTimeout", 500, 200} <= set(outcomes)
    assert sum(app.injected.values()) >= sum(1 for o in outcomes if o != 200) > 10


def test_plugin_hooks_register_the_backend_and_the_demo():
    pm = pluggy.PluginManager("synctui")
    pm.add_hookspecs(hookspecs)
    pm.register(plugin)
    backends, demos = [], []
    pm.hook.synctui_register_backends(register=lambda cls, kind=None: backends.append((cls, kind)))
    pm.hook.synctui_demo_backends(register=demos.append)
    assert backends == [("synctui_hcm.adapter:HCMBackend", "hcm")] and demos[0].kind == "hcm"
    assert load_plugins().backend_class("hcm") is HCMBackend
    explained = pm.hook.synctui_explain_rejection(
        kind="hcm", raw='{"Errors":[{"code":"DUPLICATE_ENTITY"}]}', status=400
    )
    assert explained.code == "DUPLICATE_ENTITY"
    assert pm.hook.synctui_explain_rejection(kind="santedb", raw="x", status=None) is None


async def test_demo_device(tmp_path: Path):
    from synctui_hcm.demo import HCMDemo

    demo = HCMDemo(worker_interval=0)
    settings, transport = await demo.start(tmp_path)
    try:
        assert demo.server is not None
        demo.server.config.fault_rate = 0
        demo.server.config.persist_delay = 0.01
        settings.options.update(pause_seconds=0, retry_interval=0.05)
        async with httpx.AsyncClient(transport=transport) as http:
            backend = HCMBackend(settings, http)
            snap = await backend.snapshot()
            c = counts(snap)
            assert c["outbox"] > 0 and c["conflicts"] == 1 and c["inbox"] == 0
            assert "blocked" in (snap.queue(QueueKind.OUTBOX).detail or "")
            result = await backend.synchronize(lambda p: None)
            assert result.ok, result.message
            snap = await backend.snapshot()
            assert counts(snap) == {"outbox": 0, "inbox": 0, "admin": None, "conflicts": 1}
            await backend.aclose()
    finally:
        await demo.stop()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def test_standalone_simulator_over_loopback(tmp_path: Path):
    port, oplog = _free_port(), tmp_path / "device.sqlite"
    cmd = [sys.executable, "-m", "synctui_hcm.simulator", "--port", str(port), "--oplog", str(oplog),
           "--interval", "0", "--households", "2", "--delay", "0.02", "--faults", "0.2", "--seed", "9"]  # fmt: skip
    proc = subprocess.Popen(cmd, stderr=subprocess.PIPE)
    try:
        async with httpx.AsyncClient(timeout=2.0) as http:
            for _ in range(100):
                try:
                    await http.get(f"http://127.0.0.1:{port}/simulator/state")
                    break
                except httpx.TransportError:
                    await asyncio.sleep(0.05)
            settings = BackendSettings(
                name="d", kind="hcm", url=f"http://127.0.0.1:{port}", secret=Secret("sim-token"),
                options={"oplog": str(oplog), "pause_seconds": 0, "retry_interval": 0.05, "resend_grace": 0.2,
                         "max_attempts": 6},
            )  # fmt: skip
            backend = HCMBackend(settings, http)
            for _ in range(10):
                await backend.synchronize(lambda p: None)
                c = counts(await backend.snapshot())
                if not c["outbox"] and not c["inbox"]:
                    break
            assert c == {"outbox": 0, "inbox": 0, "admin": None, "conflicts": 0}
            state = (await http.get(f"http://127.0.0.1:{port}/simulator/state")).json()
            assert state["max_creates_per_record"] == 1 and state["tracer_codes"] == {}
            await backend.aclose()
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=5)
    log = err.decode()
    assert f"HCM simulator on http://127.0.0.1:{port}" in log and "token 'sim-token'" in log.splitlines()[0]
    # every injected fault is one line, never uvicorn's traceback of it
    faults = [line for line in log.splitlines() if "injected fault: " in line]
    assert any("injected fault: reset on POST " in line for line in faults), log[-2000:]
    assert "Exception in ASGI application" not in log and "Traceback" not in log, log[-2000:]
