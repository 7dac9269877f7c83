"""The HCM server as the sync runner calls it: one POST with the request envelope, and the search by
clientReferenceId that confirmation, re-send checks, Check connection and Compare rely on."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import httpx

from synctui.backend import AnswerTooLarge, Secret, read_limited
from synctui.model import Category, Rejection

from .options import HCMOptions
from .rejections import garbage_rejection, http_rejection, transport_rejection
from .sync_outcome import Abort, Failure
from .wire import (
    EntityWire,
    ServerEntity,
    WireError,
    loads,
    parse_search_response,
    request_info,
    search_body,
)

MAX_ANSWER = 32 * 1024 * 1024  # bytes of one answer of the server; a larger one is not read further


def too_large_rejection() -> Rejection:
    """The answer was too large to read. A send may have reached the server: like a lost answer, the
    rows stay queued and are verified (search by clientReferenceId) before any re-send."""
    return Rejection(
        category=Category.SERVER,
        message=f"The server sent an answer larger than {MAX_ANSWER // 2**20} MB; synctui stopped reading it.",
        advice="Nothing was lost; the rows stay queued and will be verified before any re-send. Check the "
        "base URL; report it if it keeps happening.",
        code="ANSWER_TOO_LARGE",
    )


class ServerApi:
    def __init__(
        self, options: HCMOptions, http: httpx.AsyncClient, base_url: str, token: Secret | None
    ) -> None:
        self.opts = options
        self.http = http
        self.base_url = base_url.rstrip("/")
        self.token = token
        self._urls: dict[str, httpx.URL] = {}

    def info(self, path: str) -> dict[str, Any]:
        token = self.token.reveal() if self.token else None
        return request_info(path.rsplit("/", 1)[-1], token, self.opts.user_info, self.opts.tenant_id)

    async def post(self, path: str, body: dict[str, Any], **params: Any) -> httpx.Response:
        url = f"{self.base_url}{path}"
        try:
            return await read_limited(
                self.http,
                "POST",
                url,
                MAX_ANSWER,
                params={"tenantId": self.opts.tenant_id, **params},
                json=body,
            )
        except AnswerTooLarge:
            raise Failure(too_large_rejection()) from None
        except (httpx.HTTPError, httpx.InvalidURL) as exc:
            raise Failure(transport_rejection(exc, self.base_url)) from None

    async def post_json(
        self, path: str, content: bytes, written: asyncio.Future[None] | None = None
    ) -> httpx.Response:
        """POST a ready-made JSON body. `written` is resolved once the request is on the wire (from
        httpcore's trace; a transport that does not trace resolves it when the call ends)."""
        url = self._urls.get(path)
        if url is None:  # parsed once per path: that is most of httpx's own work per request
            try:
                url = httpx.URL(f"{self.base_url}{path}", params={"tenantId": self.opts.tenant_id})
            except (httpx.InvalidURL, ValueError) as exc:
                raise Failure(transport_rejection(exc, self.base_url)) from None
            self._urls[path] = url
        extensions = {"trace": _on_written(written)} if written is not None else None
        try:
            return await read_limited(
                self.http, "POST", url, MAX_ANSWER, content=content, headers=_JSON, extensions=extensions
            )
        except AnswerTooLarge:
            raise Failure(too_large_rejection()) from None
        except (httpx.HTTPError, httpx.InvalidURL) as exc:
            raise Failure(transport_rejection(exc, self.base_url)) from None
        finally:
            if written is not None and not written.done():
                written.set_result(None)

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


_JSON = {"Content-Type": "application/json"}


def _on_written(written: asyncio.Future[None]) -> Callable[[str, dict[str, Any]], Awaitable[None]]:
    async def trace(event: str, info: dict[str, Any]) -> None:
        if event.endswith("send_request_body.complete") and not written.done():
            written.set_result(None)

    return trace
