"""The ASGI app: SanteDB dCDR 3.x endpoints (reference §1–§6), or with `profile` the SanteDB 2.x or
OpenIZ ones (legacy_api.py, reference §7–§8), plus the `/__sim/` test controls (controls.py).

Routing is a small table of case-insensitive regexes (SanteDB's REST paths and queue names are
case-insensitive; Starlette's router is not).
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from . import legacy_api
from .controls import SimControls
from .faults import FaultMiddleware, Faults
from .queue_model import parse_entry_id as _entry_id
from .state import FILTER_FIELDS, PROFILES, QUEUES, RESOURCE_TYPES, SimulatorError, SimulatorState

if TYPE_CHECKING:
    from .traffic import Traffic

Handler = Callable[[Request, "re.Match[str]"], Awaitable[Response]]
GUID = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"


def fault(status: int, exc_type: str, message: str, detail: str | None = None) -> JSONResponse:
    """A RestServiceFault body: `$type` (exception type), `message`, `detail`."""
    body = {"$type": exc_type, "message": message, "detail": detail or f"{exc_type}: {message}"}
    headers = {"WWW-Authenticate": 'Bearer realm="santedb"'} if status == 401 else None
    return JSONResponse(body, status_code=status, headers=headers)


def _truthy(value: str | None) -> bool:
    return (value or "").lower() in ("true", "1")


async def _parameters(request: Request) -> list[tuple[str, Any]]:
    """A ParameterCollection body `{"parameter":[{"name":..,"value":..}]}` as (name, value) in order."""
    raw = await request.body()
    if not raw.strip():
        return []
    try:
        body = json.loads(raw)
    except ValueError as exc:
        raise SimulatorError(400, "ArgumentException", "Request body is not valid JSON") from exc
    params = body.get("parameter") if isinstance(body, dict) else None
    if params is None:
        return []
    if not isinstance(params, list):
        raise SimulatorError(400, "ArgumentException", "parameter must be a list")
    return [(str(p.get("name", "")), p.get("value")) for p in params if isinstance(p, dict)]


class SimulatorApp(SimControls):
    def __init__(
        self, state: SimulatorState, faults: Faults, traffic: Traffic | None = None, profile: str = "santedb3"
    ) -> None:
        if profile not in PROFILES:
            raise ValueError(f"unknown profile {profile!r}; known: {', '.join(PROFILES)}")
        self.state = state
        self.faults = faults
        self.traffic = traffic
        self.profile = profile
        self.fault: Callable[..., JSONResponse] = fault if profile == "santedb3" else legacy_api.error
        self.routes: list[tuple[str, re.Pattern[str], Handler, bool]] = []
        add = self._add
        add("GET", r"/__sim/state", self.sim_state, auth=False)
        add("POST", r"/__sim/faults", self.sim_faults, auth=False)
        add("POST", r"/__sim/online", self.sim_online, auth=False)
        add("POST", r"/__sim/enqueue", self.sim_enqueue, auth=False)
        add("POST", r"/__sim/tick", self.sim_tick, auth=False)
        if profile != "santedb3":
            legacy_api.LegacyApi(self).register(profile)
            return
        add("POST", r"/auth/oauth2_token", self.token, auth=False)
        add("GET", r"/app/State", self.app_state)
        add("GET", r"/app/Queue", self.queue_counts)
        add("POST", r"/app/Queue/(?P<q>[^/]+)/\$retry", self.queue_retry)
        add("GET", r"/app/Queue/(?P<q>[^/$][^/]*)", self.queue_list)
        add("GET", r"/app/Queue/(?P<q>[^/]+)/(?P<id>[^/$][^/]*)", self.queue_payload)
        add("DELETE", r"/app/Queue/(?P<q>[^/]+)/(?P<id>[^/]+)", self.queue_delete)
        add("GET", r"/app/Sync", self.sync_log)
        add("POST", r"/app/Sync/\$reset", self.sync_reset_all)
        add("POST", r"/app/Sync/(?P<key>[^/]+)/\$reset", self.sync_reset_one)
        add("GET", r"/ami/JobInfo", self.job_list)
        add("GET", r"/ami/JobInfo/(?P<id>[^/]+)", self.job_get)
        add("POST", r"/ami/JobInfo/(?P<id>[^/]+)/\$start", self.job_start)
        add("POST", r"/ami/JobInfo/(?P<id>[^/]+)/\$cancel", self.job_cancel)
        add("GET", r"/hdsi/(?P<type>[A-Za-z]+)", self.hdsi_query)
        add("GET", r"/hdsi/(?P<type>[A-Za-z]+)/(?P<id>[^/]+)", self.hdsi_get)

    def _add(self, method: str, pattern: str, handler: Handler, auth: bool = True) -> None:
        self.routes.append((method, re.compile(f"^{pattern}/?$", re.IGNORECASE), handler, auth))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            message = await receive()
            while message["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
                message = await receive()
            await send({"type": "lifespan.shutdown.complete"})
            return
        if scope["type"] != "http":
            return
        request = Request(scope, receive)
        response = await self.dispatch(request)
        await response(scope, receive, send)

    async def dispatch(self, request: Request) -> Response:
        path = request.url.path
        allowed = False
        for method, pattern, handler, auth in self.routes:
            match = pattern.match(path)
            if match is None:
                continue
            if method != request.method:
                allowed = True
                continue
            if auth and not self._authorized(request):
                return self.fault(
                    401,
                    "SecuritySessionException",
                    "Authentication required: missing or invalid bearer token",
                )
            try:
                return await handler(request, match)
            except SimulatorError as exc:
                return self.fault(exc.status, exc.exc_type, exc.message)
        if allowed:
            return self.fault(405, "NotSupportedException", f"Method {request.method} not allowed on {path}")
        return self.fault(404, "FileNotFoundException", f"Resource {path} not found")

    def _authorized(self, request: Request) -> bool:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        return scheme.lower() == "bearer" and self.state.token_valid(token.strip())

    # -- /auth --------------------------------------------------------------------------------------
    async def token(self, request: Request, match: re.Match[str]) -> Response:
        # Parsed by hand: Starlette's request.form() needs python-multipart, which is not a dependency.
        form = {k: v[0] for k, v in parse_qs((await request.body()).decode("utf-8", "replace")).items()}
        if form.get("grant_type") != "password":
            return JSONResponse(
                {"error": "unsupported_grant_type", "error_description": "Only password grant"}, 400
            )
        token = self.state.issue_token(str(form.get("username", "")), str(form.get("password", "")))
        if token is None:
            return JSONResponse(
                {"error": "invalid_grant", "error_description": "Invalid username or password"}, 400
            )
        return JSONResponse({"access_token": token, "token_type": "bearer", "expires_in": 3600})

    # -- /app ---------------------------------------------------------------------------------------
    async def app_state(self, request: Request, match: re.Match[str]) -> Response:
        online = self.state.online
        body: dict[str, Any] = {"online": online, "hdsi": online, "ami": online}
        if _truthy(request.query_params.get("_full")):
            body["client_id"] = self.state.client_id
        return JSONResponse(body)

    async def queue_counts(self, request: Request, match: re.Match[str]) -> Response:
        counts = self.state.counts()
        pattern = request.query_params.get("type")
        if pattern:
            flags = {
                "UpstreamToLocal": 1,
                "LocalToUpstream": 2,
                "LocalOnly": 4,
                "LowPriority": 8,
                "DeadLetter": 0x84,
            }
            wanted = flags.get(pattern)
            if wanted is None:
                raise SimulatorError(400, "ArgumentException", f"Unknown synchronization pattern {pattern}")
            counts = {q: (n if QUEUES[q][0] & wanted == wanted else 0) for q, n in counts.items()}
        return JSONResponse(counts)

    async def queue_list(self, request: Request, match: re.Match[str]) -> Response:
        params = request.query_params
        try:
            offset = int(params.get("_offset", "0"))
            count = int(params.get("_count", "100"))
        except ValueError as exc:
            raise SimulatorError(400, "FormatException", "_offset and _count must be integers") from exc
        if offset < 0 or count < 0:
            raise SimulatorError(
                400, "ArgumentOutOfRangeException", "_offset and _count must not be negative"
            )
        filters = {name: params[name] for name in FILTER_FIELDS if name in params}
        dates = params.getlist("creationTime")
        when = (lambda e: bool(_filter_dates([e.to_json()], dates))) if dates else None
        entries, total = self.state.queue_page(match["q"], offset, count, filters, when)
        # AmiCollection: `size` is the total matching count (AmiCollection(items, offset, totalCount)).
        body: dict[str, Any] = {"resource": [e.to_json() for e in entries], "offset": offset, "size": total}
        if _truthy(params.get("_includeTotal")):
            body["totalResults"] = total
        return JSONResponse(body)

    async def queue_payload(self, request: Request, match: re.Match[str]) -> Response:
        entry = self.state.get_entry(match["q"], _entry_id(match["id"]))
        payload = self.state.payload(entry)
        if isinstance(payload, str):
            return Response(payload, media_type="application/xml")
        return JSONResponse(payload)

    async def queue_retry(self, request: Request, match: re.Match[str]) -> Response:
        queue = self.state.queue_name(match["q"])
        if queue != "deadletter":
            raise SimulatorError(405, "NotSupportedException", "$retry applies to the deadletter queue only")
        params = dict(await _parameters(request))
        if "id" in params and params["id"] is not None:
            self.state.retry(_entry_id(params["id"]))
        elif params.get("all") in (True, "true", "True"):
            self.state.retry_all()
        else:
            raise SimulatorError(400, "ArgumentNullException", "Value cannot be null. (Parameter 'id')")
        return Response(status_code=204)

    async def queue_delete(self, request: Request, match: re.Match[str]) -> Response:
        self.state.delete(match["q"], _entry_id(match["id"]))
        return Response(status_code=204)

    async def sync_log(self, request: Request, match: re.Match[str]) -> Response:
        return JSONResponse([row.to_json() for row in self.state.log_rows()])

    async def sync_reset_all(self, request: Request, match: re.Match[str]) -> Response:
        self.state.reset_log()
        return Response(status_code=204)

    async def sync_reset_one(self, request: Request, match: re.Match[str]) -> Response:
        key = match["key"]
        if not re.fullmatch(GUID, key):
            raise SimulatorError(400, "FormatException", f"{key} is not a valid GUID")
        self.state.reset_log(key)
        return Response(status_code=204)

    # -- /ami ---------------------------------------------------------------------------------------
    async def job_list(self, request: Request, match: re.Match[str]) -> Response:
        jobs = [job.to_json() for job in self.state.jobs.values()]
        return JSONResponse({"resource": jobs, "offset": 0, "size": len(jobs)})

    async def job_get(self, request: Request, match: re.Match[str]) -> Response:
        return JSONResponse(self.state.job(match["id"]).to_json())

    async def job_start(self, request: Request, match: re.Match[str]) -> Response:
        job = self.state.job(match["id"])
        values = [value for _, value in await _parameters(request)]
        self.state.runner.start(job.id, values)  # already running: joins (nothing new is started)
        return JSONResponse(job.to_json())

    async def job_cancel(self, request: Request, match: re.Match[str]) -> Response:
        job = self.state.job(match["id"])
        if not job.can_cancel:
            raise SimulatorError(
                400, "InvalidOperationException", f"Job {job.name} does not support cancellation"
            )
        return JSONResponse(job.to_json())

    # -- /hdsi --------------------------------------------------------------------------------------
    def _upstream(self, request: Request) -> bool:
        upstream = _truthy(request.headers.get("x-santedb-upstream")) or _truthy(
            request.query_params.get("_upstream")
        )
        if upstream and not self.state.online:
            raise SimulatorError(
                503, "UpstreamIntegrationException", "Upstream service is not available (network unreachable)"
            )
        return upstream

    @staticmethod
    def _resource_type(name: str) -> str:
        for known in RESOURCE_TYPES:
            if known.lower() == name.lower():
                return known
        raise SimulatorError(404, "KeyNotFoundException", f"Resource {name} is not supported")

    async def hdsi_query(self, request: Request, match: re.Match[str]) -> Response:
        type_ = self._resource_type(match["type"])
        counts = self.state.server_counts if self._upstream(request) else self.state.local_counts
        total = counts.get(type_, 0)
        body: dict[str, Any] = {"$type": "Bundle", "resource": [], "offset": 0, "count": 0}
        if _truthy(request.query_params.get("_includeTotal")):
            body["totalResults"] = total
        return JSONResponse(body)

    async def hdsi_get(self, request: Request, match: re.Match[str]) -> Response:
        type_ = self._resource_type(match["type"])
        copies = self.state.server if self._upstream(request) else self.state.local
        obj = copies.get(match["id"].lower())
        if obj is None or obj.get("$type") != type_:
            raise SimulatorError(404, "KeyNotFoundException", f"{type_}/{match['id']} not found")
        return JSONResponse(obj)


def _filter_dates(entries: list[dict[str, Any]], conditions: list[str]) -> list[dict[str, Any]]:
    from datetime import datetime

    def parse(text: str) -> datetime:
        try:
            return datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError as exc:
            raise SimulatorError(400, "FormatException", f"Bad date {text}") from exc

    for cond in conditions:
        op = re.match(r"^(>=|<=|>|<|!=)?(.*)$", cond)
        assert op is not None
        sign, when = op.group(1) or "=", parse(op.group(2))
        checks = {
            ">=": lambda d, w=when: d >= w, "<=": lambda d, w=when: d <= w, ">": lambda d, w=when: d > w,
            "<": lambda d, w=when: d < w, "!=": lambda d, w=when: d != w, "=": lambda d, w=when: d == w,
        }  # fmt: skip
        entries = [e for e in entries if checks[sign](datetime.fromisoformat(e["creationTime"]))]
    return entries


def create_app(
    state: SimulatorState,
    faults: Faults | None = None,
    traffic: Traffic | None = None,
    profile: str | None = None,
) -> ASGIApp:
    """The simulator as an ASGI app speaking `profile` (default: the state's, "santedb3"); `faults`
    (default: none) wraps every non-`/__sim/` call."""
    faults = faults or Faults(rate=0.0)
    return FaultMiddleware(SimulatorApp(state, faults, traffic, profile or state.profile), faults)
