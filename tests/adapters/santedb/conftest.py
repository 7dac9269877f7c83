"""A scripted dCDR behind httpx.MockTransport, answering with JSON shaped like reference §2–§5."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest
from synctui_santedb.adapter import SanteDBBackend

from synctui.backend import BackendSettings, Secret

URL = "http://dcdr.test:9200"
SYNC_JOB = "E511689A-98E1-47CD-8933-6A8CEF8AE014"
PASSWORD = "s3cret-pass"
# What a 3.x dCDR stores as a dead-letter `reason`: UpstreamIntegrationException.ToString(), with the
# RestClientException and the server's RestServiceFault (JSON) inside (santedb-api RestClientException.cs).
STACK_3X = (
    "-- STACK TRACE--\r\n"
    "   at SanteDB.Core.Http.RestClient.InvokeInternal[TBody,TResult](String method, String url)\r\n"
    "   at SanteDB.Client.Upstream.Management.DefaultUpstreamIntegrationService.Update(IdentifiedData data)\r\n"
    "   --- End of inner exception stack trace ---\r\n"
    "   at SanteDB.Client.Disconnected.Synchronization.UpstreamSynchronizationService.SendOutboundEntryInternal("
    "ISynchronizationQueueEntry entry, Boolean automatedRetry)"
)
REASON_409 = (
    "SanteDB.Client.Exceptions.UpstreamIntegrationException: Error sending Patient "
    "(K:7d2e5c1a-9f43-4b7e-a2c1-0e8d6b4f3a21) to the upstream server ---> [RestClientException: The remote "
    "server returned an error: (409) Conflict., Status=ProtocolError, HttpResult=Conflict]\r\n"
    "--SERVER FAULT--\r\n"
    '{"$type":"PreconditionFailedException","message":"Object Patient/7d2e5c1a-9f43-4b7e-a2c1-0e8d6b4f3a21 '
    'version 2 is not the current version (the server has version 3)"}\r\n'
    "--END SERVER FAULT--\r\n" + STACK_3X
)


def entry(id: int, queue: str = "out", **extra: Any) -> dict[str, Any]:
    body = {
        "$type": "SynchronizationQueueEntryInfo",
        "id": id,
        "correlationKey": "7d2e5c1a-9f43-4b7e-a2c1-0e8d6b4f3a21",
        "creationTime": f"2024-05-0{1 + id % 8}T08:15:30.1234567+00:00",
        "resourceType": "Bundle",
        "dataFile": "0b7c0f4e-3c1b-4d7e-9a8f-1e2d3c4b5a69",
        "operation": "Insert",
        "retry": 0,
        "queue": {"name": queue, "pattern": "LocalToUpstream"},
    }
    if queue == "deadletter":
        body["$type"] = "SynchronizationQueueDeadLetterEntryInfo"
        body["originalQueue"] = {"name": "out", "pattern": "LocalToUpstream"}
        body["reason"] = REASON_409
    body.update(extra)
    return body


def job(state: str = "Completed", **extra: Any) -> dict[str, Any]:
    body = {
        "$type": "JobInfo",
        "id": SYNC_JOB.lower(),
        "name": "Upstream Synchronization Job",
        "state": state,
        "progress": 0.0,
        "lastStart": "2024-05-01T08:00:00.000+00:00",
        "lastFinish": "2024-05-01T08:00:12.5+00:00",
        "canCancel": False,
    }
    body.update(extra)
    return body


class FakeDcdr:
    def __init__(self) -> None:
        self.queues: dict[str, list[dict[str, Any]]] = {
            "in": [],
            "out": [entry(1), entry(2)],
            "admin": [],
            "deadletter": [entry(7, "deadletter")],
        }
        self.state: dict[str, Any] = {"online": True, "hdsi": True, "ami": True}
        self.sync_log: Any = [
            {
                "Key": "3a1f5c2e-7b4d-4e8a-9c6f-2d1e0b9a8c7d",
                "ResourceType": "Patient",
                "Filter": "classConcept%3Dbacc9c6f-d4b8-4b0c-a9f5-7b2e6c3d1a40",
                "LastSync": "2024-05-01T08:00:10.000+00:00",
                "LastETag": "f00d",
            },
            {
                "Key": "9b0e1d2c-3f4a-4b5c-8d6e-7f8091a2b3c4",
                "ResourceType": "Act",
                "Filter": "$deletedObjects",
            },
        ]
        self.jobs: dict[str, dict[str, Any]] = {SYNC_JOB: job()}
        self.overrides: dict[tuple[str, str], Callable[[httpx.Request], httpx.Response]] = {}
        self.tokens_issued = 0
        self.valid_tokens: set[str] = set()
        self.requests: list[httpx.Request] = []
        self.on_job_poll: Callable[[FakeDcdr], None] | None = None
        self.payload: tuple[bytes, str] = (b'{"$type":"Bundle","resource":[]}', "application/json")
        self.hdsi_totals: dict[tuple[str, bool], int] = {}

    def counts(self) -> dict[str, int]:
        return {name: len(items) for name, items in self.queues.items()}

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        path = request.url.path
        override = self.overrides.get((request.method, path))
        if override:
            return override(request)
        if path == "/auth/oauth2_token":
            form = parse_qs(request.content.decode())
            if form.get("password") != [PASSWORD] or form.get("username") != ["clerk"]:
                return httpx.Response(400, json={"error": "invalid_grant", "error_description": "Invalid"})
            assert form["grant_type"] == ["password"] and form["scope"] == ["*"]
            self.tokens_issued += 1
            token = f"tok-{self.tokens_issued}"
            self.valid_tokens.add(token)
            return httpx.Response(
                200, json={"access_token": token, "token_type": "bearer", "expires_in": 3600}
            )
        if path == "/app/State" and request.url.params.get("_full") == "true":
            return httpx.Response(200, json={**self.state, "client_id": "clinic-tablet-01"})
        auth = request.headers.get("authorization", "")
        if not auth.startswith("BEARER ") or auth[7:] not in self.valid_tokens:
            return httpx.Response(401, json={"$type": "RestServiceFault", "message": "Unauthorized"})
        return self.route(request, path)

    def route(self, request: httpx.Request, path: str) -> httpx.Response:
        parts = path.strip("/").split("/")
        if path == "/app/State":
            return httpx.Response(200, json=self.state)
        if path == "/app/Queue":
            return httpx.Response(200, json=self.counts())
        if parts[:2] == ["app", "Queue"] and len(parts) == 3 and request.method == "GET":
            items = self.queues[parts[2]]
            if "id" in request.url.params:
                items = [e for e in items if str(e["id"]) == request.url.params["id"]]
            offset = int(request.url.params.get("_offset", 0))
            count = int(request.url.params.get("_count", 100))
            return httpx.Response(
                200,
                json={
                    "$type": "AmiCollection",
                    "resource": items[offset : offset + count],
                    "offset": offset,
                    "size": len(items),
                },
            )
        if parts[:2] == ["app", "Queue"] and len(parts) == 4 and parts[3] == "$retry":
            params = {p["name"]: p["value"] for p in json.loads(request.content)["parameter"]}
            moved = [e for e in self.queues["deadletter"] if params.get("all") or e["id"] == params.get("id")]
            if not moved:
                return httpx.Response(404, json={"message": "entry not found"})
            for e in moved:
                self.queues["deadletter"].remove(e)
                self.queues["out"].append(entry(e["id"] + 100, retry=e.get("retry", 0) + 1))
            return httpx.Response(204)
        if parts[:2] == ["app", "Queue"] and len(parts) == 4:
            found = [e for e in self.queues[parts[2]] if str(e["id"]) == parts[3]]
            if not found:
                return httpx.Response(404, json={"message": "not found"})
            if request.method == "DELETE":
                self.queues[parts[2]].remove(found[0])
                return httpx.Response(204)
            body, content_type = self.payload
            return httpx.Response(200, content=body, headers={"content-type": content_type})
        if path == "/app/Sync":
            return httpx.Response(200, json=self.sync_log)
        if parts[:2] == ["app", "Sync"] and parts[-1] == "$reset":
            return httpx.Response(204)
        if path == "/ami/JobInfo":
            return httpx.Response(200, json={"$type": "AmiCollection", "resource": list(self.jobs.values())})
        if parts[:2] == ["ami", "JobInfo"] and len(parts) == 4 and parts[3] == "$start":
            self.start_body = json.loads(request.content)
            self.jobs[SYNC_JOB] = job("Running", lastStart=datetime.now(UTC).isoformat())
            return httpx.Response(200, json=self.jobs[SYNC_JOB])
        if parts[:2] == ["ami", "JobInfo"] and len(parts) == 3:
            if self.on_job_poll:
                self.on_job_poll(self)
            return httpx.Response(200, json=self.jobs[SYNC_JOB])
        if parts[0] == "hdsi":
            upstream = request.headers.get("x-santedb-upstream") == "true"
            if len(parts) == 3:
                if upstream and parts[1] == "Patient":
                    return httpx.Response(200, json={"$type": "Patient", "id": parts[2], "version": "server"})
                return httpx.Response(404, json={"message": "not found"})
            total = self.hdsi_totals.get((parts[1], upstream))
            if total is None:
                return httpx.Response(404, json={"message": "no such resource"})
            return httpx.Response(200, json={"$type": "Bundle", "totalResults": total, "resource": []})
        return httpx.Response(404, json={"message": f"no route {path}"})


def make_backend(fake: FakeDcdr, **options: Any) -> SanteDBBackend:
    settings = BackendSettings(
        name="clinic",
        kind="santedb",
        url=URL,
        username="clerk",
        secret=Secret(PASSWORD),
        options={"sync_poll_interval": 0, "log_interval": 0, **options},
    )
    client = httpx.AsyncClient(transport=httpx.MockTransport(fake.handler), timeout=5)
    return SanteDBBackend(settings, client)


@pytest.fixture
def fake() -> FakeDcdr:
    return FakeDcdr()


@pytest.fixture
async def backend(fake: FakeDcdr):
    adapter = make_backend(fake)
    yield adapter
    await adapter.http.aclose()
