"""An answer larger than the adapter's limit (MAX_BODY, 32 MB) is refused while it streams in: reading
stops at the limit, the connection is let go, and the error says how large is too large."""

from __future__ import annotations

import pytest
from synctui_santedb.dcdr_client import MAX_BODY

from synctui.backend import BackendError
from synctui.model import Category

from ..streaming import MB, CountingStream, bytes_held, streamed
from .conftest import URL, FakeDcdr, make_backend

LIMIT_CHUNKS = MAX_BODY // MB  # 1 MB chunks that fit in the limit


@pytest.mark.parametrize("declare_length", [False, True], ids=["chunked", "content-length"])
async def test_an_answer_over_the_limit_stops_reading_there(fake: FakeDcdr, declare_length: bool) -> None:
    stream = CountingStream(chunks=400)  # 400 MB, produced only as read
    fake.overrides[("GET", "/app/Queue")] = lambda request: streamed(stream, declare_length=declare_length)
    with pytest.raises(BackendError) as caught:
        await make_backend(fake).snapshot()
    rejection = caught.value.rejection
    assert rejection.message == f"The dCDR at {URL} answered /app/Queue with an answer larger than 32 MB"
    assert rejection.category == Category.SERVER
    assert stream.read <= (0 if declare_length else LIMIT_CHUNKS + 1), stream.read
    assert stream.closed
    assert bytes_held(caught.value) <= stream.size  # what was read is not kept with the error


async def test_an_answer_at_the_limit_is_read(fake: FakeDcdr) -> None:
    """Exactly MAX_BODY bytes is not too large: it reaches the parser (here: not valid JSON)."""
    stream = CountingStream(chunks=LIMIT_CHUNKS)
    fake.overrides[("GET", "/app/Queue")] = lambda request: streamed(stream)
    with pytest.raises(BackendError) as caught:
        await make_backend(fake).snapshot()
    assert "larger than" not in caught.value.rejection.message
    assert stream.read == LIMIT_CHUNKS
