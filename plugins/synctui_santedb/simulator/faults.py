"""Injected faults: a seeded fraction of SanteDB calls (never `/__sim/`) misbehave.

Kinds:
- `reset`: the connection drops. Over a real socket (uvicorn) the status line and headers go out with a
  Content-Length, then part of the body, then the app raises so uvicorn closes the connection: httpx
  raises `RemoteProtocolError`. In-process (httpx.ASGITransport, which re-raises app exceptions as they
  are) the app raises `SimulatedConnectionReset`, a subclass of `httpx.RemoteProtocolError`, either before
  any response or after a partial body: the caller sees the same transport error class as on a socket.
- `timeout`: nothing is sent for `timeout_delay` seconds. ASGITransport has no timeouts of its own, so
  afterwards the app raises `SimulatedTimeout` (an `httpx.ReadTimeout`): in-process callers get the
  exception a socket client gets when its read timeout fires. Set `timeout_delay` to the caller's
  timeout (tests use a fraction of a second).
- `server-error`: 500 with a RestServiceFault body.
- `malformed-json`: the real response, truncated plus garbage, still `application/json`.
- `wrong-types`: the real JSON with wrong types: numbers as strings, `id` as an object, dates as numbers.

Every injected fault is logged in one line ("injected fault reset: GET '/app/Queue'") on the
`synctui_santedb.simulator.faults` logger; the exceptions raised on purpose are `SimulatedFault`s, whose
tracebacks the command line drops.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import re
from collections.abc import Sequence
from typing import Any

import httpx
from starlette.types import ASGIApp, Message, Receive, Scope, Send

FAULT_KINDS = ("reset", "timeout", "server-error", "malformed-json", "wrong-types")
_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}")
log = logging.getLogger(__name__)


class SimulatedFault(Exception):
    """Marker for exceptions raised on purpose (uvicorn's error log filters them out)."""


class SimulatedConnectionReset(httpx.RemoteProtocolError, SimulatedFault):
    def __init__(self) -> None:
        super().__init__("Server disconnected without sending a complete response (simulated reset).")


class SimulatedTimeout(httpx.ReadTimeout, SimulatedFault):
    def __init__(self) -> None:
        super().__init__("Timed out waiting for the response (simulated).")


class Faults:
    """Which calls fail and how. Mutable at run time (`/__sim/faults`)."""

    def __init__(
        self,
        rate: float = 0.0,
        kinds: Sequence[str] | None = None,
        seed: int | None = 0,
        timeout_delay: float = 30.0,
        real_socket: bool = False,
    ) -> None:
        self.rng = random.Random(seed)
        self.timeout_delay = timeout_delay
        self.real_socket = real_socket
        self.rate = 0.0
        self.kinds: tuple[str, ...] = FAULT_KINDS
        self.configure(rate, kinds)
        self.injected: dict[str, int] = dict.fromkeys(FAULT_KINDS, 0)
        self.forced: list[list[Any]] = []  # [kind, path fragment or None, calls left], in order

    def force(self, kind: str, times: int = 1, path: str | None = None) -> None:
        """The next `times` calls (whose path contains `path`, when given) fail with `kind`, whatever
        the rate: a deterministic single fault for tests."""
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; known: {', '.join(FAULT_KINDS)}")
        self.forced.append([kind, path, int(times)])

    def configure(
        self,
        rate: float | None = None,
        kinds: Sequence[str] | None = None,
        timeout_delay: float | None = None,
    ) -> None:
        if rate is not None:
            if not 0.0 <= float(rate) <= 1.0:
                raise ValueError("fault rate must be between 0 and 1")
            self.rate = float(rate)
        if kinds is not None:
            unknown = [k for k in kinds if k not in FAULT_KINDS]
            if unknown:
                raise ValueError(f"unknown fault kinds {unknown}; known: {', '.join(FAULT_KINDS)}")
            self.kinds = tuple(kinds) or FAULT_KINDS
        if timeout_delay is not None:
            self.timeout_delay = float(timeout_delay)

    def pick(self, path: str) -> str | None:
        if path.startswith("/__sim"):
            return None
        for forced in self.forced:
            kind, fragment, left = forced
            if left > 0 and (fragment is None or fragment in path):
                forced[2] -= 1
                self.forced = [f for f in self.forced if f[2] > 0]
                self.injected[kind] += 1
                return str(kind)
        if self.rate <= 0.0:
            return None
        if self.rng.random() >= self.rate:
            return None
        kind = self.rng.choice(self.kinds)
        self.injected[kind] += 1
        return kind

    def describe(self) -> dict[str, Any]:
        return {
            "rate": self.rate,
            "kinds": list(self.kinds),
            "timeoutDelay": self.timeout_delay,
            "injected": dict(self.injected),
            "forced": [{"kind": k, "path": p, "times": n} for k, p, n in self.forced],
        }


def garble_types(value: Any) -> Any:
    """Wrong-typed copy of a JSON document: ints/floats/bools as strings, `id` as an object,
    ISO dates as epoch numbers."""
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            out[key] = {"value": item} if key == "id" else garble_types(item)
        return out
    if isinstance(value, list):
        return [garble_types(item) for item in value]
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, str) and _ISO.match(value):
        return 1_700_000_000 + len(value)
    return value


