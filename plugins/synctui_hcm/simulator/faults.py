"""The faults setting: a fraction of API calls fail with a connection reset, a timeout, a 500, malformed
JSON or wrong field types. Half of the failures happen after the server has processed the call (the
answer is lost), which is what makes blind re-sends dangerous.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
from typing import Any

import httpx
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..simulator.server import SimConfig

log = logging.getLogger("synctui_hcm.simulator")


class SimulatedReset(ConnectionResetError):
    pass


class SimulatedTimeout(TimeoutError):
    pass


class QuietInjectedFaults(logging.Filter):
    """For uvicorn's error logger: an injected reset or timeout is expected and already logged in one
    line by the middleware, so uvicorn's "Exception in ASGI application" traceback of it is dropped."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        return not isinstance(exc, (SimulatedReset, SimulatedTimeout))


def _wrong_types(body: bytes, rng: random.Random) -> bytes:
    try:
        data = json.loads(body)
    except ValueError:
        return body[:1]
    if not isinstance(data, dict):
        return b'"successful"'
    lists = [k for k, v in data.items() if isinstance(v, list)]
    choice = rng.randrange(4)
    if lists and choice == 0:
        data[lists[0]] = "not a list"
    elif lists and choice == 1 and any(isinstance(x, dict) for x in data[lists[0]]):
        for item in data[lists[0]]:
            if isinstance(item, dict):
                item["rowVersion"] = str(item.get("rowVersion"))
                item["clientReferenceId"] = 12345
    elif "TotalCount" in data and choice == 2:
        data["TotalCount"] = "many"
    elif "status" in data:
        data["status"] = 500
    else:
        data = {"ResponseInfo": ["not", "an", "object"]}
    return json.dumps(data).encode()


class FaultMiddleware:
    """Wraps the simulator's ASGI app; calls under /simulator/ are never faulted."""

    def __init__(self, app: ASGIApp, config: SimConfig) -> None:
        self.app = app
        self.config = config
        self.rng = random.Random(config.seed)
        self.injected: dict[str, int] = {}
        self.forced: list[list[Any]] = []  # [kind, path fragment or None, calls left], in order

    def force(self, kind: str, times: int = 1, path: str | None = None) -> None:
        """The next `times` calls (whose path contains `path`, when given) fail with `kind`, whatever
        the rate: a deterministic single fault for tests."""
        if kind not in ("reset", "timeout", "500", "malformed", "wrong_types"):
            raise ValueError(f"unknown fault kind {kind!r}")
        self.forced.append([kind, path, int(times)])

    def _forced(self, path: str) -> str | None:
        for forced in self.forced:
            kind, fragment, left = forced
            if left > 0 and (fragment is None or fragment in path):
                forced[2] -= 1
                self.forced = [f for f in self.forced if f[2] > 0]
                return str(kind)
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith("/simulator/"):
            await self.app(scope, receive, send)
            return
        kind = self._forced(scope["path"])
        if kind is None and (self.config.fault_rate <= 0 or self.rng.random() >= self.config.fault_rate):
            await self.app(scope, receive, send)
            return
        kind = kind or self.rng.choice(self.config.fault_kinds)
        phase = self.config.fault_phase
        after = (
            kind in ("malformed", "wrong_types")
            or phase == "after"
            or (phase == "random" and self.rng.random() < 0.5)
        )
        self.injected[kind] = self.injected.get(kind, 0) + 1
        log.info(
            "injected fault: %s on %s %s (%s the server acted)",
            kind,
            scope.get("method", "?"),
            scope["path"],
            "after" if after else "before",
        )
        status, body = 500, b""
        if after:
            status, body = await self._capture(scope, receive)
        if kind == "reset":
            # Start a response and die: a real socket sees the peer close mid-answer.
            await send(
                {"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"1000")]}
            )
            raise SimulatedReset("connection reset (simulated)")
        if kind == "timeout":
            if self.config.hang_seconds:
                await asyncio.sleep(self.config.hang_seconds)
            raise SimulatedTimeout("no answer (simulated)")
        if kind == "500":
            body = b'{"ResponseInfo":null,"Errors":[{"code":"INTERNAL_SERVER_ERROR","message":"simulated"}]}'
            await _respond(send, 500, body)
            return
        if kind == "malformed":
            await _respond(send, status, body[: max(1, len(body) // 2)] + b"\x00<html>")
            return
        await _respond(send, status, _wrong_types(body, self.rng))

    async def _capture(self, scope: Scope, receive: Receive) -> tuple[int, bytes]:
        captured: dict[str, Any] = {"status": 500, "body": b""}

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                captured["status"] = message["status"]
            elif message["type"] == "http.response.body":
                captured["body"] += message.get("body", b"")

        await self.app(scope, receive, capture)
        return captured["status"], captured["body"]


async def _respond(send: Send, status: int, body: bytes) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})


class SimTransport(httpx.AsyncBaseTransport):
    """In-process transport to the simulator: simulated resets and timeouts become the httpx errors a
    real socket would raise."""

    def __init__(self, app: ASGIApp) -> None:
        self._inner = httpx.ASGITransport(app=app)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        try:
            return await self._inner.handle_async_request(request)
        except SimulatedReset as exc:
            raise httpx.ReadError(str(exc), request=request) from None
        except SimulatedTimeout as exc:
            raise httpx.ReadTimeout(str(exc), request=request) from None

    async def aclose(self) -> None:
        await self._inner.aclose()
