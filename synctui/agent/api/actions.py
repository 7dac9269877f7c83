"""Actions on a backend, as the catalogue declares them (synctui.actions); the runner enforces it."""

from __future__ import annotations

from datetime import UTC, datetime

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from synctui.agent.api.common import Api, ApiError, json_response


def routes(api: Api) -> list[Route]:
    agent = api.agent
    repairs = agent.repairs

    async def synchronize(request: Request) -> Response:
        status = await repairs.synchronize(api.service(request), **api.change_headers(request))
        return json_response(status, 202)

    async def refresh_one(request: Request) -> Response:
        agent.refresh(api.service(request).name)
        return JSONResponse({"ok": True}, status_code=202)

    async def retry(request: Request) -> Response:
        service, body = api.service(request), await api.body(request)
        ids = api.id_list(body, "ids", allow_all=True)
        return json_response(await repairs.retry(service, ids, **api.change_headers(request)))

    async def discard(request: Request) -> Response:
        service, body = api.service(request), await api.body(request)
        queue = api.queue(str(body.get("queue", "conflicts")), status=400)
        ids = api.id_list(body, "ids", allow_all=False) or []
        return json_response(await repairs.discard(service, queue, ids, **api.change_headers(request)))

    async def reset(request: Request) -> Response:
        service, body = api.service(request), await api.body(request)
        keys = api.id_list(body, "keys", allow_all=True)
        return json_response(await repairs.reset(service, keys, **api.change_headers(request)))

    async def resubmit(request: Request) -> Response:
        service, body = api.service(request), await api.body(request)
        bounds = []
        for key in ("since", "until"):
            try:
                value = datetime.fromisoformat(str(body.get(key, "")))
            except ValueError:
                raise ApiError(400, f'"{key}" must be an ISO date or time, e.g. 2026-11-01') from None
            bounds.append(value if value.tzinfo else value.replace(tzinfo=UTC))
        status = await repairs.resubmit(service, bounds[0], bounds[1], **api.change_headers(request))
        return json_response(status, 202)

    async def cancel(request: Request) -> Response:
        return json_response(api.service(request).cancel(request.path_params["id"]), 202)

    async def check_connection(request: Request) -> Response:
        return json_response(await repairs.check_connection(api.service(request)))

    async def count_remotes(request: Request) -> Response:
        return json_response(await repairs.count_remotes(api.service(request)))

    async def settings(request: Request) -> Response:
        service = api.service(request)
        if request.method == "GET":
            return json_response(await repairs.settings(service))
        values = (await api.body(request)).get("values")
        if not isinstance(values, dict) or not all(isinstance(v, str) for v in values.values()):
            raise ApiError(400, 'give "values": an object of setting keys to text values')
        return json_response(await repairs.change_settings(service, values, **api.change_headers(request)))

    base = "/v1/backends/{name}"
    return [
        api.route(f"{base}/synchronize", synchronize, methods=["POST"]),
        api.route(f"{base}/refresh", refresh_one, methods=["POST"]),
        api.route(f"{base}/retry", retry, methods=["POST"]),
        api.route(f"{base}/discard", discard, methods=["POST"]),
        api.route(f"{base}/reset", reset, methods=["POST"]),
        api.route(f"{base}/resubmit", resubmit, methods=["POST"]),
        api.route(f"{base}/actions/{{id}}/cancel", cancel, methods=["POST"]),
        api.route(f"{base}/check-connection", check_connection, methods=["POST"]),
        api.route(f"{base}/count-remotes", count_remotes, methods=["POST"]),
        api.route(f"{base}/settings", settings, methods=["GET", "POST"]),
    ]