class FaultMiddleware:
    """Outermost ASGI wrapper that injects the configured faults."""

    def __init__(self, app: ASGIApp, faults: Faults) -> None:
        self.app = app
        self.faults = faults

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = self.faults.pick(scope.get("path", "")) if scope["type"] == "http" else None
        if kind is None:
            await self.app(scope, receive, send)
            return
        # %r: the path as a Python literal, so a control character in it is shown, never obeyed
        log.warning("injected fault %s: %s %r", kind, scope.get("method", ""), scope.get("path", "")[:200])
        if kind == "timeout":
            await asyncio.sleep(self.faults.timeout_delay)
            raise SimulatedTimeout()
        if kind == "server-error":
            await _send_fault(send)
            return
        if kind == "reset" and not self.faults.real_socket and self.faults.rng.random() < 0.5:
            raise SimulatedConnectionReset()  # before any response, like a dropped connection
        status, headers, body = await _capture(self.app, scope, receive)
        if kind == "reset":
            head = [(k, v) for k, v in headers if k.lower() != b"content-length"]
            head.append((b"content-length", str(max(len(body), 64)).encode()))
            await send({"type": "http.response.start", "status": status, "headers": head})
            await send({"type": "http.response.body", "body": body[: len(body) // 2], "more_body": True})
            raise SimulatedConnectionReset()
        if kind == "malformed-json":
            body = body[: max(1, len(body) // 2)] + b'\x00,,"}{ <html>'
        else:
            try:
                body = json.dumps(garble_types(json.loads(body))).encode()
            except ValueError:
                body = b'{"in": "three", "out": {"$numberLong": "x"}}'
        head = [(k, v) for k, v in headers if k.lower() not in (b"content-length", b"content-type")]
        head += [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": status, "headers": head})
        await send({"type": "http.response.body", "body": body})


async def _capture(app: ASGIApp, scope: Scope, receive: Receive) -> tuple[int, list[Any], bytes]:
    result: dict[str, Any] = {"status": 500, "headers": []}
    chunks: list[bytes] = []

    async def capture(message: Message) -> None:
        if message["type"] == "http.response.start":
            result["status"], result["headers"] = message["status"], list(message.get("headers", []))
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    await app(scope, receive, capture)
    return result["status"], result["headers"], b"".join(chunks)


async def _send_fault(send: Send) -> None:
    body = json.dumps(
        {
            "$type": "NullReferenceException",
            "message": "Object reference not set to an instance of an object.",
            "detail": "System.NullReferenceException: Object reference not set to an instance of an object.\r\n"
            "   at SanteDB.Rest.Common.Behavior.ServiceBehaviorBase.Invoke()",
        }
    ).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": 500, "headers": headers})
    await send({"type": "http.response.body", "body": body})
