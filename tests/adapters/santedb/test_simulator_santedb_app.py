"""Every simulator endpoint over httpx.ASGITransport (wire shapes of reference §1–§6)."""

from __future__ import annotations

import httpx
import pytest
from synctui_santedb.simulator import UPSTREAM_JOB_ID, SimulatorState, create_app

BASE = "http://dcdr.test:9200"
JOB = UPSTREAM_JOB_ID.upper()


@pytest.fixture
async def sim():
    state = SimulatorState(seed=5, step_delay=0)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=create_app(state)), base_url=BASE
    ) as client:
        token = (
            await client.post(
                "/auth/oauth2_token",
                data={
                    "grant_type": "password",
                    "username": "demo",
                    "password": "demo",
                    "client_id": "x",
                    "scope": "*",
                },
            )
        ).json()
        assert token["token_type"] == "bearer" and token["expires_in"] > 0
        client.headers["Authorization"] = f"BEARER {token['access_token']}"
        yield state, client
    await state.runner.stop()


async def test_auth_failures() -> None:
    state = SimulatorState(seed=1)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=create_app(state)), base_url=BASE
    ) as client:
        bad = await client.post(
            "/auth/oauth2_token", data={"grant_type": "password", "username": "demo", "password": "nope"}
        )
        assert bad.status_code == 400 and bad.json()["error"] == "invalid_grant"
        assert "nope" not in bad.text
        grant = await client.post("/auth/oauth2_token", data={"grant_type": "client_credentials"})
        assert grant.status_code == 400
        for headers in ({}, {"Authorization": "BEARER wrong"}, {"Authorization": "Basic ZGVtbzpkZW1v"}):
            resp = await client.get("/app/Queue", headers=headers)
            assert resp.status_code == 401
            assert resp.json()["$type"] and "message" in resp.json()
        ok = await client.post(
            "/auth/oauth2_token", data={"grant_type": "password", "username": "demo", "password": "demo"}
        )
        token = ok.json()["access_token"]
        assert (
            await client.get("/app/Queue", headers={"Authorization": f"bearer {token}"})
        ).status_code == 200


async def test_state_and_counts(sim) -> None:
    state, client = sim
    assert (await client.get("/app/State")).json() == {"online": True, "hdsi": True, "ami": True}
    full = (await client.get("/app/State", params={"_full": "true"})).json()
    assert full["client_id"] == "clinic-tablet-01"
    counts = (await client.get("/app/Queue")).json()
    assert counts == state.counts() and set(counts) == {"in", "out", "admin", "deadletter"}
    low = (await client.get("/app/Queue", params={"type": "LowPriority"})).json()
    assert low["admin"] == counts["admin"] and low["out"] == 0


async def test_queue_paging_totals_and_case(sim) -> None:
    state, client = sim
    total = state.counts()["out"]
    page = (
        await client.get("/app/Queue/OuT", params={"_offset": 1, "_count": 2, "_includeTotal": "true"})
    ).json()
    assert page["offset"] == 1 and page["size"] == total and page["totalResults"] == total
    ids = [e["id"] for e in page["resource"]]
    assert ids == [e.id for e in state.queue_entries("out")][1:3]
    plain = (await client.get("/app/queue/out", params={"_count": 1})).json()
    assert "totalResults" not in plain and len(plain["resource"]) == 1
    entry = plain["resource"][0]
    assert set(entry) >= {
        "id",
        "correlationKey",
        "creationTime",
        "resourceType",
        "dataFile",
        "operation",
        "retry",
        "queue",
    }
    filtered = (await client.get("/app/Queue/out", params={"operation": "insert"})).json()
    assert all(e["operation"] == "Insert" for e in filtered["resource"])
    assert (await client.get("/app/Queue/outbound")).status_code == 404
    assert (await client.get("/app/Queue/out", params={"_count": "x"})).status_code == 400


async def test_deadletter_listing_and_payloads(sim) -> None:
    state, client = sim
    dead = (await client.get("/app/Queue/deadletter")).json()["resource"]
    assert len(dead) == 2 and {"originalQueue", "reason"} <= set(dead[0])
    payload = (await client.get(f"/app/Queue/deadletter/{dead[0]['id']}")).json()
    assert payload["$type"] == "Bundle" and payload["resource"][0]["$type"]
    assert (await client.get(f"/app/Queue/out/{dead[0]['id']}")).status_code == 404
    assert (await client.get("/app/Queue/out/abc")).status_code == 400
    xml_entry = next(e for e in state.queue_entries("out") if isinstance(state.payload(e), str))
    resp = await client.get(f"/app/Queue/out/{xml_entry.id}")
    assert resp.headers["content-type"].startswith("application/xml") and resp.text.startswith("<")


async def test_retry_and_delete(sim) -> None:
    state, client = sim
    dead = state.queue_entries("deadletter")
    url = "/app/Queue/deadletter/$retry"
    assert (await client.post(url, json={"parameter": []})).status_code == 400
    assert (await client.post(url, json={"parameter": [{"name": "id", "value": 9999}]})).status_code == 404
    resp = await client.post(url, json={"parameter": [{"name": "id", "value": dead[0].id}]})
    assert resp.status_code in (200, 204)
    assert state.counts()["deadletter"] == 1
    assert (await client.post(url, json={"parameter": [{"name": "all", "value": True}]})).status_code == 204
    assert state.counts()["deadletter"] == 0
    assert (
        await client.post("/app/Queue/out/$retry", json={"parameter": [{"name": "all", "value": True}]})
    ).status_code == 405
    first = state.queue_entries("out")[0]
    assert (await client.delete(f"/app/Queue/OUT/{first.id}")).status_code == 204
    assert (await client.delete(f"/app/Queue/out/{first.id}")).status_code == 404


