"""A fake agent for the command-line tests: the agent's HTTP API answered by an httpx.MockTransport.

`FakeAgent.install(monkeypatch)` makes every `HttpAgentClient` the CLI builds talk to it; each request is
recorded (method, path, headers, JSON body), so a test can assert what was — or was not — sent. The event
stream plays scripts: one list per connection of states (sent as server-sent events), exceptions (the
connection drops there) and floats (pauses); after its last script it sends the current state and waits.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from synctui.client import HttpAgentClient
from synctui.model import (
    ActionResult,
    ActionStatus,
    AgentState,
    BackendView,
    Category,
    EntryDetail,
    EntryPage,
    Health,
    QueueKind,
    QueueStat,
    Rejection,
    Setting,
    Snapshot,
    SyncLogRow,
    to_data,
)

StreamItem = AgentState | BaseException | float


def now() -> datetime:
    return datetime.now(UTC)


def snapshot(
    backend: str = "clinic",
    *,
    outbox: int | None = 0,
    inbox: int | None = 0,
    admin: int | None = None,
    conflicts: int | None = 0,
    known: bool = True,
    online: bool = True,
    stale: bool = False,
    taken_at: datetime | None = None,
    error: Rejection | None = None,
    last_success: datetime | None = None,
) -> Snapshot:
    taken = taken_at or now()
    queues = [
        QueueStat(QueueKind.OUTBOX, outbox, known=known),
        QueueStat(QueueKind.INBOX, inbox, known=known),
        QueueStat(QueueKind.ADMIN, admin, known=known),
        QueueStat(QueueKind.CONFLICTS, conflicts, known=known),
    ]
    log = [SyncLogRow("patients", "Patient", last_success=last_success or taken)]
    health = Health(online=online, latency_ms=12.0, auth_ok=True if online else None, error=error)
    return Snapshot(backend, "santedb", queues, health, log=log, taken_at=taken, stale=stale)


def view(snap: Snapshot | None = None, *, action: ActionStatus | None = None, **kwargs: Any) -> BackendView:
    snap = snap or snapshot(**kwargs)
    # due well after the test: the tables are built at import, and a late refresh makes data UNKNOWN
    return BackendView(snap, action=action, next_refresh=snap.taken_at + timedelta(minutes=30))


def state(*views: BackendView, revision: int = 1, **kwargs: Any) -> AgentState:
    return AgentState(list(views or [view()]), revision=revision, **kwargs)


def sync_status(
    backend: str = "clinic",
    *,
    id: str = "sync-1",
    state: str = "running",
    ok: bool | None = None,
    message: str = "",
    started: datetime | None = None,
    finished: datetime | None = None,
    joined: bool = False,
    rejection: Rejection | None = None,
    counts: dict[str, int] | None = None,
    action: str = "synchronize",
) -> ActionStatus:
    return ActionStatus(
        id=id,
        backend=backend,
        action=action,
        state=state,
        started=started or now() - timedelta(seconds=30),
        finished=finished,
        ok=ok,
        message=message,
        rejection=rejection,
        counts=counts or {},
        joined=joined,
    )


def failure(message: str = "the server refused the login", advice: str = "Check the password") -> Rejection:
    return Rejection(Category.AUTH, message, advice=advice, status=401)


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: Any

    @property
    def pin(self) -> str | None:
        return self.headers.get("x-synctui-pin")


@dataclass
class FakeAgent:
    state: AgentState = field(default_factory=state)
    result: ActionResult = field(default_factory=lambda: ActionResult(True, "done"))
    long_status: ActionStatus = field(default_factory=sync_status)
    health: Health = field(default_factory=lambda: Health(online=True, latency_ms=12.0, auth_ok=True))
    audit: list[dict[str, Any]] = field(default_factory=list)
    streams: list[list[StreamItem]] = field(default_factory=list)
    # what the read routes answer (None: 404, as an agent without them)
    entries: EntryPage | None = None
    entry: EntryDetail | None = None
    settings: list[Setting] | None = None
    archive: list[dict[str, Any]] = field(default_factory=list)
    archived: dict[str, Any] | None = None
    refuse_reads: tuple[int, str] | None = None  # every GET but the event stream refused so
    refuse: tuple[int, str] | None = None  # every change answered with this status and message
    refuse_next: list[tuple[int, str]] = field(default_factory=list)  # the next changes, one each
    drop_next_change: int = 0  # the next changes get no answer (a read timeout)
    requests: list[Recorded] = field(default_factory=list)
    stream_connections: int = 0

    # --- what was sent ------------------------------------------------------------------------------

    @property
    def changes(self) -> list[Recorded]:
        """POSTs other than refresh and read-only probes."""
        reads = ("/refresh", "/check-connection", "/count-remotes", "/cancel")
        return [r for r in self.requests if r.method == "POST" and not r.path.endswith(reads)]

    # --- wiring ---------------------------------------------------------------------------------------

    @property
    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    def install(self, monkeypatch: Any) -> FakeAgent:
        import synctui.client

        def make(**kwargs: Any) -> HttpAgentClient:
            return HttpAgentClient(transport=self.transport, timeout=kwargs.get("timeout", 10.0))

        monkeypatch.setattr(synctui.client, "HttpAgentClient", make)
        return self

    # --- the API ----------------------------------------------------------------------------------------

    async def handle(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content) if request.content else None
        path = request.url.path
        self.requests.append(Recorded(request.method, path, dict(request.headers), body))
        if path == "/v1/events":
            return self._events()
        if request.method == "GET" and self.refuse_reads is not None:
            return _json({"error": self.refuse_reads[1]}, self.refuse_reads[0])
        if path == "/v1/state":
            return _json(self.state)
        if path == "/v1/audit":
            return _json(self.audit)
        if request.method == "GET":
            found = self._read(path)
            if found is not None:
                return _json(found)
        if request.method != "POST":
            return _json({"error": f"no route {path}"}, 404)
        if path.endswith("/refresh"):
            return _json({"ok": True}, 202)
        if path.endswith("/check-connection"):
            return _json(self.health)
        if path.endswith("/cancel"):
            return _json(replace(self.long_status, state="cancelled"), 202)
        if self.drop_next_change:
            self.drop_next_change -= 1
            raise httpx.ReadTimeout("no answer", request=request)
        refusal = self.refuse_next.pop(0) if self.refuse_next else self.refuse
        if refusal is not None:
            return _json({"error": refusal[1]}, refusal[0])
        if path.endswith(("/synchronize", "/resubmit")):
            return _json(self.long_status, 202)
        return _json(self.result)

    def _read(self, path: str) -> Any:
        """The answer of a read route other than state, events and audit (None: not found)."""
        parts = path.strip("/").split(
            "/"
        )  # v1 backends B queues Q [ID] | v1 backends B settings | v1 archive [ID]
        if parts[1:2] == ["archive"]:
            return self.archive if len(parts) == 2 else self.archived
        if len(parts) == 4 and parts[3] == "settings":
            return self.settings
        if len(parts) == 5 and parts[3] == "queues":
            return self.entries
        if len(parts) == 6 and parts[3] == "queues":
            return self.entry
        return None

    def _events(self) -> httpx.Response:
        self.stream_connections += 1
        script = self.streams.pop(0) if self.streams else [self.state, 3600.0]

        async def play() -> AsyncIterator[bytes]:
            for item in script:
                if isinstance(item, BaseException):
                    raise item
                if isinstance(item, float):
                    await asyncio.sleep(item)
                    continue
                yield f"data: {json.dumps(to_data(item))}\n\n".encode()

        return httpx.Response(200, headers={"content-type": "text/event-stream"}, content=play())


def _json(data: Any, status: int = 200) -> httpx.Response:
    return httpx.Response(status, json=to_data(data))
