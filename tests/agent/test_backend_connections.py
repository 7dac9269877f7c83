"""The agent keeps one connection to a backend from one refresh to the next, and copes when the server
closes it in between or as it is reused (Open mSupply's actix-web closes after 5 s, the default refresh
interval)."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from typing import ClassVar

import httpcore
import pytest

from synctui._httpx import httpx
from synctui.agent.backend_http import KEEPALIVE_LONGEST, keepalive_expiry
from synctui.agent.backend_service import BackendService
from synctui.backend import Backend, BackendSettings
from synctui.model import Health, Snapshot

REFRESH = 20.0  # seconds: longer than httpx's own keep-alive (5 s), as any interval over 5 s is
ANSWER = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"


class CountingServer:
    """HTTP/1.1 on loopback answering `{}`; counts the connections it accepted, closes one idle for
    `idle_close` seconds (None: keeps it) and, with `answers` set, one that has answered that many
    requests as the next one arrives, unanswered (as a server whose idle timeout crosses the request)."""

    def __init__(self, idle_close: float | None = None, answers: int | None = None) -> None:
        self.idle_close = idle_close
        self.answers = answers
        self.accepted = 0
        self.server: asyncio.Server | None = None
        self.open: dict[asyncio.StreamWriter, asyncio.Task[None]] = {}

    @property
    def url(self) -> str:
        assert self.server is not None
        host, port = self.server.sockets[0].getsockname()[:2]
        return f"http://{host}:{port}"

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.accepted += 1
        self.open[writer] = asyncio.current_task()  # type: ignore[assignment]
        answered = 0
        with contextlib.suppress(TimeoutError, asyncio.IncompleteReadError, ConnectionError):
            while True:
                async with asyncio.timeout(self.idle_close):
                    await reader.readuntil(b"\r\n\r\n")
                if answered == self.answers:
                    break
                writer.write(ANSWER)
                await writer.drain()
                answered += 1
        writer.close()
        await writer.wait_closed()
        del self.open[writer]

    async def close(self) -> None:
        assert self.server is not None
        self.server.close()
        for writer in list(self.open):
            writer.close()
        await asyncio.gather(*self.open.values())
        await self.server.wait_closed()


class ProbeBackend(Backend):
    """One GET to the backend's URL per snapshot."""

    kind: ClassVar[str] = "probe"

    async def snapshot(self) -> Snapshot:
        response = await self.http.get(self.settings.url + "/state")
        response.raise_for_status()
        return Snapshot(backend=self.name, kind=self.kind, queues=[], health=Health(online=True))


class SteppedClock:
    """`time.monotonic` for httpcore's keep-alive expiry, moved on by a refresh interval at a time, so a
    test need not wait 20 s between refreshes."""

    def __init__(self) -> None:
        self.offset = 0.0

    def monotonic(self) -> float:
        return time.monotonic() + self.offset


@pytest.fixture
async def counting_server(request: pytest.FixtureRequest) -> AsyncIterator[CountingServer]:
    server = CountingServer(**request.param)
    server.server = await asyncio.start_server(server.serve, "127.0.0.1", 0)
    yield server
    await server.close()


def probe_service(make_agent, registry, server: CountingServer, refresh: float) -> BackendService:
    registry.backends["probe"] = ProbeBackend
    agent = make_agent(
        BackendSettings(name="p", kind="probe", url=server.url, refresh_interval=refresh, timeout=5)
    )
    return agent.services["p"]


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> SteppedClock:
    stepped = SteppedClock()
    monkeypatch.setattr(httpcore._async.http11, "time", stepped)
    return stepped


@pytest.mark.parametrize("counting_server", [{}], indirect=True)
async def test_one_connection_over_several_refreshes(make_agent, registry, counting_server, clock) -> None:
    service = probe_service(make_agent, registry, counting_server, REFRESH)
    for _ in range(4):
        await service.refresh_once()
        assert not service.snapshot.stale
        clock.offset += REFRESH  # the idle wait until the next refresh
    assert counting_server.accepted == 1


@pytest.mark.parametrize(
    "counting_server",
    [
        pytest.param({"idle_close": 0.05}, id="closed-while-idle"),
        pytest.param({"answers": 1}, id="closed-as-it-is-reused"),
    ],
    indirect=True,
)
async def test_a_connection_the_server_closed_costs_a_connect_not_a_refresh(
    make_agent, registry, counting_server
) -> None:
    service = probe_service(make_agent, registry, counting_server, 0.2)
    for refresh in range(1, 4):
        await service.refresh_once()
        assert not service.snapshot.stale and service.failures == 0
        assert counting_server.accepted == refresh  # a new connection each time
        await asyncio.sleep(0.2)  # the idle wait until the next refresh


@pytest.mark.parametrize("counting_server", [{"answers": 1}], indirect=True)
async def test_a_post_is_never_sent_twice(make_agent, registry, counting_server) -> None:
    service = probe_service(make_agent, registry, counting_server, 0.2)
    await service.refresh_once()  # a GET: the connection is kept
    assert service.backend is not None
    with pytest.raises(httpx.RemoteProtocolError):
        await service.backend.http.post(counting_server.url + "/action", json={})
    assert counting_server.accepted == 1  # the server may have acted on it: the caller decides


@pytest.mark.parametrize("counting_server", [{"answers": 0}], indirect=True)
async def test_a_new_connection_closed_unanswered_fails_the_refresh(
    make_agent, registry, counting_server
) -> None:
    service = probe_service(make_agent, registry, counting_server, 0.2)
    await service.refresh_once()
    assert service.snapshot.stale and service.failures == 1
    assert counting_server.accepted == 1  # not sent again: that was the server's answer


def test_keepalive_follows_the_refresh_interval_up_to_a_minute() -> None:
    assert keepalive_expiry(5) > 5
    assert keepalive_expiry(30) > 30
    assert keepalive_expiry(3600) == KEEPALIVE_LONGEST
