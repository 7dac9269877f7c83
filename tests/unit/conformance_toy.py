"""A toy backend for the plugin kit's own tests: an outbox and a conflicts queue served as JSON by an
in-process app, and an adapter that reads them the careful way. Broken variants of it live in
test_conformance_suite.py."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, ClassVar

import httpx

from synctui.backend import Backend, BackendError, BackendSettings, Secret
from synctui.model import (
    ActionResult,
    Capability,
    Category,
    EntryDetail,
    EntryPage,
    EntryResult,
    Health,
    QueueEntry,
    QueueKind,
    QueueStat,
    Rejection,
    Snapshot,
    SyncProgress,
    SyncResult,
)
from synctui.testing.conformance import Target

URL = "http://toy.test"
TOKEN = "toy-token-secret"
WIRE = {QueueKind.OUTBOX: "outbox", QueueKind.CONFLICTS: "rejected"}


class ToyServer:
    """The server's queues; GET /queues, GET /entries/{id}, POST /sync, POST /retry, POST /discard."""

    def __init__(self) -> None:
        self.queues: dict[str, list[dict[str, Any]]] = {
            "outbox": [self._row(i) for i in (1, 2, 3)],
            "rejected": [self._row(i, "Name code already used") for i in (7, 8)],
        }

    @staticmethod
    def _row(n: int, reason: str | None = None) -> dict[str, Any]:
        return {
            "id": f"r{n}",
            "type": "Patient",
            "op": "insert",
            "created": f"2026-01-0{n}T10:00:00Z",
            "reason": reason,
        }

    def handle(self, request: httpx.Request) -> httpx.Response:
        if request.headers.get("authorization") != f"Bearer {TOKEN}":
            return httpx.Response(401, json={"error": "bad token"})
        path = request.url.path
        if path == "/queues":
            return httpx.Response(200, json=self.queues)
        if path.startswith("/entries/"):
            for rows in self.queues.values():
                for row in rows:
                    if row["id"] == path.removeprefix("/entries/"):
                        return httpx.Response(200, json={**row, "payload": {"name": "Amina"}})
            return httpx.Response(404, json={"error": "no such entry"})
        body = json.loads(request.content or b"{}")
        if path == "/sync":
            sent = len(self.queues["outbox"])
            self.queues["outbox"].clear()
            return httpx.Response(200, json={"sent": sent})
        if path in ("/retry", "/discard"):
            moved = [r for r in self.queues["rejected"] if r["id"] in body["ids"]]
            for row in moved:
                self.queues["rejected"].remove(row)
                if path == "/retry":
                    self.queues["outbox"].append({**row, "reason": None})
            return httpx.Response(200, json={"done": [r["id"] for r in moved]})
        return httpx.Response(404, json={"error": "no route"})


def target(server: ToyServer | None = None) -> Target:
    settings = BackendSettings(name="toy-1", kind="toy", url=URL, secret=Secret(TOKEN), timeout=2.0)
    return Target(settings, httpx.MockTransport((server or ToyServer()).handle))


