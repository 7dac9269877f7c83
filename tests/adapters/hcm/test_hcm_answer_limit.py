"""An answer larger than the adapter's limit (server_api.MAX_ANSWER, 32 MB) is refused while it streams
in: reading stops at the limit, and the failure says so. A send whose answer was too large may have
reached the server, so its rows stay queued (verified by search before any re-send)."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from synctui_hcm.adapter import HCMBackend
from synctui_hcm.server_api import MAX_ANSWER

from synctui.backend import BackendSettings, Secret
from synctui.model import Category

from ..streaming import MB, CountingStream, streamed
from .conftest import counts

LIMIT_CHUNKS = MAX_ANSWER // MB
MESSAGE = "The server sent an answer larger than 32 MB; synctui stopped reading it."


def backend_on(oplog: Path, http: httpx.AsyncClient) -> HCMBackend:
    settings = BackendSettings(
        name="d",
        kind="hcm",
        url="http://x",
        secret=Secret("t"),
        options={"oplog": str(oplog), "max_passes": 1, "health_interval": 0},
    )
    return HCMBackend(settings, http)


@pytest.mark.parametrize("declare_length", [False, True], ids=["chunked", "content-length"])
async def test_check_connection_stops_reading_at_the_limit(oplog, worker, declare_length: bool) -> None:
    worker.register_household(members=0)
    streams: list[CountingStream] = []

    def handler(request: httpx.Request) -> httpx.Response:
        streams.append(CountingStream(chunks=400))
        return streamed(streams[-1], declare_length=declare_length)

    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as http:
        backend = backend_on(oplog, http)
        health = await backend.check_connection()
        await backend.aclose()
    assert health.error is not None and health.error.message == MESSAGE
    assert health.error.category == Category.SERVER and health.error.code == "ANSWER_TOO_LARGE"
    assert len(streams) == 1
    assert streams[0].read <= (0 if declare_length else LIMIT_CHUNKS + 1), streams[0].read
    assert streams[0].closed


async def test_a_send_with_a_huge_answer_keeps_its_rows_queued(oplog, worker) -> None:
    worker.register_household(members=1)
    streams: list[CountingStream] = []

    def handler(request: httpx.Request) -> httpx.Response:
        streams.append(CountingStream(chunks=400))
        return streamed(streams[-1])

    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as http:
        backend = backend_on(oplog, http)
        before = counts(await backend.snapshot())
        result = await backend.synchronize(lambda p: None)
        after = counts(await backend.snapshot())
        await backend.aclose()
    assert not result.ok and result.rejection is not None
    assert result.rejection.message.startswith(MESSAGE), result.rejection
    assert result.rejection.code == "ANSWER_TOO_LARGE"
    assert after["outbox"] == before["outbox"] and before["outbox"], (before, after)
    assert streams and all(s.read <= LIMIT_CHUNKS + 1 and s.closed for s in streams)
