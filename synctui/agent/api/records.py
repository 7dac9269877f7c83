"""What the agent keeps: the audit log, the archive of discarded entries, and restoring from it."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from synctui.agent.api.common import Api, ApiError, SafeJSONResponse, json_response


def routes(api: Api) -> list[Route]:
    agent = api.agent
    repairs = agent.repairs

    async def audit(request: Request) -> Response:
        limit = api.int_param(request, "limit", 100, 1, 10_000)
        return SafeJSONResponse(agent.store.audit.read(limit))

    async def archive(request: Request) -> Response:
        limit = api.int_param(request, "limit", 100, 1, 10_000)
        records, restored = repairs.archive_index()
        listed = list(records.values())[-limit:]
        return SafeJSONResponse([{**r, "restored": restored.get(r["archive_id"])} for r in listed])

    async def archived(request: Request) -> Response:
        records, restored = repairs.archive_index(with_payload=request.path_params["id"])
        record = records.get(request.path_params["id"])
        if record is None:
            raise ApiError(404, f"nothing archived under {request.path_params['id']!r}")
        return SafeJSONResponse({**record, "restored": restored.get(record["archive_id"])})

    async def restore(request: Request) -> Response:
        result = await repairs.restore(request.path_params["id"], **api.change_headers(request))
        return json_response(result)

    return [
        api.route("/v1/audit", audit),
        api.route("/v1/archive", archive),
        api.route("/v1/archive/{id}", archived),
        api.route("/v1/archive/{id}/restore", restore, methods=["POST"]),
    ]
