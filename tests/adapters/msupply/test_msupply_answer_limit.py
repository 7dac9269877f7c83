"""An answer larger than the adapter's limit (wire.MAX_ANSWER, 32 MB), from the site's GraphQL or from
the legacy central, is refused while it streams in: reading stops at the limit and the error says so."""

from __future__ import annotations

import httpx
import pytest
from synctui_msupply.adapter import MSupplyBackend
from synctui_msupply.site_client import MAX_ANSWER

from synctui.backend import BackendError
from synctui.model import Category

from ..streaming import MB, CountingStream, bytes_held, streamed

LIMIT_CHUNKS = MAX_ANSWER // MB


class Huge(httpx.AsyncBaseTransport):
    """Answers the requests whose path starts with `prefix` with `stream`; the rest go to the simulator."""

    def __init__(self, inner: httpx.AsyncBaseTransport, prefix: str, stream: CountingStream, length: bool):
        self.inner, self.prefix, self.stream, self.length = inner, prefix, stream, length

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.startswith(self.prefix):
            return streamed(self.stream, declare_length=self.length)
        return await self.inner.handle_async_request(request)


@pytest.fixture
def swap(http: httpx.AsyncClient):
    original = http._transport

    def install(prefix: str, stream: CountingStream, length: bool = False) -> None:
        http._transport = Huge(original, prefix, stream, length)

    yield install
    http._transport = original


@pytest.mark.parametrize("declare_length", [False, True], ids=["chunked", "content-length"])
async def test_a_huge_site_answer_stops_reading_at_the_limit(
    backend: MSupplyBackend, swap, declare_length: bool
) -> None:
    stream = CountingStream(chunks=400)
    swap("/graphql", stream, declare_length)
    with pytest.raises(BackendError) as caught:
        await backend.snapshot()
    rejection = caught.value.rejection
    assert rejection.message == (
        "The mSupply site at http://site.msupply.test/graphql sent an answer larger than 32 MB; "
        "synctui stopped reading it."
    )
    assert rejection.category == Category.SERVER and rejection.code == "ANSWER_TOO_LARGE"
    assert stream.read <= (0 if declare_length else LIMIT_CHUNKS + 1), stream.read
    assert stream.closed
    assert bytes_held(caught.value) <= stream.size  # what was read is not kept with the error


async def test_a_huge_central_answer_stops_reading_at_the_limit(backend: MSupplyBackend, swap) -> None:
    stream = CountingStream(chunks=400)
    swap("/sync/", stream)
    health = await backend.check_connection()
    assert health.error is not None, health
    assert "sent an answer larger than 32 MB; synctui stopped reading it." in health.error.message
    assert "central server" in health.error.message
    assert stream.read <= LIMIT_CHUNKS + 1, stream.read
    assert stream.closed
