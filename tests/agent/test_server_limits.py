"""The agent's HTTP servers hold against hostile clients: half-open connections, floods, huge bodies,
clients that never read (issue 9). Loopback only; every connection is closed at the end."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import socket
import time
from pathlib import Path

import httpx
import pytest

from synctui.agent.connections import Limits
from synctui.agent.run import start_agent
from synctui.agent.server import (
    ApiServer,
    SocketInUse,
    StartError,
    bind_tcp,
    bind_unix_socket,
)
from synctui.backend import Secret
from synctui.client import HttpAgentClient

from .conftest import agent_config, static_settings

TOKEN = "s3cret-token"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
async def running(tmp_path, registry):
    config = agent_config(tmp_path, [static_settings("a", refresh_interval=60)])
    config.agent.tcp = f"127.0.0.1:{free_port()}"
    config.agent.token = Secret(TOKEN)
    agent = await start_agent(config, registry)
    yield agent
    await agent.stop()


@contextlib.asynccontextmanager
async def half_open(n: int, connect, line: bytes = b"GET /healthz HTTP/1.1\r\n"):
    """`n` connections that send `line` (a request line, no headers end) and nothing more."""
    writers: list[asyncio.StreamWriter] = []
    try:
        for _ in range(n):
            try:
                _, writer = await asyncio.wait_for(connect(), 2)
            except (OSError, TimeoutError):
                continue  # refused or reset at the cap: that is the point
            writers.append(writer)
            with contextlib.suppress(OSError):
                writer.write(line)
        await asyncio.sleep(0.2)
        yield writers
    finally:
        for writer in writers:
            writer.transport.abort()


def tracebacks(caplog) -> int:
    return sum(1 for r in caplog.records if r.exc_info) + caplog.text.count("Traceback")


async def test_300_half_open_connections_do_not_stop_a_normal_request(running, caplog):
    host, port = running.agent.config.agent.tcp.rsplit(":", 1)
    unix = str(running.socket)
    with caplog.at_level(logging.WARNING):
        async with (
            half_open(300, lambda: asyncio.open_connection(host, int(port))),
            half_open(300, lambda: asyncio.open_unix_connection(unix)),
        ):
            for server in running.servers:  # transports still open, not only those counted
                assert len(server.server.server_state.connections) <= server.limits.max_connections
            local = HttpAgentClient(socket=running.socket)
            started = time.monotonic()
            async with httpx.AsyncClient(
                transport=httpx.AsyncHTTPTransport(uds=unix), base_url="http://agent", timeout=2
            ) as client:
                assert (await client.get("/healthz")).json()["ok"] is True
            async with httpx.AsyncClient(base_url=f"http://{host}:{port}", timeout=2) as client:
                headers = {"Authorization": f"Bearer {TOKEN}"}
                assert (await client.get("/healthz", headers=headers)).json()["ok"] is True
            assert time.monotonic() - started < 2.0
            await local.aclose()
    assert tracebacks(caplog) == 0
    server_lines = [r for r in caplog.records if r.name.startswith(("synctui.agent.server", "uvicorn"))]
    assert len(server_lines) <= 8, [r.getMessage() for r in server_lines]


def small_limits(**kw) -> Limits:
    base = {
        "max_connections": 8,
        "header_timeout": 0.3,
        "idle_timeout": 0.3,
        "write_stall_timeout": 0.5,
        "write_buffer": 16 * 1024,
        "body_timeout": 0.5,
        "max_body_bytes": 1024 * 1024,
        "log_interval": 60.0,
    }
    base.update(kw)
    return Limits(**base)


class Gate:
    """A tiny ASGI app: /block waits for the gate; /stream sends forever; / echoes the body size."""

    def __init__(self) -> None:
        self.open = asyncio.Event()
        self.bodies: list[int] = []

    async def __call__(self, scope, receive, send) -> None:
        if scope["path"] == "/block":
            await self.open.wait()
        if scope["path"] == "/stream":
            await send({"type": "http.response.start", "status": 200, "headers": []})
            chunk = b"data: " + b"x" * 8192 + b"\n\n"
            for _ in range(20_000):  # ~160 MB if nobody stopped it; a dropped client's sends return at once
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
                await asyncio.sleep(0)
            await send({"type": "http.response.body", "body": b"", "more_body": False})
            return
        message = await receive()
        self.bodies.append(len(message.get("body", b"")))
        body = json.dumps({"ok": True, "size": self.bodies[-1]}).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-length", str(len(body)).encode())],
            }
        )
        await send({"type": "http.response.body", "body": body})


@pytest.fixture
async def small_server(tmp_path):
    servers: list[ApiServer] = []

    async def make(app=None, **kw) -> tuple[ApiServer, Path]:
        path = tmp_path / f"s{len(servers)}.sock"
        server = ApiServer(
            app or Gate(), [bind_unix_socket(path)], path, limits=small_limits(**kw), name="test"
        )
        await server.start()
        servers.append(server)
        return server, path

    yield make
    for server in servers:
        await server.stop()


async def eof_within(reader: asyncio.StreamReader, seconds: float) -> bool:
    try:
        data = await asyncio.wait_for(reader.read(65536), seconds)
    except (TimeoutError, ConnectionError):
        return False
    return data == b""


async def test_a_request_head_that_never_completes_is_closed_after_the_header_timeout(small_server, caplog):
    server, path = await small_server()
    with caplog.at_level(logging.WARNING):
        conns = [await asyncio.open_unix_connection(str(path)) for _ in range(5)]
        for _, writer in conns:
            writer.write(b"GET / HTTP/1.1\r\nHost: x\r\n")
        results = await asyncio.gather(*(eof_within(reader, 2) for reader, _ in conns))
        assert all(results)
        for _, writer in conns:
            writer.close()
    lines = [r.getMessage() for r in caplog.records if r.name == "synctui.agent.server"]
    assert lines == ["test: closed a connection that sent no complete request within 0.3 s"]
    assert server.connections == 0


async def test_an_idle_kept_alive_connection_is_closed(small_server):
    _server, path = await small_server()
    reader, writer = await asyncio.open_unix_connection(str(path))
    writer.write(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 2)
    assert head.startswith(b"HTTP/1.1 200")
    started = time.monotonic()
    await asyncio.wait_for(reader.read(), 2)  # the body, then EOF when the idle timeout closes it
    assert time.monotonic() - started < 1.5
    writer.close()


async def test_at_the_cap_idle_connections_make_room_and_busy_ones_refuse_new(small_server, caplog):
    gate = Gate()
    server, path = await small_server(gate, header_timeout=30, idle_timeout=30)
    with caplog.at_level(logging.WARNING):
        busy = []
        for _ in range(8):  # every slot busy with a request that waits
            reader, writer = await asyncio.open_unix_connection(str(path))
            writer.write(b"GET /block HTTP/1.1\r\nHost: x\r\n\r\n")
            busy.append((reader, writer))
        await asyncio.sleep(0.1)
        assert server.connections == 8
        refused = []
        for _ in range(50):
            reader, writer = await asyncio.open_unix_connection(str(path))
            refused.append((reader, writer))
        assert all(await asyncio.gather(*(eof_within(r, 1) for r, _ in refused)))
        gate.open.set()
        for reader, _ in busy:
            assert (await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 2)).startswith(b"HTTP/1.1 200")
        # Now all 8 are idle (kept alive): a new client takes the oldest one's place.
        async with httpx.AsyncClient(
            transport=httpx.AsyncHTTPTransport(uds=str(path)), base_url="http://x", timeout=2
        ) as client:
            assert (await client.get("/")).status_code == 200
        for _, writer in busy + refused:
            writer.close()
    lines = [r.getMessage() for r in caplog.records if r.name == "synctui.agent.server"]
    assert lines == [
        "test: 8 connections are busy; refusing new ones",
        "test: 8 connections are open; closing the oldest idle ones to make room",
    ]
    assert server.pool.refused.total == 50


async def test_a_body_over_the_limit_gets_413_and_never_reaches_the_app(running):
    unix = str(running.socket)
    async with httpx.AsyncClient(
        transport=httpx.AsyncHTTPTransport(uds=unix), base_url="http://agent", timeout=10
    ) as client:
        response = await client.post("/v1/backends/a/retry", content=b"x" * (5 * 1024 * 1024))
        assert response.status_code == 413
        assert response.json() == {"error": "the request body is larger than 1 MiB"}
        assert response.text.count("\n") == 1

        async def chunks():  # no Content-Length: counted as it comes
            for _ in range(40):
                yield b"y" * 65536

        response = await client.post("/v1/backends/a/retry", content=chunks())
        assert response.status_code == 413
        ok = await client.post("/v1/backends/a/retry", json={"ids": ["1"]})  # a normal body still works
        assert ok.status_code != 413
    audit = running.agent.store.audit.read()
    assert not any(r.get("action") == "retry" and "x" * 100 in json.dumps(r) for r in audit)


async def test_a_body_that_trickles_gets_408(small_server):
    _server, path = await small_server()
    reader, writer = await asyncio.open_unix_connection(str(path))
    writer.write(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nabc")
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 3)
    assert head.startswith(b"HTTP/1.1 408")
    writer.close()


async def test_a_client_that_never_reads_is_dropped_and_its_buffer_bounded(small_server, caplog):
    server, path = await small_server()
    with caplog.at_level(logging.WARNING):
        clients = []
        for _ in range(5):
            _reader, writer = await asyncio.open_unix_connection(str(path))
            writer.transport.pause_reading()  # never reads the stream
            writer.write(b"GET /stream HTTP/1.1\r\nHost: x\r\n\r\n")
            clients.append(writer)
        await asyncio.sleep(0.2)
        buffered = [c.transport.get_write_buffer_size() for c in server.pool.open]
        assert buffered and max(buffered) <= 16 * 1024 + 9000  # the limit and one message at most
        deadline = time.monotonic() + 5
        while server.connections and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        assert server.connections == 0
        for writer in clients:
            writer.transport.abort()
    lines = [r.getMessage() for r in caplog.records if r.name == "synctui.agent.server"]
    assert lines == ["test: dropped a client that read nothing for 0.5 s"]
    assert tracebacks(caplog) == 0


async def test_the_unix_socket_needs_no_token_and_tcp_needs_it(running):
    host, port = running.agent.config.agent.tcp.rsplit(":", 1)
    local = HttpAgentClient(socket=running.socket)
    state = await local.state()
    assert state.view("a") is not None
    await local.aclose()
    async with httpx.AsyncClient(base_url=f"http://{host}:{port}", timeout=2) as client:
        assert (await client.get("/v1/state")).status_code == 401
        assert (await client.get("/v1/state", headers={"Authorization": "Bearer nope"})).status_code == 401
        ok = await client.get("/v1/state", headers={"Authorization": f"Bearer {TOKEN}"})
        assert ok.status_code == 200


def test_a_tcp_port_in_use_is_one_clear_line():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        with pytest.raises(SocketInUse) as err:
            bind_tcp(f"127.0.0.1:{port}")
    assert (
        str(err.value) == f"cannot listen on TCP 127.0.0.1:{port}: the port is already in use ([agent] tcp)"
    )


async def test_a_second_agent_stops_before_touching_the_state(running, tmp_path, registry):
    config = running.agent.config
    with pytest.raises(SocketInUse, match="already listening"):
        await start_agent(config, registry)
    assert running.socket.exists()  # the first agent's socket is left alone


async def test_start_errors_are_one_line(tmp_path, registry):
    config = agent_config(tmp_path, [])
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "agent.sock").mkdir()  # a folder where the socket goes
    with pytest.raises(StartError, match=r"cannot listen on .*agent.sock: it is a folder, not a socket$"):
        await start_agent(config, registry)
    (tmp_path / "run" / "agent.sock").rmdir()
    (tmp_path / "state").write_text("a file")
    with pytest.raises(StartError, match=r"^cannot use the state folder .*state: "):
        await start_agent(config, registry)
    assert not (tmp_path / "run" / "agent.sock").exists()  # nothing left behind


async def test_oversized_headers_are_refused_with_one_log_line(small_server, caplog):
    _server, path = await small_server(max_header_bytes=4096)
    with caplog.at_level(logging.WARNING):
        for i in range(30):
            reader, writer = await asyncio.open_unix_connection(str(path))
            head = b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 8192 + b"\r\n\r\n"
            if i % 2:  # in pieces: h11 stops buffering at the limit (400)
                for start in range(0, 5120, 1024):  # the last piece passes the limit; no more
                    writer.write(head[start : start + 1024])
                    await asyncio.sleep(0.001)
            else:  # whole: the middleware counts it (431)
                writer.write(head)
            status = await asyncio.wait_for(reader.readuntil(b"\r\n"), 2)
            assert status.startswith((b"HTTP/1.1 400", b"HTTP/1.1 431")), status
            writer.close()
    server_lines = [r for r in caplog.records if r.name.startswith("uvicorn")]
    assert len(server_lines) <= 1, [r.getMessage() for r in server_lines]
