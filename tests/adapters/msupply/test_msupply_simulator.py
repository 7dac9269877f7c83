"""The simulator itself: GraphQL field names, the progress rule, batch sizes, central endpoints, faults."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import os
import socket
import subprocess
import sys

import httpx
import pytest
from synctui_msupply import queries
from synctui_msupply.simulator import Simulator, build
from synctui_msupply.simulator.graphql import execute


def _gql(sim: Simulator, query: str, token: str | None = None, variables: dict | None = None) -> dict:
    class Req:
        headers = {"authorization": f"Bearer {token}"} if token else {}

    return execute({"query": query, "variables": variables or {}}, sim.resolvers(Req()))  # type: ignore[arg-type]


def _login(sim: Simulator) -> str:
    answer = _gql(sim, queries.AUTH_TOKEN, variables={"username": "admin", "password": "pass"})
    return answer["data"]["authToken"]["token"]


async def test_graphql_answers_exactly_the_selected_fields() -> None:
    sim = build()
    sim.s.trigger()
    await sim.s.wait_idle()
    token = _login(sim)
    data = _gql(sim, queries.SYNC_INFO, token)["data"]
    assert set(data) == {"syncStatus", "numberOfRecordsInPushQueue", "syncSettings"}
    status = data["syncStatus"]
    assert set(status) == {
        "__typename", "error", "integration", "isSyncing", "prepareInitial", "pullCentral", "pullRemote",
        "push", "pullV6", "pushV6", "summary", "lastSuccessfulSync", "errorThreshold", "warningThreshold",
    }  # fmt: skip
    assert set(status["push"]) == {"__typename", "finished", "started", "done", "total"}
    assert set(status["summary"]) == {"__typename", "finished", "durationInSeconds", "started"}
    assert status["warningThreshold"] == 1 and status["errorThreshold"] == 3
    assert "+" not in status["summary"]["started"]  # naive UTC, as the site sends it
    assert set(data["syncSettings"]) == {"__typename", "intervalSeconds", "url", "username"}
    small = _gql(sim, "query { latestSyncStatus { isSyncing } }", token)["data"]
    assert small == {"latestSyncStatus": {"isSyncing": False}}


def test_auth_and_unknown_fields() -> None:
    sim = build()
    answer = _gql(sim, "query { numberOfRecordsInPushQueue }")
    assert answer["data"] == {"numberOfRecordsInPushQueue": None}
    assert answer["errors"][0]["message"] == "Unauthenticated"
    assert _gql(sim, "query { nope }")["errors"][0]["message"].startswith('Unknown field "nope"')
    assert "Syntax Error" in _gql(sim, "query {")["errors"][0]["message"]
    bad = _gql(sim, queries.AUTH_TOKEN, variables={"username": "admin", "password": "x"})
    assert bad["data"]["authToken"]["__typename"] == "AuthTokenError"


def test_initialisation_needs_no_auth_and_pre_init_schema_is_reduced() -> None:
    sim = build()
    sim.s.initialised = False
    status = _gql(sim, queries.INITIALISATION_STATUS)["data"]["initialisationStatus"]
    assert status == {"status": "PRE_INITIALISATION", "siteName": "pharmacy-site"}
    assert _gql(sim, queries.SYNC_STATUS_PRE_INIT)["data"]["syncStatus"] is None
    assert "errors" in _gql(sim, queries.SYNC_INFO)


async def test_progress_rule_and_batches() -> None:
    sim = build()
    sim.s.batch_size.update(remote_pull=100, remote_push=2)
    for _ in range(5):
        sim.s.add_change()
    sim.central.remote_queue = 250
    totals: list[tuple] = []
    sim.s.on_change = lambda: sim.s.logs and totals.append(
        (sim.s.logs[-1]["pull_remote_progress_total"], sim.s.logs[-1]["pull_remote_progress_done"],
         sim.s.logs[-1]["push_progress_done"])
    )  # fmt: skip
    await sim.s.run_cycle()
    row = sim.s.logs[-1]
    assert row["error_message"] is None and row["finished_datetime"] is not None
    assert (row["pull_remote_progress_total"], row["pull_remote_progress_done"]) == (250, 250)
    pulls = [done for total, done, _ in totals if total is not None]
    assert pulls[:3] == [100, 200, 250]  # batches of remote_pull, done = total - remaining
    pushes = sorted({p for _, _, p in totals if p is not None})
    assert pushes == [2, 4, 5]  # batches of remote_push
    assert sim.central.remote_queue == 0 and len(sim.central.received) == 5


async def test_hardware_id_binding() -> None:
    sim = build()
    sim.central.bound_hardware_id = None
    sha = hashlib.sha256(b"sync-pass").hexdigest()
    auth = "Basic " + base64.b64encode(f"pharmacy-site:{sha}".encode()).decode()
    transport = httpx.ASGITransport(app=sim.app())
    async with httpx.AsyncClient(transport=transport, base_url="http://c") as c:
        first = await c.get(
            "/sync/v5/site", headers={"authorization": auth, "msupply-site-uuid": "DEV-1", "version": "14"}
        )
        assert first.status_code == 200 and first.json()["siteId"] == 2
        assert sim.central.bound_hardware_id == "DEV-1"  # the first device claims the site
        other = await c.get(
            "/sync/v5/site", headers={"authorization": auth, "msupply-site-uuid": "DEV-2", "version": "14"}
        )
        assert other.status_code == 401 and other.json()["error"]["code"] == "site_incorrect_hardware_id"
        old = await c.get(
            "/sync/v5/site", headers={"authorization": auth, "msupply-site-uuid": "DEV-1", "version": "9"}
        )
        assert old.status_code == 409 and old.json()["error"]["data"] == {"major": 14, "minor": 0}
        v3 = await c.get(
            "/sync/v3/queued_records/count", headers={"authorization": auth, "msupply-site-uuid": "DEV-2"}
        )
        assert v3.json() == {"error": "Site registration doesn't match."}


@pytest.mark.parametrize("kind", ["500", "malformed", "types"])
async def test_fault_kinds(kind: str) -> None:
    sim = build(faults=1.0, fault_kinds=kind)
    transport = httpx.ASGITransport(app=sim.app())
    async with httpx.AsyncClient(transport=transport, base_url="http://c") as c:
        response = await c.post("/graphql", json={"query": queries.INITIALISATION_STATUS})
    if kind == "500":
        assert response.status_code == 500
    elif kind == "malformed":
        with pytest.raises(ValueError):
            response.json()
    else:
        status = response.json()["data"]["initialisationStatus"]["status"]
        assert not isinstance(status, str)
    assert sim.faults.counts == {kind: 1}


SIMULATOR = (sys.executable, "-m", "synctui_msupply.simulator")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def test_standalone_on_loopback() -> None:
    port = _free_port()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "synctui_msupply.simulator", "--port", str(port), "--no-traffic"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=2.0) as c:
            for _ in range(100):
                try:
                    response = await c.post("/graphql", json={"query": queries.INITIALISATION_STATUS})
                    break
                except httpx.TransportError:
                    await asyncio.sleep(0.05)
            else:
                raise AssertionError("the simulator did not start")
        assert response.json()["data"]["initialisationStatus"]["status"] == "INITIALISED"
    finally:
        proc.terminate()
        proc.wait(timeout=5)


async def test_each_injected_fault_is_one_log_line_without_a_traceback(tmp_path) -> None:
    """An injected fault is expected: one line each on stderr, never uvicorn's "Exception in ASGI
    application" traceback (a reset is an exception inside the app)."""
    port = _free_port()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
    errors = tmp_path / "stderr"
    with errors.open("w") as sink:
        proc = subprocess.Popen(
            [*SIMULATOR, "--port", str(port), "--no-traffic", "--faults", "1", "--fault-kinds", "reset,500"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=sink,
        )
        try:
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=2.0) as c:
                answered = 0
                for _ in range(200):
                    try:
                        await c.post("/graphql", json={"query": queries.INITIALISATION_STATUS})
                        answered += 1  # a 500
                    except httpx.ConnectError:
                        await asyncio.sleep(0.05)  # not listening yet
                        continue
                    except httpx.TransportError:
                        answered += 1  # a reset
                    if answered == 6:
                        break
            assert answered == 6
        finally:
            proc.terminate()
            proc.wait(timeout=5)
    text = errors.read_text()
    assert "Traceback" not in text and "Exception in ASGI application" not in text
    faults = [line for line in text.splitlines() if "simulated fault" in line]
    assert len(faults) == 6 and all("POST /graphql" in line for line in faults)
