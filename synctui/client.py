"""The TUI's view of an agent, over the agent API.

`AgentClient` (synctui.client_interface) is all the dashboard knows. `HttpAgentClient` implements it
over the agent's Unix socket (or TCP with a bearer token); an embedded agent
(synctui.agent.run.start_agent) serves the same API on a private socket, so both paths run the same
code.
"""

from __future__ import annotations

import asyncio
import json
import logging
import socket as sockets
import sys
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import quote, urlencode

from synctui.client_interface import AgentRefused, AgentTokenRefused, AgentUnavailable
from synctui.i18n import _
from synctui.model import (
    ActionResult,
    ActionStatus,
    AgentState,
    Comparison,
    DecodeError,
    EntryDetail,
    EntryPage,
    Health,
    PluginInfo,
    QueueKind,
    Setting,
    SyncLogRow,
    from_data,
)
from synctui.socket_stream import Answer, StreamRefused, get, get_lines, send_get, sent_answer

if TYPE_CHECKING:
    from synctui._httpx import httpx

T = TypeVar("T")
PATH_SAFE = "/:@!$&'()*+,;=%"  # left as they are in a request's path (httpx leaves them too)
log = logging.getLogger(__name__)


TOKEN_REFUSAL = "bearer token"  # in the agent's 401 answer to a request without the right token


