"""What the agent knows: liveness, the state, its push stream, plugins, metrics; refresh on demand."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from synctui.agent.api.common import Api, json_response
from synctui.agent.metrics import metrics_registry, render_metrics
from synctui.model import to_data

KEEPALIVE_SECONDS = 15.0


def routes(api: Api) -> list[Route]:
    agent = api.agent
    registry = metrics_registry(agent)

    async def healthz(request: Request) -> Response:
        return JSONResponse({"ok": True, "backends": len(agent.services), "revision": agent.revision})

    async def state(request: Request) -> Response:
        return json_response(agent.state())

    async def events(request: Request) -> Response:
        after = api.int_param(request, "after", -1, -1, 2**62)

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

    async def refresh_all(request: Request) -> Response:
        agent.refresh()
        return JSONResponse({"ok": True}, status_code=202)

    async def plugins(request: Request) -> Response:
        return json_response(agent.registry.plugins)

    async def metrics(request: Request) -> Response:
        body, content_type = render_metrics(registry)
        return Response(body, media_type=content_type)

    return [
        api.route("/healthz", healthz),
        api.route("/v1/state", state),
        api.route("/v1/events", events),
        api.route("/v1/refresh", refresh_all, methods=["POST"]),
        api.route("/v1/plugins", plugins),
        api.route("/metrics", metrics),
    ]
