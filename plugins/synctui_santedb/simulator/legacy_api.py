"""The SanteDB 2.x (`/app`, reference §7) and OpenIZ (`/__app`, §8) sync-centre endpoints over the same
simulated state as the 3.x API. JSON shapes are in legacy_json.py.

2.x:    POST /auth/oauth2_token;  GET /app/Queue {admin, inbound, outbound, dead};
        GET /app/Queue/{q}?_offset&_count (plain list);  GET /app/Queue/{q}/{id} payload;
        POST /app/Queue/dead/{id} retry one;  POST /app/Queue retry all;
        DELETE /app/Queue/{q}/confirm/{id};  GET /app/Sync log;  POST /app/Sync synchronize
        (500 "Already synchronizing" while running);  DELETE /app/Queue reset all;
        DELETE /app/Queue/{resourceType} reset one type.
OpenIZ: POST /__auth/authenticate;  GET /__app/queue?_queue&_offset&_count {Size, CollectionItem, Offset}
        (&_id=<n>: one entry, `data` = base64 payload);  POST /__app/queue synchronize;
        PUT /__app/queue?_id=<n> requeue a dead entry;  DELETE /__app/queue?_id=<n>&_queue=dead;
        PUT /__app/data/sync?creationTime=>…&creationTime=<…[&id=!<key>…] re-submit (resubmit.py).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from . import resubmit
from .jobs import UPSTREAM_JOB_ID
from .legacy_json import QUEUE_NAMES, entry_json, error, log_json, payload_b64
from .queue_model import SimulatorError, parse_entry_id

if TYPE_CHECKING:
    from .app import SimulatorApp

__all__ = ["LegacyApi", "error"]


class LegacyApi:
    def __init__(self, app: SimulatorApp) -> None:
        self.app = app
        self.state = app.state

    def register(self, profile: str) -> None:
        add = self.app._add
        if profile == "santedb2":
            add("POST", r"/auth/oauth2_token", self.app.token, auth=False)
            add("GET", r"/app/Queue", self.v2_counts)
            add("POST", r"/app/Queue", self.v2_retry_all)
            add("DELETE", r"/app/Queue", self.v2_reset_all)
            add("GET", r"/app/Queue/(?P<q>[^/]+)", self.v2_list)
            add("DELETE", r"/app/Queue/(?P<type>[^/]+)", self.v2_reset_type)
            add("POST", r"/app/Queue/dead/(?P<id>[^/]+)", self.v2_retry)
            add("GET", r"/app/Queue/(?P<q>[^/]+)/(?P<id>[^/]+)", self.v2_payload)
            add("DELETE", r"/app/Queue/(?P<q>[^/]+)/confirm/(?P<id>[^/]+)", self.v2_delete)
            add("GET", r"/app/Sync", self.v2_log)
            add("POST", r"/app/Sync", self.v2_sync)
        else:
            add("POST", r"/__auth/authenticate", self.app.token, auth=False)
            add("GET", r"/__app/queue", self.oiz_get)
            add("POST", r"/__app/queue", self.oiz_sync)
            add("PUT", r"/__app/queue", self.oiz_retry)
            add("DELETE", r"/__app/queue", self.oiz_delete)
            add("PUT", r"/__app/data/sync", self.oiz_resubmit)

    @property
    def profile(self) -> str:
        return self.app.profile

    def _queue(self, name: str | None) -> str:
        queue = QUEUE_NAMES.get((name or "").lower())
        if queue is None:
            raise SimulatorError(404, "KeyNotFoundException", f"Queue {name} not found")
        return queue

    def _page(self, request: Request, queue: str) -> tuple[list[dict[str, Any]], int, int]:
        try:
            offset = int(request.query_params.get("_offset", "0"))
            count = int(request.query_params.get("_count", "100"))
        except ValueError as exc:
            raise SimulatorError(400, "FormatException", "_offset and _count must be integers") from exc
        if offset < 0 or count < 0:
            raise SimulatorError(
                400, "ArgumentOutOfRangeException", "_offset and _count must not be negative"
            )
        entries, total = self.state.queue_page(queue, offset, count)
        return [entry_json(e, self.profile) for e in entries], offset, total

    def _start_sync(self) -> bool:
        return self.state.runner.start(UPSTREAM_JOB_ID, ["All", True])

    # -- SanteDB 2.x -------------------------------------------------------------------------------
    async def v2_counts(self, request: Request, match: re.Match[str]) -> Response:
        counts = self.state.counts()
        return JSONResponse({name: counts[queue] for name, queue in QUEUE_NAMES.items()})

    async def v2_list(self, request: Request, match: re.Match[str]) -> Response:
        items, _, _ = self._page(request, self._queue(match["q"]))
        return JSONResponse(items)

    async def v2_payload(self, request: Request, match: re.Match[str]) -> Response:
        entry = self.state.get_entry(self._queue(match["q"]), parse_entry_id(match["id"]))
        payload = self.state.payload(entry)
        if isinstance(payload, str):
            return Response(payload, media_type="application/xml")
        return JSONResponse(payload)

    async def v2_retry(self, request: Request, match: re.Match[str]) -> Response:
        self.state.retry(parse_entry_id(match["id"]))
        return Response(status_code=204)

    async def v2_retry_all(self, request: Request, match: re.Match[str]) -> Response:
        self.state.retry_all()
        return Response(status_code=204)

    async def v2_delete(self, request: Request, match: re.Match[str]) -> Response:
        self.state.delete(self._queue(match["q"]), parse_entry_id(match["id"]))
        return Response(status_code=204)

    async def v2_log(self, request: Request, match: re.Match[str]) -> Response:
        return JSONResponse([log_json(row) for row in self.state.log_rows()])

    async def v2_reset_all(self, request: Request, match: re.Match[str]) -> Response:
        self.state.reset_log()
        return Response(status_code=204)

    async def v2_reset_type(self, request: Request, match: re.Match[str]) -> Response:
        wanted = match["type"].lower()
        for row in [r for r in self.state.log_rows() if r.resource_type.lower() == wanted]:
            self.state.reset_log(row.key)
        return Response(status_code=204)

    async def v2_sync(self, request: Request, match: re.Match[str]) -> Response:
        if not self._start_sync():
            raise SimulatorError(500, "InvalidOperationException", "Already synchronizing")
        return Response(status_code=204)

    # -- OpenIZ --------------------------------------------------------------------------------------
    async def oiz_get(self, request: Request, match: re.Match[str]) -> Response:
        queue = self._queue(request.query_params.get("_queue"))
        if "_id" in request.query_params:
            entry = self.state.get_entry(queue, parse_entry_id(request.query_params["_id"]))
            return JSONResponse(entry_json(entry, self.profile, payload_b64(self.state.payload(entry))))
        items, offset, total = self._page(request, queue)
        return JSONResponse({"Size": total, "Offset": offset, "CollectionItem": items})

    async def oiz_sync(self, request: Request, match: re.Match[str]) -> Response:
        self._start_sync()  # already running: this call joins it
        return Response(status_code=204)

    async def oiz_retry(self, request: Request, match: re.Match[str]) -> Response:
        self.state.retry(parse_entry_id(request.query_params.get("_id")))
        return Response(status_code=204)

    async def oiz_delete(self, request: Request, match: re.Match[str]) -> Response:
        queue = self._queue(request.query_params.get("_queue", "dead"))
        self.state.delete(queue, parse_entry_id(request.query_params.get("_id")))
        return Response(status_code=204)

    async def oiz_resubmit(self, request: Request, match: re.Match[str]) -> Response:
        since, until = resubmit.parse_range(request.query_params.getlist("creationTime"))
        chosen, left_out = resubmit.parse_ids(request.query_params.getlist("id"))
        await resubmit.resubmit(self.state, since, until, chosen, left_out)
        return Response(status_code=204)  # ForceRequeue returns nothing
