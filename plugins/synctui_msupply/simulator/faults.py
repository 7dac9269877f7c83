"""Faults: a fraction of calls fail as a flaky network or a broken server would.

Kinds: `reset` (the connection drops mid-response), `timeout` (no answer in time), `500`, `malformed`
(invalid JSON), `types` (valid JSON with fields of the wrong type). The same knobs as the SanteDB
simulator: a fraction 0..1 and the kinds to draw from.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import httpx

FAULT_KINDS = ("reset", "timeout", "500", "malformed", "types")
log = logging.getLogger(__name__)


@dataclass
class Faults:
    rate: float = 0.0
    kinds: tuple[str, ...] = FAULT_KINDS
    timeout_seconds: float = 30.0  # how long a "timeout" stalls over a real socket
    rng: random.Random = field(default_factory=lambda: random.Random(7))
    counts: dict[str, int] = field(default_factory=dict)
    forced: list[list[Any]] = field(default_factory=list)  # [kind, path fragment or None, calls left]

    def __post_init__(self) -> None:
        if not 0.0 <= self.rate <= 1.0:
            raise ValueError("faults must be a fraction between 0 and 1")
        bad = [k for k in self.kinds if k not in FAULT_KINDS]
        if bad:
            raise ValueError(f"unknown fault kind {bad[0]!r}; known: {', '.join(FAULT_KINDS)}")

    @classmethod
    def parse(cls, rate: float, kinds: str | Iterable[str] | None = None, seed: int = 7) -> Faults:
        if isinstance(kinds, str):
            kinds = [k.strip() for k in kinds.split(",") if k.strip()]
        return cls(rate=rate, kinds=tuple(kinds or FAULT_KINDS), rng=random.Random(seed))

    def force(self, kind: str, times: int = 1, path: str | None = None) -> None:
        """The next `times` calls (whose path contains `path`, when given) fail with `kind`, whatever
        the rate: a deterministic single fault for tests."""
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; known: {', '.join(FAULT_KINDS)}")
        self.forced.append([kind, path, int(times)])

    def draw(self, path: str = "") -> str | None:
        for forced in self.forced:
            kind, fragment, left = forced
            if left > 0 and (fragment is None or fragment in path):
                forced[2] -= 1
                self.forced = [f for f in self.forced if f[2] > 0]
                self.counts[kind] = self.counts.get(kind, 0) + 1
                return str(kind)
        if self.rate <= 0 or self.rng.random() >= self.rate:
            return None
        kind = self.rng.choice(self.kinds)
        self.counts[kind] = self.counts.get(kind, 0) + 1
        return kind


def scramble_types(value: Any, rng: random.Random) -> Any:
    """The same JSON with scalars swapped for values of another type."""
    if isinstance(value, dict):
        return {k: scramble_types(v, rng) for k, v in value.items()}
    if isinstance(value, list):
        return [scramble_types(v, rng) for v in value]
    if isinstance(value, bool):
        return "yes" if value else 0
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return rng.choice([12, True, ["x"], {"value": value}])
    if value is None:
        return rng.choice([None, "null", 0])
    return value


class FaultMiddleware:
    """ASGI middleware applying `Faults` to every HTTP call."""

    def __init__(self, app: Any, faults: Faults, in_process: bool = False) -> None:
        self.app = app
        self.faults = faults
        self.in_process = in_process

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        kind = self.faults.draw(scope.get("path", "")) if scope["type"] == "http" else None
        if kind is None:
            await self.app(scope, receive, send)
            return
        # expected, so one line and never a traceback (uvicorn's for the reset is filtered in __main__)
        log.warning("simulated fault %s: %s %s", kind, scope.get("method", "?"), scope.get("path", "?"))
        if kind == "timeout":
            if self.in_process:
                raise TimeoutError("simulated timeout")
            await asyncio.sleep(self.faults.timeout_seconds)
            kind = "500"
        if kind == "reset":
            await send(
                {"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"4096")]}
            )
            await send({"type": "http.response.body", "body": b'{"data": {', "more_body": True})
            raise ConnectionResetError("simulated connection reset")
        if kind == "500":
            await _send(send, 500, b"Internal Server Error", b"text/plain")
            return
        captured: dict[str, Any] = {"body": b""}

        async def capture(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                captured["start"] = message
            elif message["type"] == "http.response.body":
                captured["body"] += message.get("body", b"")

        await self.app(scope, receive, capture)
        status = captured.get("start", {}).get("status", 200)
        if kind == "malformed":
            body = captured["body"][: max(len(captured["body"]) // 2, 1)] + b"<html>"
        else:
            try:
                body = json.dumps(
                    scramble_types(json.loads(captured["body"] or b"null"), self.faults.rng)
                ).encode()
            except ValueError:
                body = captured["body"]
        await _send(send, status, body, b"application/json")


async def _send(send: Any, status: int, body: bytes, content_type: bytes) -> None:
    headers = [(b"content-type", content_type), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class SimulatorTransport(httpx.ASGITransport):
    """In-process transport whose simulated resets and timeouts reach the client as httpx errors,
    the way they would over a real socket."""

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        try:
            return await super().handle_async_request(request)
        except TimeoutError as exc:
            raise httpx.ReadTimeout(str(exc), request=request) from exc
        except OSError as exc:
            raise httpx.ReadError(str(exc), request=request) from exc