class ToyBackend(Backend):
    kind: ClassVar[str] = "toy"
    capabilities = frozenset(
        {Capability.ENTRIES, Capability.SYNCHRONIZE, Capability.RETRY, Capability.DISCARD}
    )

    def __init__(self, settings: BackendSettings, http: httpx.AsyncClient) -> None:
        super().__init__(settings, http)
        assert settings.secret is not None
        self.headers = {"authorization": f"Bearer {settings.secret.reveal()}"}

    async def call(self, method: str, path: str, body: Any = None) -> Any:
        try:
            response = await self.http.request(
                method, self.settings.url + path, json=body, headers=self.headers
            )
            data = response.json() if response.status_code != 404 else None
        except httpx.HTTPError as exc:
            raise BackendError(
                Rejection(Category.RETRYABLE, f"the toy server is unreachable ({type(exc).__name__})")
            ) from None
        except ValueError:
            raise BackendError(
                Rejection(Category.SERVER, "the toy server answered with something not JSON")
            ) from None
        if response.status_code == 404:
            raise BackendError(Rejection(Category.GONE, f"the toy server has no {path}", status=404))
        if response.status_code != 200 or not isinstance(data, dict):
            raise BackendError(
                Rejection(
                    Category.SERVER,
                    f"the toy server answered HTTP {response.status_code}",
                    status=response.status_code,
                )
            )
        return data

    async def rows(self) -> dict[str, list[dict[str, Any]]]:
        data = await self.call("GET", "/queues")
        if not all(
            isinstance(data.get(w), list) and all(isinstance(r, dict) for r in data[w]) for w in WIRE.values()
        ):
            raise BackendError(Rejection(Category.SERVER, "the toy server's queues are not lists of records"))
        return data

    def entry_of(self, row: dict[str, Any], queue: QueueKind) -> QueueEntry:
        fields = (row.get("id"), row.get("type"), row.get("op"), row.get("created"))
        if not all(isinstance(f, str) and f for f in fields) or not isinstance(row.get("reason") or "", str):
            raise BackendError(Rejection(Category.SERVER, "the toy server sent a record with missing fields"))
        try:
            created = datetime.fromisoformat(row["created"]).astimezone(UTC)
        except ValueError:
            raise BackendError(
                Rejection(Category.SERVER, "the toy server sent a record with a bad date")
            ) from None
        rejection = (
            Rejection(Category.FIX_DATA, " ".join(row["reason"].split())[:200]) if row.get("reason") else None
        )
        return QueueEntry(row["id"], queue, row["type"], row["op"], created, rejection=rejection)

    async def snapshot(self) -> Snapshot:
        data = await self.rows()
        queues = [QueueStat(k, len(data[WIRE[k]]) if k in WIRE else None) for k in QueueKind]
        return Snapshot(self.name, self.kind, queues, Health(online=True))

    async def entries(
        self, queue: QueueKind, offset: int = 0, limit: int = 50, filter: str | None = None
    ) -> EntryPage:
        if queue not in WIRE:
            raise BackendError(Rejection(Category.UNKNOWN, f"the toy server has no {queue.value} queue"))
        rows = (await self.rows())[WIRE[queue]]
        return EntryPage(
            [self.entry_of(r, queue) for r in rows[offset : offset + limit]], offset, limit, len(rows)
        )

    async def entry(self, queue: QueueKind, id: str) -> EntryDetail:
        row = await self.call("GET", f"/entries/{id}")
        return EntryDetail(self.entry_of(row, queue), json.dumps(row.get("payload")))

    async def synchronize(self, progress: Any) -> SyncResult:
        progress(SyncProgress(message="Sending"))
        sent = (await self.call("POST", "/sync", {})).get("sent")
        if not isinstance(sent, int) or sent < 0:
            raise BackendError(Rejection(Category.SERVER, "the toy server did not say how many it sent"))
        return SyncResult(ok=True, message=f"Sent {sent} records", counts={"sent": sent})

    async def _move(self, path: str, ids: Sequence[str]) -> ActionResult:
        done = (await self.call("POST", path, {"ids": list(ids)})).get("done")
        if not isinstance(done, list):
            raise BackendError(Rejection(Category.SERVER, "the toy server did not say what it did"))
        results = [EntryResult(i, i in done, "" if i in done else "not in the rejected queue") for i in ids]
        return ActionResult(
            all(r.ok for r in results), f"{len(done)} of {len(ids)} done", results, {"done": len(done)}
        )

    async def retry(self, ids: Sequence[str] | None) -> ActionResult:
        return await self._move(
            "/retry", ids or [e.id for e in (await self.entries(QueueKind.CONFLICTS)).entries]
        )

    async def discard(self, queue: QueueKind, ids: Sequence[str]) -> ActionResult:
        return await self._move("/discard", ids)
