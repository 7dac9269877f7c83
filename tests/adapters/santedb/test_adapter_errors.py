"""Garbage, HTTP errors and transport failures become one human line, never a traceback or a secret."""

from __future__ import annotations

import httpx
import pytest

from synctui.backend import BackendError
from synctui.model import Category

from .conftest import PASSWORD, URL, FakeDcdr, make_backend


def answer(status: int = 200, **kwargs) -> object:
    return lambda request: httpx.Response(status, **kwargs)


def raise_(exc: Exception) -> object:
    def handler(request: httpx.Request) -> httpx.Response:
        raise exc

    return handler


@pytest.mark.parametrize(
    ("response", "words", "category"),
    [
        (
            answer(json={"in": 0, "out": "many", "admin": 0, "deadletter": 0}),
            "count for 'out' that is not a number",
            Category.SERVER,
        ),
        (answer(json={"in": 0, "out": 1}), "no count for the 'admin' queue", Category.SERVER),
        (answer(json=[1, 2]), "queue counts that is not an object", Category.SERVER),
        (answer(content=b"{not json"), "not valid JSON", Category.SERVER),
        (
            answer(content=b"<html><body>SanteDB</body></html>", headers={"content-type": "text/html"}),
            "not valid JSON",
            Category.SERVER,
        ),
        (answer(content=b'{"in": NaN}'), "not valid JSON", Category.SERVER),
        (answer(content=b"\xff\xfe"), "not UTF-8", Category.SERVER),
        (answer(json={"in": -1, "out": 0, "admin": 0, "deadletter": 0}), "out of range", Category.SERVER),
        (
            answer(500, json={"$type": "RestServiceFault", "message": "Database is locked"}),
            "failed on /app/Queue (HTTP 500): Database is locked",
            Category.SERVER,
        ),
        (answer(503, text="down"), "busy or unavailable", Category.RETRYABLE),
        (
            answer(403, json={"message": "Policy 1.3.6.1.4.1.33349.3.1.5.9.2.1.0 denied"}),
            "may not use /app/Queue",
            Category.AUTH,
        ),
        (raise_(httpx.ConnectError("refused")), "refused the connection", Category.RETRYABLE),
        (raise_(httpx.ReadTimeout("slow")), "did not answer in time", Category.RETRYABLE),
        (raise_(httpx.RemoteProtocolError("bad")), "dropped the connection", Category.RETRYABLE),
    ],
)
async def test_queue_answer_problems(fake: FakeDcdr, response, words: str, category: Category) -> None:
    fake.overrides[("GET", "/app/Queue")] = response
    adapter = make_backend(fake)
    with pytest.raises(BackendError) as caught:
        await adapter.snapshot()
    rejection = caught.value.rejection
    assert words in rejection.message
    assert rejection.category == category
    assert URL in rejection.message or rejection.category == Category.AUTH
    assert "\n" not in rejection.message and "Traceback" not in rejection.message
    assert "tok-1" not in repr(rejection) and PASSWORD not in repr(rejection)


@pytest.mark.parametrize(
    ("path", "body", "words"),
    [
        ("/app/State", {"hdsi": True}, "no 'online' flag"),
        ("/app/State", {"online": "maybe"}, "'online' flag that is not true/false"),
        ("/app/Sync", {"resource": 5}, "'resource' is not a list"),
        ("/app/Sync", [{"ResourceType": "Patient"}], "without a Key"),
        ("/app/Sync", [{"Key": "k", "ResourceType": "Patient", "LastSync": "yesterday"}], "not a timestamp"),
    ],
)
async def test_other_shapes(fake: FakeDcdr, path: str, body: object, words: str) -> None:
    fake.overrides[("GET", path)] = answer(json=body)
    with pytest.raises(BackendError) as caught:
        await make_backend(fake).snapshot()
    assert words in caught.value.rejection.message
    assert path in caught.value.rejection.message


async def test_entry_list_wrong_types(fake: FakeDcdr) -> None:
    from synctui.model import QueueKind

    fake.overrides[("GET", "/app/Queue/out")] = answer(json={"resource": [{"id": True}]})
    with pytest.raises(BackendError, match="without a valid id"):
        await make_backend(fake).entries(QueueKind.OUTBOX)
    fake.overrides[("GET", "/app/Queue/out")] = answer(json={"resource": [{"id": 1, "retry": "x"}]})
    with pytest.raises(BackendError, match="retry count that is not a number"):
        await make_backend(fake).entries(QueueKind.OUTBOX)


async def test_token_answer_without_token(fake: FakeDcdr) -> None:
    fake.overrides[("POST", "/auth/oauth2_token")] = answer(json={"token_type": "bearer"})
    with pytest.raises(BackendError, match="no usable access_token"):
        await make_backend(fake).snapshot()


async def test_token_endpoint_500(fake: FakeDcdr) -> None:
    fake.overrides[("POST", "/auth/oauth2_token")] = answer(500, text="boom")
    with pytest.raises(BackendError) as caught:
        await make_backend(fake).snapshot()
    assert caught.value.rejection.category == Category.SERVER and "could not log in" in str(caught.value)


async def test_persistent_401_is_auth(fake: FakeDcdr) -> None:
    fake.overrides[("GET", "/app/State")] = answer(401, json={"message": "Token expired"})
    with pytest.raises(BackendError) as caught:
        await make_backend(fake).snapshot()
    assert caught.value.rejection.category == Category.AUTH
    assert fake.tokens_issued == 2  # logged in again once, then gave up


async def test_server_echoing_the_token_is_scrubbed(fake: FakeDcdr) -> None:
    def echo(request: httpx.Request) -> httpx.Response:
        return httpx.Response(500, json={"message": f"bad header {request.headers['authorization']}"})

    fake.overrides[("GET", "/app/Queue")] = echo
    with pytest.raises(BackendError) as caught:
        await make_backend(fake).snapshot()
    assert "tok-1" not in repr(caught.value.rejection)


async def test_missing_credentials(fake: FakeDcdr) -> None:
    adapter = make_backend(fake)
    adapter.settings.secret = None
    with pytest.raises(BackendError) as caught:
        await adapter.snapshot()
    assert caught.value.rejection.category == Category.AUTH
    assert "No user name or password" in caught.value.rejection.message
