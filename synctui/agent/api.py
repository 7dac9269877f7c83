"""The agent's HTTP API (ASGI, served by uvicorn on a Unix socket).

GET  /healthz                                   liveness
GET  /v1/state                                  everything the dashboard draws (AgentState)
GET  /v1/events?after=REV                       the same, pushed as server-sent events on each change
GET  /v1/backends/{name}/queues/{queue}         one page of a queue (?offset, ?limit, ?filter)
GET  /v1/backends/{name}/queues/{queue}/{id}    one entry with its payload
POST /v1/backends/{name}/synchronize            start Synchronize Now, or join the running one
POST /v1/backends/{name}/refresh, /v1/refresh   refresh now
POST /v1/backends/{name}/retry                  {"ids": [...]} or {"all": true}
POST /v1/backends/{name}/discard                {"queue": "conflicts", "ids": [...]} (archived first)
POST /v1/backends/{name}/reset                  {"keys": [...]} or {"all": true}
GET  /v1/backends/{name}/compare/{queue}/{id}   local vs server copy
POST /v1/backends/{name}/count-remotes          the sync log with local and server counts
POST /v1/backends/{name}/check-connection       a read-only probe of the server (Health)
POST /v1/backends/{name}/resubmit               {"since": ISO, "until": ISO}: Re-Submit To Server
POST /v1/backends/{name}/actions/{id}/cancel    stop a running sync / re-submit
GET  /v1/backends/{name}/settings, POST (values) the backend's settings
GET  /v1/archive?limit=N, /v1/archive/{id}      what was discarded
POST /v1/archive/{id}/restore                   put it back, where the backend can re-queue
Changes take headers `Idempotency-Key` (a repeat gets the first answer) and `X-Synctui-Pin`.
GET  /v1/plugins                                loaded and broken plugins
GET  /v1/audit?limit=N                          the newest audit records
GET  /metrics                                   Prometheus text format
"""

from __future__ import annotations

import hmac
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from synctui.agent.backend_service import ActionRefused, BackendService
from synctui.agent.core import Agent
from synctui.agent.guard import Refused
from synctui.agent.metrics import metrics_registry, render_metrics
from synctui.backend import BackendError
from synctui.model import Capability, QueueKind, to_data

MAX_PAGE = 500
KEEPALIVE_SECONDS = 15.0