async def test_sync_log_and_reset(sim) -> None:
    _, client = sim
    rows = (await client.get("/app/Sync")).json()
    assert isinstance(rows, list) and any(r.get("Filter") == "$deletedObjects" for r in rows)
    assert all("Key" in r and "ResourceType" in r and "LastSync" in r for r in rows)
    assert all(v is not None for r in rows for v in r.values())
    assert (await client.post("/app/Sync/not-a-guid/$reset")).status_code == 400
    assert (await client.post("/app/Sync/00000000-0000-4000-8000-000000000000/$reset")).status_code == 404
    assert (await client.post(f"/app/Sync/{rows[0]['Key']}/$reset")).status_code == 204
    assert len((await client.get("/app/Sync")).json()) == len(rows) - 1
    assert (await client.post("/app/Sync/$reset")).status_code == 204
    assert (await client.get("/app/Sync")).json() == []


async def test_jobs_and_synchronize(sim) -> None:
    state, client = sim
    jobs = (await client.get("/ami/JobInfo")).json()
    assert jobs["size"] == 4 and {j["name"] for j in jobs["resource"]} >= {"Upstream Synchronization Job"}
    job = (await client.get(f"/ami/JobInfo/{JOB}")).json()
    assert job["id"] == UPSTREAM_JOB_ID and job["canCancel"] is False
    assert [p["key"] for p in job["parameters"]] == ["mode", "push"]
    assert (await client.get("/ami/JobInfo/00000000-0000-4000-8000-000000000000")).status_code == 404
    assert (await client.post(f"/ami/JobInfo/{JOB}/$cancel")).status_code == 400
    before_server = state.server_counts["Patient"]
    state.server_change("Patient")
    body = {"parameter": [{"name": "mode", "value": "All"}, {"name": "push", "value": True}]}
    started = await client.post(f"/ami/JobInfo/{JOB}/$start", json=body)
    assert started.status_code == 200 and started.json()["state"] == "Running"
    await state.runner.wait()
    job = (await client.get(f"/ami/JobInfo/{JOB}")).json()
    assert job["state"] == "Completed" and "lastFinish" in job
    counts = state.counts()
    assert counts["out"] == 0 and counts["admin"] == 0 and counts["in"] == 0
    assert state.server_counts["Patient"] > before_server
    assert all("LastError" not in r for r in (await client.get("/app/Sync")).json())


async def test_offline_sync_aborts_and_keeps_queue(sim) -> None:
    state, client = sim
    assert (await client.post("/__sim/online", json={"online": False})).json() == {"online": False}
    assert (await client.get("/app/State")).json()["online"] is False
    out_before = state.counts()["out"]
    await client.post(f"/ami/JobInfo/{JOB}/$start", json={"parameter": [{"name": "mode", "value": "All"}]})
    await state.runner.wait()
    job = (await client.get(f"/ami/JobInfo/{JOB}")).json()
    assert job["state"] == "Aborted" and "Upstream" in job["status"]
    assert state.counts()["out"] == out_before
    assert any("LastError" in r for r in (await client.get("/app/Sync")).json())
    up = await client.get(
        "/hdsi/Patient", params={"_count": 0, "_includeTotal": "true"}, headers={"X-SanteDB-Upstream": "true"}
    )
    assert up.status_code == 503


async def test_hdsi_counts_and_compare(sim) -> None:
    state, client = sim
    query = {"_count": 0, "_includeTotal": "true"}
    local = (await client.get("/hdsi/Patient", params=query)).json()
    remote = (await client.get("/hdsi/patient", params=query, headers={"X-SanteDB-Upstream": "true"})).json()
    assert local["totalResults"] == state.local_counts["Patient"]
    assert remote["totalResults"] == state.server_counts["Patient"] != local["totalResults"]
    remote2 = (await client.get("/hdsi/Patient", params={**query, "_upstream": "true"})).json()
    assert remote2["totalResults"] == remote["totalResults"]
    assert (await client.get("/hdsi/Nonsense", params=query)).status_code == 404
    conflict = state.queue_entries("deadletter")[0]
    key = conflict.correlation_key
    mine = (await client.get(f"/hdsi/Patient/{key}")).json()
    theirs = (await client.get(f"/hdsi/Patient/{key}", headers={"X-SanteDB-Upstream": "true"})).json()
    assert mine["id"] == theirs["id"] == key and theirs["versionSequence"] > mine["versionSequence"]
    assert (await client.get("/hdsi/Patient/00000000-0000-4000-8000-000000000000")).status_code == 404


async def test_sim_controls(sim) -> None:
    state, client = sim
    client.headers.pop("Authorization")
    dump = (await client.get("/__sim/state")).json()
    assert dump["counts"] == state.counts() and "faults" in dump
    made = await client.post(
        "/__sim/enqueue", json={"queue": "admin", "resourceType": "UserEntity", "fate": 409}
    )
    assert made.status_code == 201 and made.json()["queue"]["name"] == "admin"
    assert (await client.post("/__sim/enqueue", json={"queue": "deadletter"})).status_code == 400
    assert (await client.post("/__sim/faults", json={"rate": 2})).status_code == 400
    assert (await client.post("/__sim/faults", json={"kinds": ["bogus"]})).status_code == 400
    ticked = await client.post("/__sim/tick", json={"steps": 5, "sync": True})
    assert ticked.json() == state.counts() and state.counts()["out"] == 0
    assert state.counts()["deadletter"] == 3  # the 409 admin entry joined the two conflicts
    assert (await client.get("/__sim/nothing")).status_code == 404
