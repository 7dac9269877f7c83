"""The agent's event stream on its Unix socket, read without httpx (synctui.socket_stream).

A small asyncio server on a Unix socket plays the agent's part byte by byte: chunked answers cut at
awkward places, an answer sized by Content-Length, refusals, and answers that are not HTTP."""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from synctui.client import HttpAgentClient
from synctui.client_interface import AgentRefused, AgentTokenRefused, AgentUnavailable
from synctui.model import QueueKind
from synctui.socket_stream import StreamProtocolError, StreamRefused, get_lines

Answer = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


def event(revision: int) -> bytes:
    state = {"backends": [], "revision": revision}
    return f"data: {json.dumps(state)}\n\n".encode()


def chunked(*pieces: bytes) -> bytes:
    return b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in pieces) + b"0\r\n\r\n"


STREAM_HEAD = b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n"


class FakeAgent:
    """Answers each connection with the next of `answers` (the last repeats); keeps the request lines."""

    def __init__(self, path: Path, answers: list[bytes]) -> None:
        self.path = path
        self.answers = answers
        self.requests: list[str] = []
        self.server: asyncio.Server | None = None

    async def __aenter__(self) -> FakeAgent:
        self.server = await asyncio.start_unix_server(self.answer, str(self.path))
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self.server is not None
        self.server.close()
        await self.server.wait_closed()

    async def answer(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        self.requests.append(head.decode())
        answer = self.answers[min(len(self.requests) - 1, len(self.answers) - 1)]
        writer.write(answer)
        await writer.drain()
        writer.close()


@pytest.fixture
def sock(tmp_path: Path) -> Path:
    return tmp_path / "agent.sock"


async def collect(path: Path, answers: list[bytes]) -> tuple[list[str], list[str]]:
    async with FakeAgent(path, answers) as agent:
        lines = [line async for line in get_lines(path, "/v1/events?after=-1", {}, connect_timeout=2)]
    return lines, agent.requests


async def test_chunked_lines_cut_anywhere_are_joined(sock: Path) -> None:
    body = b"data: one\r\n\r\ndata: two\n\n"
    answer = STREAM_HEAD + chunked(body[:3], body[3:12], body[12:13], body[13:])
    lines, requests = await collect(sock, [answer])
    assert lines == ["data: one", "", "data: two", ""]
    assert requests[0].startswith("GET /v1/events?after=-1 HTTP/1.1\r\n")


async def test_a_body_sized_by_content_length_or_ended_by_the_connection(sock: Path) -> None:
    sized = b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nline\nlast\n"
    assert (await collect(sock, [sized]))[0] == ["line", "last"]
    sock.unlink()
    unsized = b"HTTP/1.1 200 OK\r\n\r\nline\nno end"
    assert (await collect(sock, [unsized]))[0] == ["line", "no end"]


async def test_an_error_status_is_refused_with_its_headers_and_text(sock: Path) -> None:
    answer = b"HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Bearer\r\nContent-Length: 7\r\n\r\nno way!"
    with pytest.raises(StreamRefused) as refused:
        await collect(sock, [answer])
    assert refused.value.status == 401
    assert refused.value.headers["www-authenticate"] == "Bearer"
    assert refused.value.text == "no way!"


@pytest.mark.parametrize(
    "answer",
    [
        b"SSH-2.0-OpenSSH\r\n\r\n",
        STREAM_HEAD + b"zz\r\nabc\r\n",  # not a chunk size
        STREAM_HEAD + b"10\r\nshort",  # cut in the middle of a chunk
        b"HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\nshort",
    ],
)
async def test_an_answer_that_is_not_http_is_a_protocol_error(sock: Path, answer: bytes) -> None:
    with pytest.raises(StreamProtocolError):
        await collect(sock, [answer])


async def test_the_client_follows_the_stream_and_resumes_from_the_last_revision(sock: Path) -> None:
    first = STREAM_HEAD + chunked(event(3)[:10], event(3)[10:] + event(4))
    again = STREAM_HEAD + chunked(event(9))
    async with FakeAgent(sock, [first, again]) as agent:
        client = HttpAgentClient(socket=sock)
        updates = client.updates()
        revisions = [(await anext(updates)).revision for _ in range(3)]
        await updates.aclose()
        await client.aclose()
    assert revisions == [3, 4, 9]
    assert agent.requests[1].startswith("GET /v1/events?after=4 ")
    assert "httpx" not in sys.modules or client._client is None  # no request went through httpx


async def test_the_client_says_why_the_stream_failed(sock: Path) -> None:
    refusals = {
        b"HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Bearer\r\nContent-Length: 0\r\n\r\n": AgentTokenRefused,
        b"HTTP/1.1 503 Busy\r\nContent-Length: 4\r\n\r\nbusy": AgentRefused,
        b"garbage\r\n\r\n": AgentUnavailable,
    }
    for answer, error in refusals.items():
        async with FakeAgent(sock, [answer]):
            client = HttpAgentClient(socket=sock)
            with pytest.raises(error):
                await anext(client.updates())
        sock.unlink()
    with pytest.raises(AgentUnavailable, match="no agent is running"):
        await anext(HttpAgentClient(socket=sock).updates())


def json_answer(status: str, body: object, *extra: str) -> bytes:
    data = json.dumps(body).encode()
    head = [f"HTTP/1.1 {status}", f"Content-Length: {len(data)}", *extra]
    return ("\r\n".join(head) + "\r\n\r\n").encode() + data


async def test_a_get_reads_the_answer_without_httpx_and_encodes_the_query(sock: Path) -> None:
    page = {"entries": [], "offset": 500_000, "limit": 50, "total": 1_000_000}
    async with FakeAgent(sock, [json_answer("200 OK", page)]) as agent:
        client = HttpAgentClient(socket=sock)
        got = await client.entries("tablet 1", QueueKind.OUTBOX, offset=500_000, filter="Patient & co")
    assert (got.offset, got.total) == (500_000, 1_000_000)
    assert agent.requests[0].startswith(
        "GET /v1/backends/tablet%201/queues/outbox?offset=500000&limit=50&filter=Patient+%26+co HTTP/1.1\r\n"
    )
    assert client._client is None  # httpx was not needed


async def test_a_get_refused_says_what_the_agent_said(sock: Path) -> None:
    answers = [
        (json_answer("404 Not Found", {"error": "no backend 'x'"}), AgentRefused, "no backend 'x'"),
        (b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n", AgentRefused, "Bad Gateway"),
        (
            json_answer("401 Unauthorized", {"error": "bearer token"}, "WWW-Authenticate: Bearer"),
            AgentTokenRefused,
            "token",
        ),
        (b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\n<p>", AgentUnavailable, "not JSON"),
    ]
    for answer, error, words in answers:
        async with FakeAgent(sock, [answer]):
            with pytest.raises(error, match=words):
                await HttpAgentClient(socket=sock).state()
        sock.unlink()


async def test_the_state_asked_for_before_the_loop_runs_is_read_from_that_request(sock: Path) -> None:
    state = {"backends": [], "revision": 7}
    async with FakeAgent(sock, [json_answer("200 OK", state)]) as agent:
        client = HttpAgentClient(socket=sock)
        client.ask_state_now()  # blocking connect and send, as the dashboard does before its imports
        assert (await client.early_state()).revision == 7
        assert (await client.early_state()).revision == 7  # nothing left asked for: a new request
    assert [request.split("\r\n")[0] for request in agent.requests] == ["GET /v1/state HTTP/1.1"] * 2


async def test_a_state_asked_for_early_that_fails_says_why(sock: Path) -> None:
    client = HttpAgentClient(socket=sock)
    client.ask_state_now()  # no agent: nothing sent, nothing raised
    with pytest.raises(AgentUnavailable, match="socket not found"):
        await client.early_state()
    async with FakeAgent(sock, [json_answer("503 Service Unavailable", {"error": "starting"})]):
        client.ask_state_now()
        with pytest.raises(AgentRefused, match="starting"):
            await client.early_state()
        client.ask_state_now()
        asked = client._early
        assert asked is not None
        await client.aclose()  # closes the connection of what was asked for and not read
        assert asked.fileno() == -1
