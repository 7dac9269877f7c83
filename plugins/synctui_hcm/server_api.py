"""The HCM server as the sync runner calls it: one POST with the request envelope, and the search by
clientReferenceId that confirmation, re-send checks, Check connection and Compare rely on."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import httpx

from synctui.backend import Secret
from synctui_hcm.errors import garbage_rejection, http_rejection, transport_rejection
from synctui_hcm.options import HCMOptions
from synctui_hcm.sync_outcome import Abort, Failure
from synctui_hcm.wire import (
    EntityWire,
    ServerEntity,
    WireError,
    loads,
    parse_search_response,
    request_info,
    search_body,
)


class ServerApi:
    def __init__(
        self, options: HCMOptions, http: httpx.AsyncClient, base_url: str, token: Secret | None
    ) -> None:
        self.opts = options
        self.http = http
        self.base_url = base_url.rstrip("/")
        self.token = token

    def info(self, path: str) -> dict[str, Any]:
        token = self.token.reveal() if self.token else None
        return request_info(path.rsplit("/", 1)[-1], token, self.opts.user_info, self.opts.tenant_id)

    async def post(self, path: str, body: dict[str, Any], **params: Any) -> httpx.Response:
        url = f"{self.base_url}{path}"
        try:
            return await self.http.post(url, params={"tenantId": self.opts.tenant_id, **params}, json=body)
        except (httpx.HTTPError, httpx.InvalidURL) as exc:
            raise Failure(transport_rejection(exc, self.base_url)) from None

    async def search(self, wire: EntityWire, crefs: Sequence[str]) -> dict[str, ServerEntity]:
        """Server copies by clientReferenceId (deleted ones included). Raises Failure, never "not found"
        for a failed call."""
        found: dict[str, ServerEntity] = {}
        step = self.opts.search_limit
        for start in range(0, len(crefs), step):
            chunk = list(crefs[start : start + step])
            resp = await self.post(
                wire.search_path,
                search_body(wire, chunk, self.info(wire.search_path)),
                limit=step,
                offset=0,
                includeDeleted="true",
            )
            if resp.status_code in (401, 403):
                raise Abort(http_rejection(resp))
            if not 200 <= resp.status_code < 300:
                raise Failure(http_rejection(resp))
            try:
                entities = parse_search_response(wire, loads(resp.content))
            except WireError as exc:
                raise Failure(garbage_rejection(str(exc), resp.status_code)) from None
            wanted = set(chunk)
            for entity in entities:
                if entity.client_reference_id in wanted:
                    found.setdefault(entity.client_reference_id, entity)
        return found
