"""The limits of one listener: its connections, request heads and bodies, and slow readers.

- a cap on open connections: at the cap, a new connection takes the place of an idle one (stalled
  inside a request head first, then silent, then kept alive after an answer; never one with a
  request under way or bytes still to read); when none is idle, it is closed at once. Either is
  logged once, then counted once a minute; never one line per accept.
- a header timeout (a request head must arrive within `header_timeout` of the connection, or of the
  end of the previous answer) and an idle (keep-alive) timeout;
- a request-body limit (413 with a one-line JSON error) and a body timeout (408);
- a bounded write buffer per client: a client that reads nothing (an SSE stream nobody reads) is
  dropped after `write_stall_timeout` instead of making the agent hold its data.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import json
import logging
import socket
import sys
import termios
import time
from dataclasses import dataclass
from typing import Any

import h11
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.protocols.http.h11_impl import H11Protocol

from synctui.agent.ratelog import Counter

log = logging.getLogger("synctui.agent.server")  # the listener's lines, under the server's name
KiB = 1024
MiB = 1024 * KiB


@dataclass(frozen=True)
class Limits:
    max_connections: int = 64  # open at once, per listener
    header_timeout: float = 10.0  # seconds for a request head to arrive
    idle_timeout: float = 5.0  # seconds a kept-alive connection may wait for its next request
    max_header_bytes: int = 16 * KiB
    max_body_bytes: int = 1 * MiB
    body_timeout: float = 10.0  # seconds for a whole request body to arrive
    drain_bytes: int = 16 * MiB  # of a refused body read and dropped, so the client sees the 413
    write_buffer: int = 16 * KiB  # bytes queued in the agent for one client before it must wait
    socket_buffer: int = 32 * KiB  # the kernel's send buffer of one connection (SO_SNDBUF)
    write_stall_timeout: float = 30.0  # seconds a client may read nothing while data waits for it
    backlog: int = 128
    log_interval: float = 60.0  # seconds between two lines about refused or dropped connections


# --- connections ------------------------------------------------------------------------------------


class ConnectionPool:
    """The open connections of one listener, oldest first, and what was refused or dropped."""

    def __init__(self, name: str, limits: Limits) -> None:
        self.name = name
        self.limits = limits
        self.open: dict[GuardedH11Protocol, None] = {}
        every = limits.log_interval
        self.refused = Counter(
            log,
            f"{name}: {limits.max_connections} connections are busy; refusing new ones",
            f"{name}: refused %d more connection(s) in the last %.0f s (all busy)",
            interval=every,
        )
        self.evicted = Counter(
            log,
            f"{name}: {limits.max_connections} connections are open; closing the oldest idle ones "
            "to make room",
            f"{name}: closed %d more idle connection(s) to make room in the last %.0f s",
            interval=every,
        )
        self.timed_out = Counter(
            log,
            f"{name}: closed a connection that sent no complete request within {limits.header_timeout:g} s",
            f"{name}: closed %d more connection(s) without a complete request in the last %.0f s",
            interval=every,
        )
        self.stalled = Counter(
            log,
            f"{name}: dropped a client that read nothing for {limits.write_stall_timeout:g} s",
            f"{name}: dropped %d more client(s) that read nothing in the last %.0f s",
            interval=every,
        )

    def admit(self, connection: GuardedH11Protocol) -> bool:
        if len(self.open) >= self.limits.max_connections:
            victim = self._idlest()
            if victim is None:
                self.refused.add()
                return False
            self.evicted.add()
            victim.close_now()
        self.open[connection] = None
        return True

    def _idlest(self) -> GuardedH11Protocol | None:
        """The connection to close for a newcomer: the oldest that sent part of a request head and
        then stopped (a slowloris), else the oldest that sent nothing, else the oldest kept alive
        after an answer. Never one with a request under way, nor one whose bytes wait to be read."""
        best: GuardedH11Protocol | None = None
        best_rank = 3
        for candidate in self.open:
            rank = candidate.idle_rank()
            if rank < best_rank:
                best, best_rank = candidate, rank
                if rank == 0:
                    break
        return best

    def close(self) -> None:
        for counter in (self.refused, self.evicted, self.timed_out, self.stalled):
            counter.close()


class GuardedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol with a connection cap, a header timeout and a write-stall timeout."""

    def __init__(self, *args: Any, pool: ConnectionPool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.pool = pool
        self.refused = False
        self._head_timer: asyncio.TimerHandle | None = None
        self._stall_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        if not self.pool.admit(self):
            self.refused = True
            transport.abort()  # at once: no read, no answer, the descriptor is freed
            return
        super().connection_made(transport)
        limits = self.pool.limits
        transport.set_write_buffer_limits(high=limits.write_buffer)
        sock = transport.get_extra_info("socket")
        if sock is not None:  # a small kernel buffer too: a client that reads nothing is seen soon
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, limits.socket_buffer)
        self._arm_head_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        if self.refused:
            return
        self.pool.open.pop(self, None)
        self._cancel_timers()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self.transport.is_closing():
            return
        if self.waiting_for_request():
            if self._head_timer is None:
                self._arm_head_timer()  # part of a request head came: the rest has a deadline
        elif self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def idle_rank(self) -> int:
        """0: stalled inside a request head; 1: nothing sent yet; 2: kept alive after an answer;
        3: busy (a request under way, or bytes waiting in the kernel to be read)."""
        if not self.waiting_for_request() or self.transport is None or self.transport.is_closing():
            return 3
        if _pending_bytes(self.transport):
            return 3
        if self._received_part_of_a_head():
            return 0
        return 1 if self.cycle is None else 2

    def waiting_for_request(self) -> bool:
        """No request under way: between connecting (or the last answer) and a complete head."""
        return self.conn.their_state is h11.IDLE and (self.cycle is None or self.cycle.response_complete)

    def close_now(self) -> None:
        self.pool.open.pop(self, None)  # its place is free now, not when the loop gets to it
        self._cancel_timers()
        if self.transport is not None and not self.transport.is_closing():
            self.transport.abort()

    def pause_writing(self) -> None:
        super().pause_writing()
        if self._stall_timer is None:
            self._stall_timer = self.loop.call_later(
                self.pool.limits.write_stall_timeout, self._drop_stalled_reader
            )

    def resume_writing(self) -> None:
        super().resume_writing()
        if self._stall_timer is not None:
            self._stall_timer.cancel()
            self._stall_timer = None

    def _arm_head_timer(self) -> None:
        self._head_timer = self.loop.call_later(self.pool.limits.header_timeout, self._head_timed_out)

    def _head_timed_out(self) -> None:
        self._head_timer = None
        if self.waiting_for_request() and not self.transport.is_closing():
            if self._received_part_of_a_head():
                self.pool.timed_out.add()
            self.close_now()

    def _received_part_of_a_head(self) -> bool:
        # h11 keeps what it could not parse yet; a client that sent nothing at all (a liveness
        # probe that connects and waits) is closed without a log line.
        return bool(self.conn.trailing_data[0])

    def _drop_stalled_reader(self) -> None:
        self._stall_timer = None
        if self.flow.write_paused and not self.transport.is_closing():
            self.pool.stalled.add()
            self.close_now()

    def _cancel_timers(self) -> None:
        for name in ("_head_timer", "_stall_timer"):
            timer = getattr(self, name)
            if timer is not None:
                timer.cancel()
                setattr(self, name, None)


