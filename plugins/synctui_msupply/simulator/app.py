"""The simulator's HTTP face: the site's GraphQL (`POST /graphql`) and the legacy central v5/v3 API."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import random
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .central import Central, V5Failure
from .faults import FaultMiddleware, Faults
from .graphql import FieldError, execute
from .site import CENTRAL_TABLES, Site

READ_ONLY_CENTRAL_CALLS = {
    ("GET", "/sync/v5/site"),
    ("GET", "/sync/v5/site_status"),
    ("GET", "/sync/v3/queued_records/count"),
}
QUEUE_CHANGING_CALLS = {
    ("POST", "/sync/v5/initialise"),
    ("POST", "/sync/v5/acknowledged_records"),
    ("POST", "/sync/v5/queued_records"),
    ("POST", "/sync/v3/acknowledged_records"),
    ("POST", "/sync/v3/queued_records"),
}


@dataclass
class Simulator:
    """One Open mSupply remote site and its legacy central, in one process."""

    central: Central = field(default_factory=Central)
    site: Site | None = None
    faults: Faults = field(default_factory=Faults)
    calls: list[tuple[str, str]] = field(default_factory=list)  # (method, path) of every HTTP request

    def __post_init__(self) -> None:
        if self.site is None:
            self.site = Site(self.central)
        if self.central.bound_hardware_id is None and self.site.initialised:
            self.central.bound_hardware_id = self.site.hardware_id
        self._tasks: list[asyncio.Task[None]] = []

    @property
    def s(self) -> Site:
        assert self.site is not None
        return self.site

    # --- GraphQL resolvers ----------------------------------------------------------------------------

    def _user(self, request: Request, admin: bool = False) -> str:
        header = request.headers.get("authorization", "")
        token = header[7:] if header.lower().startswith("bearer ") else ""
        user = self.s.tokens.get(token)
        if user is None:
            raise FieldError("Unauthenticated", "Not authenticated: missing or expired token")
        if admin and not self.s.users.get(user, ("", False))[1]:
            raise FieldError("Forbidden", "Permission denied: ServerAdmin required")
        return user

    def resolvers(self, request: Request) -> dict[str, dict[str, Any]]:
        site = self.s
        pre_init = not site.initialised

        def auth_token(args: dict[str, Any]) -> dict[str, Any]:
            user, password = args.get("username"), args.get("password")
            if user not in site.users or site.users[user][0] != password:
                return {
                    "__typename": "AuthTokenError",
                    "error": {"__typename": "InvalidCredentials", "description": "Invalid credentials"},
                }
            token = secrets.token_hex(16)
            site.tokens[token] = user
            return {"__typename": "AuthToken", "token": token}

        def latest(_: dict[str, Any]) -> Any:
            if not pre_init:
                self._user(request)
            return site.full_status()

        def push_queue(_: dict[str, Any]) -> int:
            self._user(request)
            return len(site.push_queue)

        def sync_settings(_: dict[str, Any]) -> dict[str, Any]:
            if not pre_init:
                self._user(request, admin=True)
            return {
                "__typename": "SyncSettingsNode",
                "url": site.url,
                "username": site.site_name,
                "intervalSeconds": site.interval_seconds,
            }

        def me(_: dict[str, Any]) -> dict[str, Any]:
            user = self._user(request)
            return {
                "__typename": "UserNode",
                "username": user,
                "defaultStore": {"__typename": "UserStoreNode", **site.store},
            }

        def manual_sync(_: dict[str, Any]) -> str:
            self._user(request)
            return site.trigger()

        def update_settings(args: dict[str, Any]) -> dict[str, Any]:
            self._user(request, admin=True)
            return self._update_settings(args.get("input") or {})

        queries = {
            "initialisationStatus": lambda _: site.initialisation_status(),
            "latestSyncStatus": latest,
            "syncSettings": sync_settings,
        }
        if not pre_init:  # the reduced schema before initialisation has none of these
            queries.update({"authToken": auth_token, "numberOfRecordsInPushQueue": push_queue, "me": me})
        mutations = {"manualSync": manual_sync, "updateSyncSettings": update_settings} if not pre_init else {}
        return {"query": queries, "mutation": mutations}

    def _update_settings(self, data: dict[str, Any]) -> dict[str, Any]:
        site = self.s

        def error(variant: str, text: str) -> dict[str, Any]:
            return {"__typename": "SyncErrorNode", "variant": variant, "fullError": text}

        url = data.get("url")
        parsed = urlparse(url) if isinstance(url, str) else None
        if not parsed or parsed.scheme not in ("http", "https") or not parsed.netloc:
            return error("INVALID_URL", f"Invalid url: {url!r}: relative URL without a base")
        if data.get("username") != site.site_name:
            return error(
                "SITE_UUID_IS_BEING_CHANGED",
                "Sync settings would change the site: site uuid is being changed",
            )
        if data.get("password") != self.central.password:
            return error(
                "INCORRECT_PASSWORD", "Failed to get site info: legacy server error: site_incorrect_password"
            )
        interval = data.get("intervalSeconds")
        if isinstance(interval, bool) or not isinstance(interval, int) or interval < 1:
            return error("UNKNOWN", f"Invalid intervalSeconds {interval!r}")
        site.url = url
        site.interval_seconds = interval
        return {
            "__typename": "SyncSettingsNode",
            "url": site.url,
            "username": site.site_name,
            "intervalSeconds": interval,
        }

    async def graphql(self, request: Request) -> Response:
        try:
            body = json.loads(await request.body())
        except ValueError:
            return JSONResponse({"errors": [{"message": "Invalid JSON body"}]}, status_code=400)
        return JSONResponse(execute(body, self.resolvers(request)))

    # --- legacy central --------------------------------------------------------------------------------

    def _check_v5(self, request: Request, mobile: bool = False) -> None:
        header = request.headers.get("authorization", "")
        name, sha = "", ""
        if header.lower().startswith("basic "):
            with contextlib.suppress(ValueError):
                name, _, sha = base64.b64decode(header[6:]).decode().partition(":")
        version = None if mobile else request.headers.get("version")
        self.central.authenticate(name, sha, request.headers.get("msupply-site-uuid", ""), version)

    async def v5(self, request: Request) -> Response:
        path = request.url.path
        try:
            self._check_v5(request)
        except V5Failure as exc:
            return JSONResponse(exc.body(), status_code=exc.status)
        central = self.central
        if path == "/sync/v5/site":
            return JSONResponse(central.site_json())
        if path == "/sync/v5/site_status":
            return JSONResponse({"code": central.status_code, "message": central.status_code, "data": None})
        if path == "/sync/v5/initialise":
            central.remote_queue += 50
            return JSONResponse({"queueLength": central.remote_queue})
        if path == "/sync/v5/queued_records" and request.method == "GET":
            limit = int(request.query_params.get("limit", "500") or 500)
            n = min(limit, central.remote_queue)
            data = [_record(i, "name", "insert") for i in range(n)]
            return JSONResponse({"queueLength": central.remote_queue, "data": data})
        if path == "/sync/v5/acknowledged_records":
            body = await _json(request)
            ids = body.get("syncIDs", []) if isinstance(body, dict) else []
            central.remote_queue = max(central.remote_queue - len(ids), 0)
            return Response(status_code=204)
        if path == "/sync/v5/queued_records":  # push
            body = await _json(request)
            records = body.get("data", []) if isinstance(body, dict) else []
            central.receive([r for r in records if isinstance(r, dict)])
            return JSONResponse(
                {"integrationStarted": isinstance(body, dict) and body.get("queueLength") == 0}
            )
        if path == "/sync/v5/central_records":
            cursor = int(request.query_params.get("cursor", "0") or 0)
            limit = int(request.query_params.get("limit", "500") or 500)
            data = [
                {**_record(c, "item", "update"), "ID": c}
                for c in range(cursor + 1, min(cursor + limit, central.max_cursor) + 1)
            ]
            return JSONResponse({"maxCursor": central.max_cursor, "data": data})
        return JSONResponse({"error": {"code": "other", "message": f"No route {path}", "data": None}}, 404)

    async def v3(self, request: Request) -> Response:
        path = request.url.path
        try:
            self._check_v5(request, mobile=True)
        except V5Failure as exc:
            text = (
                "Site registration doesn't match."
                if exc.code == "site_incorrect_hardware_id"
                else exc.message
            )
            return JSONResponse({"error": text}, status_code=exc.status)
        central = self.central
        if path == "/sync/v3/queued_records/count":
            return JSONResponse({"NumRecords": central.remote_queue})
        if path == "/sync/v3/site":
            return JSONResponse(
                {
                    "ServerID": str(central.central_site_id),
                    "SiteID": str(central.site_id),
                    "StoreID": self.s.store["id"],
                    "NameID": self.s.store["id"],
                    "SupplyingStoreID": "",
                    "SupplyingStoreNameID": "",
                    "ServerVersion": 409,
                }
            )
        if path == "/sync/v3/acknowledged_records":
            body = await _json(request)
            ids = body.get("SyncRecordIDs", []) if isinstance(body, dict) else []
            central.remote_queue = max(central.remote_queue - len(ids), 0)
            return JSONResponse({})
        if path == "/sync/v3/queued_records" and request.method == "POST":
            body = await _json(request)
            central.receive([r for r in body if isinstance(r, dict)] if isinstance(body, list) else [])
            return JSONResponse({})
        if path == "/sync/v3/queued_records":
            limit = int(request.query_params.get("limit", "100") or 100)
            n = min(limit, central.remote_queue)
            return JSONResponse(
                [
                    {"SyncID": str(i), "RecordType": "Name", "RecordID": str(i), "SyncType": "U", "data": {}}
                    for i in range(n)
                ]
            )
        return JSONResponse({"error": f"No route {path}"}, status_code=404)

    # --- assembly ----------------------------------------------------------------------------------------

    def app(self, in_process: bool = False) -> Any:
        routes = [
            Route("/graphql", self.graphql, methods=["POST"]),
            Route("/sync/v5/{rest:path}", self.v5, methods=["GET", "POST"]),
            Route("/sync/v3/{rest:path}", self.v3, methods=["GET", "POST"]),
        ]
        inner = Starlette(routes=routes)
        recorder = _Recorder(inner, self.calls)
        return FaultMiddleware(recorder, self.faults, in_process=in_process)

    def start_background(self, traffic: bool = True, schedule: bool = True, tick: float = 1.0) -> None:
        """Periodic syncs every interval and traffic making records enter the push queue."""
        loop = asyncio.get_running_loop()
        if schedule:
            self._tasks.append(loop.create_task(self._scheduler()))
        if traffic:
            self._tasks.append(loop.create_task(self._traffic(tick)))

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks.clear()
        await self.s.stop()

    async def _scheduler(self) -> None:
        while True:
            await asyncio.sleep(max(self.s.interval_seconds, 1))
            if self.s.initialised:
                self.s.trigger()

    async def _traffic(self, tick: float) -> None:
        rng = random.Random(11)
        n = 0
        while True:
            await asyncio.sleep(tick * rng.uniform(0.5, 1.5))
            n += 1
            for _ in range(rng.randrange(1, 5)):
                self.s.add_change(api="v6" if self.central.om_central_url and rng.random() < 0.2 else "v5")
            if n % 97 == 0:  # now and then someone edits central data on this satellite
                self.s.add_change(table=rng.choice(sorted(CENTRAL_TABLES)))
            self.central.remote_queue += rng.randrange(0, 8)
            self.central.max_cursor += rng.randrange(0, 5)
            if self.central.om_central_url:
                self.central.v6_pending += rng.randrange(0, 3)


class _Recorder:
    def __init__(self, app: Any, calls: list[tuple[str, str]]) -> None:
        self.app = app
        self.calls = calls

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            self.calls.append((scope["method"], scope["path"]))
            del self.calls[:-5000]
        await self.app(scope, receive, send)


async def _json(request: Request) -> Any:
    try:
        return json.loads(await request.body())
    except ValueError:
        return None


def _record(i: int, table: str, action: str) -> dict[str, Any]:
    return {
        "syncOutId": str(i),
        "tableName": table,
        "recordId": f"{table}-{i}",
        "action": action,
        "recordData": {},
    }


def build(
    *,
    faults: float = 0.0,
    fault_kinds: str | None = None,
    step_delay: float = 0.0,
    interval_seconds: int = 300,
    db_path: Path | None = None,
    om_central_url: str | None = None,
    url: str = "http://central.msupply.sim",
    seed: int = 7,
) -> Simulator:
    central = Central(om_central_url=om_central_url)
    site = Site(
        central,
        url=url,
        interval_seconds=interval_seconds,
        step_delay=step_delay,
        db_path=db_path,
        rng=random.Random(seed),
    )
    return Simulator(central=central, site=site, faults=Faults.parse(faults, fault_kinds, seed))
