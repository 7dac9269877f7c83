"""GET requests to the local agent over its Unix socket, with the standard library only.

The dashboard's first frame waits for one thing from the network: the agent's first pushed state;
opening a queue waits for one page. httpx (with httpcore, anyio, its SSL context) costs ~55 ms of a
~400 ms start, and h11 alone ~20 ms. This speaks the little HTTP/1.1 those reads need, to our own
agent (uvicorn): one request per connection, a status line, headers, and a body that is chunked,
sized by Content-Length, or ends with the connection. Changes (POST) go through httpx, loaded when
the first one is made.
"""

from __future__ import annotations

import asyncio
import socket as sockets
from collections.abc import AsyncIterator, Mapping
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import NamedTuple

MAX_ERROR_BODY = 64 * 1024  # what is read of a refusal's body


class StreamProtocolError(OSError):
    """The agent's answer is not HTTP/1.1 as expected (an OSError: the connection is not usable)."""


class StreamRefused(Exception):
    """The agent answered the event stream's request with an error status."""

    def __init__(self, status: int, headers: Mapping[str, str], text: str) -> None:
        super().__init__(f"HTTP {status}")
        self.status = status
        self.headers = headers
        self.text = text


class Answer(NamedTuple):
    """A whole HTTP answer read off the agent's socket."""

    status: int
    reason: str
    headers: Mapping[str, str]
    body: bytes


async def get(socket: Path, target: str, headers: Mapping[str, str]) -> Answer:
    """`GET target` on `socket`, the whole answer (any status). OSError when the connection fails."""
    return await _whole_answer(_exchange(socket, target, headers, None))


def send_get(socket: Path, target: str, headers: Mapping[str, str], timeout: float) -> sockets.socket:
    """Connect to `socket` and send `GET target` now, without an event loop (a Unix socket connects or
    fails at once, unless the agent's backlog is full: `timeout`); `sent_answer` reads the answer later,
    which the agent prepares meanwhile. OSError when the connection fails."""
    sock = sockets.socket(sockets.AF_UNIX, sockets.SOCK_STREAM)
    sock.settimeout(timeout)
    try:
        sock.connect(str(socket))
        sock.sendall(_request(target, headers))
    except OSError:
        sock.close()
        raise
    sock.setblocking(False)
    return sock


async def sent_answer(sock: sockets.socket) -> Answer:
    """The whole answer to the request `send_get` sent on `sock` (any status), which is then closed."""
    return await _whole_answer(_answer(sock, None))


async def _whole_answer(
    exchange: AbstractAsyncContextManager[tuple[asyncio.StreamReader, int, str, dict[str, str]]],
) -> Answer:
    async with exchange as (reader, status, reason, answer_headers):
        body = bytearray()
        async for piece in _body(reader, answer_headers):
            body += piece
    return Answer(status, reason, answer_headers, bytes(body))


async def get_lines(
    socket: Path, target: str, headers: Mapping[str, str], *, connect_timeout: float
) -> AsyncIterator[str]:
    """The body of `GET target` on `socket`, line by line (without line ends), until the agent ends
    it. Raises StreamRefused for a status of 400 or more, OSError when the connection fails."""
    async with _exchange(socket, target, headers, connect_timeout) as (reader, status, _, answer_headers):
        body = _body(reader, answer_headers)
        if status >= 400:
            text = bytearray()
            async for piece in body:
                text += piece
                if len(text) >= MAX_ERROR_BODY:
                    break
            raise StreamRefused(status, answer_headers, text.decode("utf-8", "replace"))
        pending = b""
        async for piece in body:
            pending += piece
            *complete, pending = pending.split(b"\n")
            for line in complete:
                yield line.rstrip(b"\r").decode("utf-8", "replace")
        if pending:
            yield pending.rstrip(b"\r").decode("utf-8", "replace")


@asynccontextmanager
async def _exchange(
    socket: Path, target: str, headers: Mapping[str, str], timeout: float | None
) -> AsyncIterator[tuple[asyncio.StreamReader, int, str, dict[str, str]]]:
    """Connect, send the request, read the answer's head (within `timeout`); closed on exit."""
    reader, writer = await asyncio.wait_for(asyncio.open_unix_connection(str(socket)), timeout)
    async with _read_answer(reader, writer, _request(target, headers), timeout) as answer:
        yield answer


@asynccontextmanager
async def _answer(
    sock: sockets.socket, timeout: float | None
) -> AsyncIterator[tuple[asyncio.StreamReader, int, str, dict[str, str]]]:
    """The answer to a request already sent on `sock` (see `send_get`); closed on exit."""
    try:
        reader, writer = await asyncio.open_unix_connection(sock=sock)
    except BaseException:
        sock.close()
        raise
    async with _read_answer(reader, writer, b"", timeout) as answer:
        yield answer


def _request(target: str, headers: Mapping[str, str]) -> bytes:
    lines = [f"GET {target} HTTP/1.1", "Host: synctui-agent", "Connection: close"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


@asynccontextmanager
async def _read_answer(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes, timeout: float | None
) -> AsyncIterator[tuple[asyncio.StreamReader, int, str, dict[str, str]]]:
    """Send `request` (none: already sent), read the answer's head (within `timeout`), then hand over
    its reader; the connection is closed on exit."""
    try:
        writer.write(request)
        await writer.drain()
        try:
            status, reason, answer_headers = await asyncio.wait_for(_read_head(reader), timeout)
        except asyncio.IncompleteReadError as exc:
            raise StreamProtocolError("the agent closed the connection without an answer") from exc
        yield reader, status, reason, answer_headers
    finally:
        writer.close()


async def _read_head(reader: asyncio.StreamReader) -> tuple[int, str, dict[str, str]]:
    try:
        head = await reader.readuntil(b"\r\n\r\n")  # at most the reader's limit (64 KiB)
    except asyncio.LimitOverrunError as exc:
        raise StreamProtocolError("the agent's answer has an oversized header") from exc
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    parts = status_line.split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/1.") or not parts[1].isdigit():
        raise StreamProtocolError(f"not an HTTP answer: {status_line[:60]!r}")
    headers: dict[str, str] = {}
    for line in header_lines:
        name, sep, value = line.partition(":")
        if sep:
            headers[name.strip().lower()] = value.strip()
    return int(parts[1]), parts[2] if len(parts) > 2 else "", headers


async def _body(reader: asyncio.StreamReader, headers: Mapping[str, str]) -> AsyncIterator[bytes]:
    try:
        if "chunked" in headers.get("transfer-encoding", "").lower():
            while True:
                size_line = await reader.readuntil(b"\r\n")
                size_text = size_line.split(b";", 1)[0].strip()
                try:
                    size = int(size_text, 16)
                except ValueError:
                    raise StreamProtocolError(f"bad chunk size {size_text[:20]!r}") from None
                if size == 0:
                    return  # trailers, if any, are not read: the connection is closed after the answer
                yield await reader.readexactly(size)
                await reader.readexactly(2)  # the chunk's CRLF
        elif "content-length" in headers:
            if not headers["content-length"].isdigit():
                raise StreamProtocolError(f"bad Content-Length {headers['content-length'][:20]!r}")
            yield await reader.readexactly(int(headers["content-length"]))
        else:
            while piece := await reader.read(65536):
                yield piece
    except asyncio.IncompleteReadError as exc:
        raise StreamProtocolError("the agent closed the connection mid-answer") from exc
    except asyncio.LimitOverrunError as exc:
        raise StreamProtocolError("the agent's answer has an oversized line") from exc
