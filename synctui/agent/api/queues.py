"""Reading queues: one page of entries, one entry with its payload, an entry beside the server's copy."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from synctui.agent.api.common import MAX_PAGE, Api, json_response
from synctui.agent.explain import explain_detail, explain_page
from synctui.model import Capability


def routes(api: Api) -> list[Route]:
    async def entries(request: Request) -> Response:
        service, queue = api.service(request), api.queue(request.path_params["queue"])
        offset = api.int_param(request, "offset", 0, 0, 2**31)
        limit = api.int_param(request, "limit", 50, 1, MAX_PAGE)
        filter_ = request.query_params.get("filter") or None
        page = await service.call(
            Capability.ENTRIES, lambda b: b.entries(queue, offset, limit, filter_), "listing entries"
        )
        return json_response(explain_page(api.agent.registry, service.settings.kind, page))

    async def entry(request: Request) -> Response:
        service, queue = api.service(request), api.queue(request.path_params["queue"])
        entry_id = request.path_params["id"]
        detail = await service.call(
            Capability.ENTRIES, lambda b: b.entry(queue, entry_id), "reading an entry"
        )
        return json_response(explain_detail(api.agent.registry, service.settings.kind, detail))

    async def compare(request: Request) -> Response:
        service, queue = api.service(request), api.queue(request.path_params["queue"])
        return json_response(await api.agent.repairs.compare(service, queue, request.path_params["id"]))

    return [
        api.route("/v1/backends/{name}/queues/{queue}", entries),
        api.route("/v1/backends/{name}/queues/{queue}/{id}", entry),
        api.route("/v1/backends/{name}/compare/{queue}/{id}", compare),
    ]