def _pending_bytes(transport: asyncio.BaseTransport) -> int:
    """Bytes received by the kernel that the event loop has not read yet."""
    sock = transport.get_extra_info("socket")
    if sock is None:
        return 0
    try:
        raw = fcntl.ioctl(sock.fileno(), termios.FIONREAD, b"\0\0\0\0")
    except OSError:
        return 0
    return int.from_bytes(raw, sys.byteorder, signed=True)


# --- request bodies ---------------------------------------------------------------------------------


class BodyLimit:
    """ASGI middleware: the whole request body is read (within `max_body_bytes` and `body_timeout`)
    before the app runs; over the limit the answer is 413, too slow 408, headers over
    `max_header_bytes` 431, each with a one-line JSON error, and the app never sees the request."""

    def __init__(self, app: ASGIApp, limits: Limits) -> None:
        self.app = app
        self.limits = limits

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = scope.get("headers", ())
        if sum(len(k) + len(v) + 4 for k, v in headers) > self.limits.max_header_bytes:
            # h11 bounds a head that arrives in pieces; one that arrives whole is checked here.
            await _error(
                send, 431, f"the request headers are larger than {_size(self.limits.max_header_bytes)}"
            )
            return
        limit = self.limits.max_body_bytes
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            await self._drain(receive, declared)
            await _error(send, 413, f"the request body is larger than {_size(limit)}")
            return
        chunks: list[bytes] = []
        size = 0
        deadline = time.monotonic() + self.limits.body_timeout
        while True:
            try:
                message = await asyncio.wait_for(receive(), max(0.0, deadline - time.monotonic()))
            except TimeoutError:
                await _error(
                    send, 408, f"the request body did not arrive within {self.limits.body_timeout:g} s"
                )
                return
            if message["type"] != "http.request":
                return  # the client went away
            body = message.get("body", b"")
            size += len(body)
            if size > limit:
                await self._drain(receive, None)
                await _error(send, 413, f"the request body is larger than {_size(limit)}")
                return
            if body:
                chunks.append(body)
            if not message.get("more_body", False):
                break
        replayed = False
        whole = b"".join(chunks)

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": whole, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _drain(self, receive: Receive, declared: int | None) -> None:
        """Read and drop a refused body (up to `drain_bytes`, within the body timeout): a client that
        is still sending when the connection closes never reads the answer."""
        if declared is not None and declared > self.limits.drain_bytes:
            return
        drained = 0
        deadline = time.monotonic() + self.limits.body_timeout
        with contextlib.suppress(TimeoutError):
            while drained <= self.limits.drain_bytes:
                message = await asyncio.wait_for(receive(), max(0.0, deadline - time.monotonic()))
                if message["type"] != "http.request":
                    return
                drained += len(message.get("body", b""))
                if not message.get("more_body", False):
                    return


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


async def _error(send: Send, status: int, message: str) -> None:
    body = json.dumps({"error": message}).encode() + b"\n"
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body, "more_body": False})


def _size(n: int) -> str:
    return f"{n // MiB} MiB" if n >= MiB and n % MiB == 0 else f"{n // KiB} KiB" if n >= KiB else f"{n} bytes"
