"""A fault-injecting HTTP proxy on loopback: an adapter talks to it as to its server, and it forwards
each request to the simulator and breaks the answer on purpose.

Faults (`FAULTS`): the connection reset before an answer, an answer cut off midway, no answer at
all (the client's timeout), a 500 with an HTML page, malformed JSON, JSON of the wrong types, a
slow drip, and hostile strings (terminal escapes, bidi overrides, markup, huge text) in every string
of the answer. Which answer gets which fault is decided by a `FaultPlan` from a seed, so a failing
run repeats.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import random
import socket
import struct
from collections import Counter
from collections.abc import Sequence
from typing import Any

import h11  # the HTTP/1.1 state machine httpx itself uses: no hand-written parsing here
import httpx

FAULTS = (
    "reset",
    "cut-off",
    "timeout",
    "status-500",
    "malformed-json",
    "wrong-types",
    "slow-drip",
    "hostile-strings",
)
HOSTILE = (
    "\x1b]52;c;cm0gLXJmIH4=\x07",  # OSC 52: write to the clipboard
    "\x1b[2J\x1b[H",  # clear the screen
    "\x9b31m",  # a C1 control sequence introducer
    "\u202eedoc\u202c",  # right-to-left override
    "[bold red]markup[/] [link=http://x]x[/link]",
    "nul\x00 and bell\x07",
    "two\nlines\r\nand a\tcarriage",
    "€" * 20_000,  # a huge field
)
_HOP_BY_HOP = {"connection", "content-length", "content-encoding", "transfer-encoding", "keep-alive", "host"}
_BODY_FAULTS = ("malformed-json", "wrong-types", "hostile-strings", "cut-off", "slow-drip")
_DRIP_CHUNKS = 8
_DRIP_DELAY = 0.01  # seconds between two chunks of a slow drip


class FaultPlan:
    """Which fault each answer gets: one of `faults` at `rate` (1.0: every answer), drawn from `seed`."""

    def __init__(self, faults: Sequence[str] = FAULTS, rate: float = 1.0, seed: int = 0) -> None:
        unknown = set(faults) - set(FAULTS)
        if unknown:
            raise ValueError(f"unknown faults {sorted(unknown)}; known: {', '.join(FAULTS)}")
        self.faults = tuple(faults)
        self.rate = rate
        self.random = random.Random(seed)

    def next(self) -> str | None:
        if not self.faults or self.random.random() >= self.rate:
            return None
        return self.random.choice(self.faults)


class FaultProxy:
    """Serve on 127.0.0.1 (a free port) and forward to `upstream` (the simulator's base URL, reached
    through `transport` when given, e.g. an in-process ASGI app). `injected` counts the faults used;
    `hostile` are the strings that replace every string of an answer under "hostile-strings"."""

    def __init__(
        self,
        upstream: str,
        plan: FaultPlan,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        hold: float = 30.0,
        seed: int = 0,
        hostile: Sequence[str] = HOSTILE,
    ) -> None:
        self.plan = plan
        self.hold = hold  # the longest a "timeout" answer waits for the client to give up
        self.random = random.Random(seed)
        self._texts = itertools.cycle(hostile)  # each string the next one: all of them in any answer
        self.injected: Counter[str] = Counter()
        self.errors: list[str] = []  # the proxy's own failures: a test must not pass on them
        self._upstream = httpx.AsyncClient(base_url=upstream, transport=transport, timeout=hold)
        self._server: asyncio.Server | None = None
        self._open: dict[asyncio.Task[None], asyncio.StreamWriter] = {}
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def __aenter__(self) -> FaultProxy:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._server is not None:
            self._server.close()
        for writer in self._open.values():
            writer.transport.abort()  # each handler then sees its connection end and returns
        if self._open:
            await asyncio.wait(list(self._open), timeout=self.hold)
        await self._upstream.aclose()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._open[task] = writer
        conn = h11.Connection(h11.SERVER)
        try:
            while True:
                request, body = await _read_request(conn, reader)
                if request is None:
                    break
                fault = self.plan.next()
                if not await self._answer(conn, reader, writer, request, body, fault):
                    return  # the connection was dropped on purpose
                if conn.our_state is not h11.DONE or conn.their_state is not h11.DONE:
                    break
                conn.start_next_cycle()
            writer.close()
        except (ConnectionError, h11.ProtocolError, asyncio.IncompleteReadError):
            writer.transport.abort()
        except Exception as exc:
            self.errors.append(f"{type(exc).__name__}: {exc}")
            writer.transport.abort()
        finally:
            self._open.pop(task, None)

    async def _answer(
        self,
        conn: h11.Connection,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        request: h11.Request,
        body: bytes,
        fault: str | None,
    ) -> bool:
        if fault in ("reset", "timeout"):
            self.injected[fault] += 1
        if fault == "reset":
            _reset(writer)
            return False
        if fault == "timeout":
            with contextlib.suppress(TimeoutError, ConnectionError):
                await asyncio.wait_for(reader.read(), self.hold)  # until the client gives up
            _reset(writer)
            return False
        status, headers, content = await self._forward(request, body)
        if fault in _BODY_FAULTS and (not content or status in (204, 304)):
            fault = None  # nothing to break in an empty answer
        if fault not in (None, "reset", "timeout"):
            self.injected[fault] += 1
        if fault == "status-500":
            status, content = 500, b"<html><body><h1>500 Internal Server Error</h1></body></html>"
            headers = [("content-type", "text/html")]
        elif fault == "malformed-json":
            content = content[: len(content) // 2] + b'{"'
        elif fault == "wrong-types":
            content = json.dumps(self._retyped(_json(content))).encode()
        elif fault == "hostile-strings":
            content = json.dumps(self._hostile(_json(content))).encode()
        headers = [*headers, ("content-length", str(len(content)))]
        writer.write(conn.send(h11.Response(status_code=status, headers=headers)))
        if fault == "cut-off":
            writer.write(conn.send(h11.Data(data=content[: len(content) // 2])))
            await writer.drain()
            _reset(writer)
            return False
        if fault == "slow-drip":
            step = max(1, len(content) // _DRIP_CHUNKS)
            for start in range(0, len(content), step):
                writer.write(conn.send(h11.Data(data=content[start : start + step])))
                await writer.drain()
                await asyncio.sleep(_DRIP_DELAY)
        elif content:
            writer.write(conn.send(h11.Data(data=content)))
        writer.write(conn.send(h11.EndOfMessage()))
        await writer.drain()
        return True

    async def _forward(self, request: h11.Request, body: bytes) -> tuple[int, list[tuple[str, str]], bytes]:
        headers = [
            (k.decode("latin-1"), v.decode("latin-1"))
            for k, v in request.headers
            if k.decode("latin-1").lower() not in _HOP_BY_HOP | {"accept-encoding"}
        ]
        try:
            response = await self._upstream.request(
                request.method.decode(), request.target.decode("latin-1"), headers=headers, content=body
            )
        except httpx.HTTPError as exc:
            return 502, [("content-type", "text/plain")], f"proxy: upstream failed: {exc}".encode()
        kept = [(k, v) for k, v in response.headers.multi_items() if k.lower() not in _HOP_BY_HOP]
        return response.status_code, kept, response.content

    def _retyped(self, value: Any) -> Any:
        """The same shape with about half the values swapped for one of another type."""
        if isinstance(value, dict):
            return {
                k: self._retyped(v) if self.random.random() < 0.5 else _other_type(v)
                for k, v in value.items()
            }
        if isinstance(value, list):
            return [self._retyped(v) for v in value] if self.random.random() < 0.5 else {"0": value}
        return _other_type(value)

    def _hostile(self, value: Any) -> Any:
        if isinstance(value, dict):
            return {k: self._hostile(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self._hostile(v) for v in value]
        if isinstance(value, str):
            return next(self._texts)
        return value


def _other_type(value: Any) -> Any:
    if isinstance(value, bool):
        return "yes"
    if isinstance(value, int | float):
        return f"{value}x"
    if isinstance(value, str):
        return 7
    if value is None:
        return {}
    if isinstance(value, list):
        return "a list"
    return [value]


def _json(content: bytes) -> Any:
    """The answer's JSON, or a string of it when it is not JSON (so it is mutated as text)."""
    try:
        return json.loads(content)
    except ValueError:
        return content.decode("utf-8", "replace")


async def _read_request(
    conn: h11.Connection, reader: asyncio.StreamReader
) -> tuple[h11.Request | None, bytes]:
    request: h11.Request | None = None
    body = bytearray()
    while True:
        event = conn.next_event()
        if event is h11.NEED_DATA:
            conn.receive_data(await reader.read(65536))
        elif isinstance(event, h11.Request):
            request = event
        elif isinstance(event, h11.Data):
            body += event.data
        elif isinstance(event, h11.EndOfMessage):
            return request, bytes(body)
        elif isinstance(event, h11.ConnectionClosed):
            return None, b""


def _reset(writer: asyncio.StreamWriter) -> None:
    """Drop the connection with a TCP reset (linger 0), as a crashed server or a middlebox does."""
    sock = writer.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()
