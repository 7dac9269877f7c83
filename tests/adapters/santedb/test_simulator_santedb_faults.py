"""Each fault kind at rate 1.0 gives the client the failure it would see from a real dCDR."""

from __future__ import annotations

import asyncio
import json
import logging

import httpx
import pytest
from synctui_santedb.simulator import Faults, SimulatorState, create_app
from synctui_santedb.simulator.faults import garble_types

BASE = "http://dcdr.test:9200"


async def _client(kind: str) -> tuple[httpx.AsyncClient, Faults, str]:
    state = SimulatorState(seed=2)
    faults = Faults(0.0, [kind], seed=1, timeout_delay=0.2)
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(state, faults)), base_url=BASE)
    token = state.issue_token("demo", "demo")
    assert token
    faults.configure(rate=1.0)
    return client, faults, token


async def test_reset_is_a_transport_error() -> None:
    client, faults, token = await _client("reset")
    async with client:
        for _ in range(4):  # both variants: before any response, and mid-body
            with pytest.raises(httpx.TransportError):
                await client.get("/app/Queue", headers={"Authorization": f"Bearer {token}"})
        assert faults.injected["reset"] == 4
        # /__sim is never faulted
        assert (await client.get("/__sim/state")).status_code == 200


async def test_timeout_raises_read_timeout_after_the_delay() -> None:
    client, _, token = await _client("timeout")
    async with client:
        with pytest.raises(httpx.TimeoutException):
            await client.get("/app/Queue", headers={"Authorization": f"Bearer {token}"})
        with pytest.raises(TimeoutError):  # a caller's own deadline shorter than the stall
            await asyncio.wait_for(client.get("/app/Queue"), 0.05)


async def test_server_error_has_a_fault_body() -> None:
    client, _, token = await _client("server-error")
    async with client:
        resp = await client.get("/app/Queue", headers={"Authorization": f"Bearer {token}"})
        assert resp.status_code == 500 and {"$type", "message", "detail"} <= set(resp.json())
        token_resp = await client.post("/auth/oauth2_token", data={"grant_type": "password"})
        assert token_resp.status_code == 500  # /auth is faulted too


async def test_malformed_json() -> None:
    client, _, token = await _client("malformed-json")
    async with client:
        resp = await client.get("/app/Queue", headers={"Authorization": f"Bearer {token}"})
        assert resp.status_code == 200 and resp.headers["content-type"] == "application/json"
        with pytest.raises(json.JSONDecodeError):
            resp.json()


async def test_wrong_types() -> None:
    client, _, token = await _client("wrong-types")
    async with client:
        counts = (await client.get("/app/Queue", headers={"Authorization": f"Bearer {token}"})).json()
        assert all(isinstance(v, str) for v in counts.values())
        page = (await client.get("/app/Queue/out", headers={"Authorization": f"Bearer {token}"})).json()
        first = page["resource"][0]
        assert isinstance(first["id"], dict) and isinstance(first["creationTime"], int)
        assert isinstance(page["size"], str)


def test_garble_types_shapes() -> None:
    assert garble_types({"id": 3, "n": 1.5, "ok": True, "when": "2024-01-01T00:00:00+00:00", "s": "x"}) == {
        "id": {"value": 3},
        "n": "1.5",
        "ok": "yes",
        "when": 1_700_000_025,
        "s": "x",
    }


async def test_faults_are_seeded_and_partial() -> None:
    state = SimulatorState(seed=2)
    token = state.issue_token("demo", "demo")

    async def run() -> list[int]:
        faults = Faults(0.3, ["server-error"], seed=42)
        transport = httpx.ASGITransport(app=create_app(state, faults))
        async with httpx.AsyncClient(transport=transport, base_url=BASE) as client:
            return [
                (await client.get("/app/State", headers={"Authorization": f"Bearer {token}"})).status_code
                for _ in range(40)
            ]

    first, second = await run(), await run()
    assert first == second and 0 < first.count(500) < 40


def test_bad_configuration_is_refused() -> None:
    with pytest.raises(ValueError):
        Faults(1.5)
    with pytest.raises(ValueError):
        Faults(0.1, ["nope"])


async def test_each_injected_fault_is_logged_in_one_line(caplog: pytest.LogCaptureFixture) -> None:
    client, _, token = await _client("server-error")
    async with client:
        with caplog.at_level(logging.WARNING, logger="synctui_santedb.simulator.faults"):
            await client.get("/app/Queue%1b[2J", headers={"Authorization": f"Bearer {token}"})
            await client.get("/__sim/state")  # never faulted, never logged
    (record,) = caplog.records
    assert record.getMessage() == "injected fault server-error: GET '/app/Queue\\x1b[2J'"
    assert record.exc_info is None