class HttpAgentClient:
    """AgentClient over HTTP: a Unix socket, TCP, or any httpx transport (in-process ASGI).

    On a Unix socket the event stream and every GET are read with the standard library
    (synctui.socket_stream), and httpx is loaded for the first change (POST): neither the dashboard's
    first frame nor opening a queue waits for httpx."""

    def __init__(
        self,
        *,
        socket: Path | None = None,
        url: str | None = None,
        token: str | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        description: str | None = None,
        timeout: float = 10.0,
        token_refused: Callable[[AgentTokenRefused], BaseException] | None = None,
    ) -> None:
        """`token_refused` turns the agent's refusal of the token into what is raised instead (a
        command ends on it); without it, AgentTokenRefused is raised. The token is only ever sent in
        the Authorization header, never put in a message."""
        self.description = description or (str(socket) if socket else url or "agent")
        self._where = self.description
        self._token_refused = token_refused
        self._socket = socket if transport is None else None  # GETs read here without httpx
        self._url = url
        self._transport = transport
        self._headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._timeout = timeout
        self._client: httpx.AsyncClient | None = None
        self._early: sockets.socket | None = None  # the state request `ask_state_now` sent

    @property
    def _http(self) -> httpx.AsyncClient:
        if self._client is None:
            from synctui._httpx import httpx

            transport = self._transport
            if transport is None and self._socket is not None:  # no TLS on a Unix socket
                transport = httpx.AsyncHTTPTransport(uds=str(self._socket), verify=False)
            self._client = httpx.AsyncClient(
                base_url=self._url or "http://synctui-agent",
                transport=transport,
                headers=self._headers,
                timeout=httpx.Timeout(self._timeout, read=self._timeout),
            )
        return self._client

    async def _request(self, method: str, path: str, **kwargs: Any) -> Any:
        if self._socket is not None and method == "GET":
            return await self._socket_get(self._socket, path, kwargs.get("params"))
        from synctui._httpx import httpx

        try:
            response = await self._http.request(method, path, **kwargs)
        except (httpx.TransportError, OSError) as exc:
            raise AgentUnavailable(
                _("cannot reach the agent at {where}: {reason}").format(
                    where=self._where, reason=_reason(exc)
                )
            ) from exc
        return self._answer(response.status_code, response.reason_phrase, response.headers, response.text)

    async def _socket_get(self, socket: Path, path: str, params: dict[str, Any] | None) -> Any:
        """A GET on the agent's Unix socket without httpx (see synctui.socket_stream)."""
        target = quote(path, safe=PATH_SAFE) + (f"?{urlencode(params)}" if params else "")
        return await self._read(get(socket, target, self._headers))

    async def _read(self, answer: Awaitable[Answer]) -> Any:
        """The JSON of a GET's `answer`, read on the Unix socket (see `_answer`)."""
        try:
            got = await asyncio.wait_for(answer, self._timeout)
        except (OSError, TimeoutError) as exc:
            raise AgentUnavailable(
                _("cannot reach the agent at {where}: {reason}").format(
                    where=self._where, reason=_reason(exc)
                )
            ) from exc
        return self._answer(got.status, got.reason, got.headers, got.body.decode("utf-8", "replace"))

    def _answer(self, status: int, reason: str, headers: Any, text: str) -> Any:
        """The JSON of an answer, or the agent's refusal raised with its message."""
        if status >= 400:
            try:
                message = json.loads(text).get("error", text)
            except (ValueError, AttributeError):
                message = text or reason
            self._check_token(status, str(message), bearer=_bearer(headers))
            raise AgentRefused(status, str(message))
        try:
            return json.loads(text)
        except ValueError as exc:
            raise AgentUnavailable(
                _("the agent at {where} sent something that is not JSON").format(where=self._where)
            ) from exc

    def _check_token(self, status: int, message: str, *, bearer: bool = False) -> None:
        """Raise the token refusal when the agent's 401 comes from its token check."""
        if status == 401 and (bearer or TOKEN_REFUSAL in message.lower()):
            refused = AgentTokenRefused(self._where)
            raise (self._token_refused(refused) if self._token_refused else refused) from None

    async def _get(self, cls: type[T], path: str, **kwargs: Any) -> T:
        return _decode(cls, await self._request("GET", path, **kwargs))

    async def state(self) -> AgentState:
        return await self._get(AgentState, "/v1/state")

    def ask_state_now(self) -> None:
        """On a Unix socket, send the state request at once, without an event loop: the agent prepares
        the answer while the dashboard imports and styles itself, and `early_state` reads it. A
        connection that fails now is left to the update stream to report."""
        if self._socket is None or self._early is not None:
            return
        try:
            self._early = send_get(self._socket, "/v1/state", self._headers, self._timeout)
        except OSError:
            log.debug("asking the agent for its state early failed", exc_info=True)

    async def early_state(self) -> AgentState:
        """The state `ask_state_now` asked for (a new request when it sent none)."""
        sock, self._early = self._early, None
        if sock is None:
            return await self.state()
        return _decode(AgentState, await self._read(sent_answer(sock)))

    async def updates(self) -> AsyncIterator[AgentState]:
        if self._socket is not None:
            async for state in self._socket_updates(self._socket):
                yield state
            return
        from synctui._httpx import httpx

        revision = -1
        while True:
            try:
                async with self._http.stream(
                    "GET",
                    "/v1/events",
                    params={"after": revision},
                    timeout=httpx.Timeout(10.0, read=None),
                ) as response:
                    if response.status_code >= 400:
                        await response.aread()
                        self._check_token(
                            response.status_code, response.text, bearer=_bearer(response.headers)
                        )
                        raise AgentRefused(response.status_code, "the agent refused the event stream")
                    async for data in _sse_events(response.aiter_lines()):
                        state = _decode(AgentState, json.loads(data))
                        revision = state.revision
                        yield state
            except (httpx.TransportError, OSError) as exc:
                raise AgentUnavailable(
                    _("lost the agent at {where}: {reason}").format(where=self._where, reason=_reason(exc))
                ) from exc
            await asyncio.sleep(0.2)  # the server closed the stream cleanly: resume from revision

    async def _socket_updates(self, socket: Path) -> AsyncIterator[AgentState]:
        """`updates` on the agent's Unix socket without httpx (see synctui.socket_stream)."""
        revision = -1
        while True:
            lines = get_lines(
                socket, f"/v1/events?after={revision}", self._headers, connect_timeout=self._timeout
            )
            try:
                async for data in _sse_events(lines):
                    state = _decode(AgentState, json.loads(data))
                    revision = state.revision
                    yield state
            except StreamRefused as exc:
                self._check_token(exc.status, exc.text, bearer=_bearer(exc.headers))
                raise AgentRefused(exc.status, "the agent refused the event stream") from None
            except (OSError, TimeoutError) as exc:
                raise AgentUnavailable(
                    _("lost the agent at {where}: {reason}").format(where=self._where, reason=_reason(exc))
                ) from exc
            finally:
                await lines.aclose()
            await asyncio.sleep(0.2)  # the agent closed the stream cleanly: resume from revision

    async def entries(
        self,
        backend: str,
        queue: QueueKind,
        offset: int = 0,
        limit: int = 50,
        filter: str | None = None,
    ) -> EntryPage:
        params: dict[str, Any] = {"offset": offset, "limit": limit}
        if filter:
            params["filter"] = filter
        return await self._get(EntryPage, f"/v1/backends/{backend}/queues/{queue.value}", params=params)

    async def entry(self, backend: str, queue: QueueKind, id: str) -> EntryDetail:
        return await self._get(EntryDetail, f"/v1/backends/{backend}/queues/{queue.value}/{id}")

    async def synchronize(self, backend: str, *, key: str | None = None) -> ActionStatus:
        data = await self._change(f"/v1/backends/{backend}/synchronize", {}, None, key)
        return _decode(ActionStatus, data)

    async def refresh(self, backend: str | None = None) -> None:
        path = f"/v1/backends/{backend}/refresh" if backend else "/v1/refresh"
        await self._request("POST", path)

    async def plugins(self) -> list[PluginInfo]:
        data = await self._request("GET", "/v1/plugins")
        return [_decode(PluginInfo, item) for item in data]

    async def _change(self, path: str, body: dict[str, Any], pin: str | None, key: str | None) -> Any:
        headers = {"Idempotency-Key": key or uuid.uuid4().hex}
        if pin:
            headers["X-Synctui-Pin"] = pin
        return await self._request("POST", path, json=body, headers=headers)

    async def retry(
        self, backend: str, ids: list[str] | None, *, pin: str | None = None, key: str | None = None
    ) -> ActionResult:
        body: dict[str, Any] = {"all": True} if ids is None else {"ids": list(ids)}
        return _decode(ActionResult, await self._change(f"/v1/backends/{backend}/retry", body, pin, key))

    async def discard(
        self,
        backend: str,
        queue: QueueKind,
        ids: list[str],
        *,
        pin: str | None = None,
        key: str | None = None,
    ) -> ActionResult:
        body = {"queue": queue.value, "ids": list(ids)}
        return _decode(ActionResult, await self._change(f"/v1/backends/{backend}/discard", body, pin, key))

    async def reset(
        self, backend: str, keys: list[str] | None, *, pin: str | None = None, key: str | None = None
    ) -> ActionResult:
        body: dict[str, Any] = {"all": True} if keys is None else {"keys": list(keys)}
        return _decode(ActionResult, await self._change(f"/v1/backends/{backend}/reset", body, pin, key))

    async def compare(self, backend: str, queue: QueueKind, id: str) -> Comparison:
        return await self._get(Comparison, f"/v1/backends/{backend}/compare/{queue.value}/{id}")

    async def count_remotes(self, backend: str) -> list[SyncLogRow]:
        data = await self._request("POST", f"/v1/backends/{backend}/count-remotes")
        return _decode(list[SyncLogRow], data)

    async def resubmit(
        self,
        backend: str,
        since: datetime,
        until: datetime,
        *,
        pin: str | None = None,
        key: str | None = None,
    ) -> ActionStatus:
        body = {"since": since.isoformat(), "until": until.isoformat()}
        return _decode(ActionStatus, await self._change(f"/v1/backends/{backend}/resubmit", body, pin, key))

    async def cancel(self, backend: str, action_id: str) -> ActionStatus:
        return _decode(
            ActionStatus, await self._request("POST", f"/v1/backends/{backend}/actions/{action_id}/cancel")
        )

    async def check_connection(self, backend: str) -> Health:
        return _decode(Health, await self._request("POST", f"/v1/backends/{backend}/check-connection"))

    async def audit(self, limit: int = 100) -> list[dict[str, Any]]:
        return await self._request("GET", "/v1/audit", params={"limit": limit})

    async def settings(self, backend: str) -> list[Setting]:
        return _decode(list[Setting], await self._request("GET", f"/v1/backends/{backend}/settings"))

    async def change_settings(
        self, backend: str, values: dict[str, str], *, pin: str | None = None, key: str | None = None
    ) -> ActionResult:
        data = await self._change(f"/v1/backends/{backend}/settings", {"values": dict(values)}, pin, key)
        return _decode(ActionResult, data)

    async def archive(self, limit: int = 100) -> list[dict[str, Any]]:
        return await self._request("GET", "/v1/archive", params={"limit": limit})

    async def archived(self, archive_id: str) -> dict[str, Any]:
        return await self._request("GET", f"/v1/archive/{archive_id}")

    async def restore(
        self, archive_id: str, *, pin: str | None = None, key: str | None = None
    ) -> ActionResult:
        return _decode(ActionResult, await self._change(f"/v1/archive/{archive_id}/restore", {}, pin, key))

    async def aclose(self) -> None:
        if self._early is not None:
            self._early.close()
            self._early = None
        if self._client is not None:
            await self._client.aclose()


async def _sse_events(lines: AsyncIterator[str]) -> AsyncIterator[str]:
    """The `data:` payloads of the lines of a text/event-stream, one per event."""
    data: list[str] = []
    async for line in lines:
        if line.startswith("data:"):
            data.append(line[5:].lstrip(" "))
        elif not line and data:
            yield "\n".join(data)
            data = []


def _bearer(headers: Any) -> bool:
    """The agent's token check answers 401 with `WWW-Authenticate: Bearer`; a PIN check does not."""
    return headers.get("www-authenticate", "").lower().startswith("bearer")


def _decode(cls: type[T], data: Any) -> T:
    try:
        return from_data(cls, data)
    except DecodeError as exc:
        raise AgentUnavailable(
            _("the agent sent data this dashboard does not understand: {error}").format(error=exc)
        ) from exc


def _reason(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    httpx = sys.modules.get("httpx")  # an httpx error only when httpx is loaded
    connect_errors = (FileNotFoundError, httpx.ConnectError) if httpx else (FileNotFoundError,)
    if isinstance(exc, connect_errors) and "No such file" in text:
        return "no agent is running (socket not found)"
    if "Connection refused" in text:
        return "connection refused (is the agent running?)"
    return text
