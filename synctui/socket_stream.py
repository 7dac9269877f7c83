"""One streaming GET to the local agent over its Unix socket, with the standard library only.

The dashboard's first frame waits for one thing from the network: the agent's first pushed state.
httpx (with httpcore, anyio, its SSL context) costs ~55 ms of a ~400 ms start; so does h11 alone
~20 ms. This reads the one request the first frame needs: HTTP/1.1 to our own agent (uvicorn), a
status line, headers, and a body that is chunked, sized by Content-Length, or ends with the
connection. Everything else the client does goes through httpx, loaded once the screen is up.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping
from pathlib import Path

MAX_ERROR_BODY = 64 * 1024  # what is read of a refusal's body


class StreamProtocolError(OSError):
    """The agent's answer is not HTTP/1.1 as expected (an OSError: the connection is not usable)."""


class StreamRefused(Exception):
    """The agent answered the request with an error status."""

    def __init__(self, status: int, headers: Mapping[str, str], text: str) -> None:
        super().__init__(f"HTTP {status}")
        self.status = status
        self.headers = headers
        self.text = text


async def get_lines(
    socket: Path, target: str, headers: Mapping[str, str], *, connect_timeout: float
) -> AsyncIterator[str]:
    """The body of `GET target` on `socket`, line by line (without line ends), until the agent ends
    it. Raises StreamRefused for a status of 400 or more, OSError when the connection fails."""
    reader, writer = await asyncio.wait_for(asyncio.open_unix_connection(str(socket)), connect_timeout)
    try:
        lines = [f"GET {target} HTTP/1.1", "Host: synctui-agent", "Accept: text/event-stream"]
        lines += [f"{name}: {value}" for name, value in headers.items()]
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
        await writer.drain()
        status, answer_headers = await asyncio.wait_for(_read_head(reader), connect_timeout)
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
    except asyncio.IncompleteReadError as exc:
        raise StreamProtocolError("the agent closed the connection mid-answer") from exc
    except asyncio.LimitOverrunError as exc:
        raise StreamProtocolError("the agent's answer has an oversized line") from exc
    finally:
        writer.close()


async def _read_head(reader: asyncio.StreamReader) -> tuple[int, dict[str, str]]:
    head = await reader.readuntil(b"\r\n\r\n")  # at most the reader's limit (64 KiB)
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    parts = status_line.split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/1.") or not parts[1].isdigit():
        raise StreamProtocolError(f"not an HTTP answer: {status_line[:60]!r}")
    headers: dict[str, str] = {}
    for line in header_lines:
        name, sep, value = line.partition(":")
        if sep:
            headers[name.strip().lower()] = value.strip()
    return int(parts[1]), headers


async def _body(reader: asyncio.StreamReader, headers: Mapping[str, str]) -> AsyncIterator[bytes]:
    if "chunked" in headers.get("transfer-encoding", "").lower():
        while True:
            size_line = await reader.readuntil(b"\r\n")
            size_text = size_line.split(b";", 1)[0].strip()
            try:
                size = int(size_text, 16)
            except ValueError:
                raise StreamProtocolError(f"bad chunk size {size_text[:20]!r}") from None
            if size == 0:
                return  # trailers, if any, are not read: the connection is closed after the stream
            yield await reader.readexactly(size)
            await reader.readexactly(2)  # the chunk's CRLF
    elif "content-length" in headers:
        if not headers["content-length"].isdigit():
            raise StreamProtocolError(f"bad Content-Length {headers['content-length'][:20]!r}")
        remaining = int(headers["content-length"])
        while remaining > 0:
            piece = await reader.read(min(remaining, 65536))
            if not piece:
                raise StreamProtocolError("the agent closed the connection mid-answer")
            remaining -= len(piece)
            yield piece
    else:
        while piece := await reader.read(65536):
            yield piece
