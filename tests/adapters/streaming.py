"""An answer that streams in chunks and counts how many were read: proves an adapter stops reading at
its limit instead of taking the whole answer into memory."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx

MB = 1024 * 1024


class CountingStream(httpx.AsyncByteStream):
    """`chunks` chunks of `size` bytes, produced one at a time as they are read; `read` counts them and
    `closed` says whether the reader let go of it."""

    def __init__(self, chunks: int, size: int = MB, fill: bytes = b" ") -> None:
        self.chunks = chunks
        self.size = size
        self.fill = fill
        self.read = 0
        self.closed = False

    async def __aiter__(self) -> AsyncIterator[bytes]:
        chunk = self.fill * self.size
        for _ in range(self.chunks):
            self.read += 1
            yield chunk

    async def aclose(self) -> None:
        self.closed = True


def streamed(stream: CountingStream, status: int = 200, declare_length: bool = False) -> httpx.Response:
    """A response whose body is `stream` (chunked, or with its full Content-Length declared)."""
    headers = {"content-type": "application/json"}
    if declare_length:
        headers["content-length"] = str(stream.chunks * stream.size)
    return httpx.Response(status, headers=headers, stream=stream)


def bytes_held(exc: BaseException | None) -> int:
    """Bytes that an exception keeps alive through the frames of its traceback, and of the exceptions
    it was raised from: whatever an adapter had read must not stay in memory with the error."""
    total = 0
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        tb = exc.__traceback__
        while tb is not None:
            total += sum(_size(value) for value in tb.tb_frame.f_locals.values())
            tb = tb.tb_next
        exc = exc.__cause__ or exc.__context__
    return total


def _size(value: object) -> int:
    if isinstance(value, (bytes, bytearray, memoryview)):
        return len(value)
    if isinstance(value, list):
        return sum(len(item) for item in value if isinstance(item, (bytes, bytearray)))
    if isinstance(value, httpx.Response) and hasattr(value, "_content"):
        return len(value.content)
    return 0