class ApiError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def create_api(agent: Agent, *, token: str | None = None) -> Starlette:
    registry = metrics_registry(agent)
    repairs = agent.repairs

    def json_response(data: Any, status: int = 200) -> Response:
        return JSONResponse(to_data(data), status_code=status)

    def handler(fn: Callable[[Request], Awaitable[Response]]) -> Callable[[Request], Awaitable[Response]]:
        async def wrapped(request: Request) -> Response:
            if token is not None:
                given = request.headers.get("authorization", "")
                if not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
                    return JSONResponse({"error": "missing or wrong bearer token"}, status_code=401)
            try:
                return await fn(request)
            except ApiError as exc:
                return JSONResponse({"error": exc.message}, status_code=exc.status)
            except (ActionRefused, Refused) as exc:
                return JSONResponse({"error": str(exc)}, status_code=exc.status)
            except BackendError as exc:
                return JSONResponse(
                    {"error": exc.rejection.message, "rejection": to_data(exc.rejection)}, status_code=502
                )

        return wrapped

    def service_of(request: Request) -> BackendService:
        name = request.path_params["name"]
        service = agent.service(name)
        if service is None:
            raise ApiError(404, f"no backend named {name!r}")
        return service

    def queue_of(request: Request) -> QueueKind:
        raw = request.path_params["queue"]
        try:
            return QueueKind(raw)
        except ValueError:
            raise ApiError(404, f"no queue {raw!r} (queues: outbox, inbox, admin, conflicts)") from None

    def int_param(request: Request, key: str, default: int, low: int, high: int) -> int:
        raw = request.query_params.get(key)
        if raw is None:
            return default
        try:
            value = int(raw)
        except ValueError:
            raise ApiError(400, f"{key} must be a whole number, got {raw!r}") from None
        if not low <= value <= high:
            raise ApiError(400, f"{key} must be between {low} and {high}")
        return value

    async def body_of(request: Request) -> dict[str, Any]:
        try:
            body = await request.json()
        except ValueError:
            raise ApiError(400, "the request body must be a JSON object") from None
        if not isinstance(body, dict):
            raise ApiError(400, "the request body must be a JSON object")
        return body

    def id_list(body: dict[str, Any], key: str, *, allow_all: bool) -> list[str] | None:
        if allow_all and body.get("all") is True:
            return None
        ids = body.get(key)
        if not isinstance(ids, list) or not ids or not all(isinstance(i, str) and i for i in ids):
            extra = ' or {"all": true}' if allow_all else ""
            raise ApiError(400, f'give "{key}": a non-empty list of strings{extra}')
        if len(ids) > MAX_PAGE:
            raise ApiError(400, f"at most {MAX_PAGE} {key} at once")
        return ids

    def change_headers(request: Request) -> dict[str, str | None]:
        return {"pin": request.headers.get("x-synctui-pin"), "key": request.headers.get("idempotency-key")}

    async def healthz(request: Request) -> Response:
        return JSONResponse({"ok": True, "backends": len(agent.services), "revision": agent.revision})

    async def state(request: Request) -> Response:
        return json_response(agent.state())

    async def events(request: Request) -> Response:
        after = int_param(request, "after", -1, -1, 2**62)

        async def stream() -> AsyncIterator[str]:
            last = after
            while True:
                if agent.revision > last:
                    current = agent.state()
                    last = current.revision
                    yield f"data: {json.dumps(to_data(current), separators=(',', ':'))}\n\n"
                    continue
                if not await agent.wait_change(last, KEEPALIVE_SECONDS):
                    yield ": keepalive\n\n"
                elif await request.is_disconnected():
                    return

        return StreamingResponse(
            stream(), media_type="text/event-stream", headers={"Cache-Control": "no-cache"}
        )

    async def entries(request: Request) -> Response:
        service, queue = service_of(request), queue_of(request)
        offset = int_param(request, "offset", 0, 0, 2**31)
        limit = int_param(request, "limit", 50, 1, MAX_PAGE)
        filter_ = request.query_params.get("filter") or None
        page = await service.call(
            Capability.ENTRIES, lambda b: b.entries(queue, offset, limit, filter_), "listing entries"
        )
        return json_response(page)

    async def entry(request: Request) -> Response:
        service, queue = service_of(request), queue_of(request)
        entry_id = request.path_params["id"]
        detail = await service.call(
            Capability.ENTRIES, lambda b: b.entry(queue, entry_id), "reading an entry"
        )
        return json_response(detail)

    async def synchronize(request: Request) -> Response:
        service = service_of(request)
        key = request.headers.get("idempotency-key")
        status = await service.synchronize(key)
        return json_response(status, 202)

    async def refresh_one(request: Request) -> Response:
        agent.refresh(service_of(request).name)
        return JSONResponse({"ok": True}, status_code=202)

    async def refresh_all(request: Request) -> Response:
        agent.refresh()
        return JSONResponse({"ok": True}, status_code=202)

    async def retry(request: Request) -> Response:
        service, body = service_of(request), await body_of(request)
        ids = id_list(body, "ids", allow_all=True)
        return json_response(await agent.repairs.retry(service, ids, **change_headers(request)))

    async def discard(request: Request) -> Response:
        service, body = service_of(request), await body_of(request)
        try:
            queue = QueueKind(body.get("queue", "conflicts"))
        except ValueError:
            raise ApiError(400, "queue must be one of outbox, inbox, admin, conflicts") from None
        ids = id_list(body, "ids", allow_all=False) or []
        return json_response(await agent.repairs.discard(service, queue, ids, **change_headers(request)))

    async def reset(request: Request) -> Response:
        service, body = service_of(request), await body_of(request)
        keys = id_list(body, "keys", allow_all=True)
        return json_response(await agent.repairs.reset(service, keys, **change_headers(request)))

    async def compare(request: Request) -> Response:
        service, queue = service_of(request), queue_of(request)
        return json_response(await agent.repairs.compare(service, queue, request.path_params["id"]))

    async def resubmit(request: Request) -> Response:
        service, body = service_of(request), await body_of(request)
        bounds = []
        for key in ("since", "until"):
            try:
                value = datetime.fromisoformat(str(body.get(key, "")))
            except ValueError:
                raise ApiError(400, f'"{key}" must be an ISO date or time, e.g. 2026-11-01') from None
            bounds.append(value if value.tzinfo else value.replace(tzinfo=UTC))
        status = agent.repairs.resubmit(service, bounds[0], bounds[1], **change_headers(request))
        return json_response(status, 202)

    async def cancel(request: Request) -> Response:
        return json_response(service_of(request).cancel(request.path_params["id"]), 202)

    async def check_connection(request: Request) -> Response:
        return json_response(await agent.repairs.check_connection(service_of(request)))

    async def count_remotes(request: Request) -> Response:
        return json_response(await agent.repairs.count_remotes(service_of(request)))

    async def settings(request: Request) -> Response:
        service = service_of(request)
        if request.method == "GET":
            return json_response(await agent.repairs.settings(service))
        values = (await body_of(request)).get("values")
        if not isinstance(values, dict) or not all(isinstance(v, str) for v in values.values()):
            raise ApiError(400, 'give "values": an object of setting keys to text values')
        return json_response(await agent.repairs.change_settings(service, values, **change_headers(request)))

    async def archive(request: Request) -> Response:
        limit = int_param(request, "limit", 100, 1, 10_000)
        records, restored = repairs.archive_index()
        listed = list(records.values())[-limit:]
        return JSONResponse(
            [
                {**{k: v for k, v in r.items() if k != "payload"}, "restored": restored.get(r["archive_id"])}
                for r in listed
            ]
        )

    async def archived(request: Request) -> Response:
        records, restored = repairs.archive_index()
        record = records.get(request.path_params["id"])
        if record is None:
            raise ApiError(404, f"nothing archived under {request.path_params['id']!r}")
        return JSONResponse({**record, "restored": restored.get(record["archive_id"])})

    async def restore(request: Request) -> Response:
        result = await repairs.restore(request.path_params["id"], **change_headers(request))
        return json_response(result)

    async def plugins(request: Request) -> Response:
        return json_response(agent.registry.plugins)

    async def audit(request: Request) -> Response:
        limit = int_param(request, "limit", 100, 1, 10_000)
        return JSONResponse(agent.store.audit.read(limit))

    async def metrics(request: Request) -> Response:
        body, content_type = render_metrics(registry)
        return Response(body, media_type=content_type)

    routes = [
        Route("/healthz", handler(healthz)),
        Route("/v1/state", handler(state)),
        Route("/v1/events", handler(events)),
        Route("/v1/backends/{name}/queues/{queue}", handler(entries)),
        Route("/v1/backends/{name}/queues/{queue}/{id}", handler(entry)),
        Route("/v1/backends/{name}/synchronize", handler(synchronize), methods=["POST"]),
        Route("/v1/backends/{name}/refresh", handler(refresh_one), methods=["POST"]),
        Route("/v1/refresh", handler(refresh_all), methods=["POST"]),
        Route("/v1/backends/{name}/retry", handler(retry), methods=["POST"]),
        Route("/v1/backends/{name}/discard", handler(discard), methods=["POST"]),
        Route("/v1/backends/{name}/reset", handler(reset), methods=["POST"]),
        Route("/v1/backends/{name}/compare/{queue}/{id}", handler(compare)),
        Route("/v1/backends/{name}/count-remotes", handler(count_remotes), methods=["POST"]),
        Route("/v1/backends/{name}/check-connection", handler(check_connection), methods=["POST"]),
        Route("/v1/backends/{name}/resubmit", handler(resubmit), methods=["POST"]),
        Route("/v1/backends/{name}/actions/{id}/cancel", handler(cancel), methods=["POST"]),
        Route("/v1/backends/{name}/settings", handler(settings), methods=["GET", "POST"]),
        Route("/v1/archive", handler(archive)),
        Route("/v1/archive/{id}", handler(archived)),
        Route("/v1/archive/{id}/restore", handler(restore), methods=["POST"]),
        Route("/v1/plugins", handler(plugins)),
        Route("/v1/audit", handler(audit)),
        Route("/metrics", handler(metrics)),
    ]
    return Starlette(routes=routes)
