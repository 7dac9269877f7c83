"""Hypothesis: every parser, fed arbitrary or hostile JSON, returns a valid result or raises BackendError."""

from __future__ import annotations

import contextlib
import json
import math

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from synctui_santedb import wire, wire_fields

from synctui.backend import BackendError
from synctui.model import QueueKind, Rejection

from .conftest import FakeDcdr, entry, job, make_backend

FUZZ = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])

scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=30)
    | st.sampled_from(
        [
            "2024-05-01T08:15:30.1234567+00:00",
            "0001-01-01T00:00:00",
            "9999-12-31T23:59:59-05:00",
            "NotRun",
            "Running",
            "Aborted",
            "out",
            "deadletter",
            "$deletedObjects",
            "%ZZ",
        ]
    )
)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=5),
    max_leaves=25,
)
KEYS = [
    "id",
    "state",
    "online",
    "in",
    "out",
    "admin",
    "deadletter",
    "resource",
    "size",
    "totalResults",
    "offset",
    "reason",
    "retry",
    "creationTime",
    "originalQueue",
    "name",
    "Key",
    "ResourceType",
    "Filter",
    "LastSync",
    "LastError",
    "progress",
    "lastStart",
    "status",
    "access_token",
    "expires_in",
    "resourceType",
]
# Objects with the right keys and wrong values find more than random keys do.
keyed = st.dictionaries(st.sampled_from(KEYS), json_values, max_size=8)
hostile = (
    json_values | keyed | st.lists(keyed, max_size=3) | st.fixed_dictionaries({"resource": st.lists(keyed)})
)

WHERE = wire_fields.Where("http://dcdr.test", "/fuzz")
PARSERS = [
    lambda d: wire.parse_state(d, WHERE),
    lambda d: wire.parse_counts(d, WHERE),
    lambda d: wire.parse_entry(d, QueueKind.CONFLICTS, WHERE),
    lambda d: wire.parse_entry_page(d, QueueKind.OUTBOX, 0, 50, WHERE),
    lambda d: wire.parse_sync_log(d, WHERE),
    lambda d: wire.parse_jobs(d, WHERE),
    lambda d: wire.parse_job(d, WHERE),
    lambda d: wire.parse_token(d, WHERE),
    lambda d: wire.parse_total(d, WHERE),
    wire.parse_fault,
    wire.parse_oauth_error,
]


def only_backend_errors(data: object, parsers=None) -> None:
    """Each parser returns or raises BackendError with a one-line message; nothing else escapes."""
    for parse in PARSERS if parsers is None else parsers:
        try:
            parse(data)
        except BackendError as exc:
            assert isinstance(exc.rejection, Rejection)
            assert exc.rejection.message and "\n" not in exc.rejection.message


@FUZZ
@given(hostile)
def test_parsers_on_arbitrary_json(data: object) -> None:
    only_backend_errors(data)


@FUZZ
@given(
    st.sampled_from(
        [entry(3, "deadletter"), job("Running"), {"in": 1, "out": 2, "admin": 0, "deadletter": 1}]
    ),
    st.sampled_from(KEYS),
    json_values,
)
def test_parsers_on_one_wrong_field(base: dict, key: str, value: object) -> None:
    only_backend_errors({**base, key: value})
    only_backend_errors({"resource": [{**base, key: value}], "size": 1})


@FUZZ
@given(st.binary(max_size=200) | st.text(max_size=200).map(str.encode))
def test_decode_json_on_arbitrary_bytes(raw: bytes) -> None:
    with contextlib.suppress(BackendError):
        wire_fields.decode_json(raw, WHERE)


def test_hostile_documents() -> None:
    for raw in [
        b"[" * 100_000 + b"]" * 100_000,
        b"1" * 5000,
        b'{"out": 1e999}',
        b"NaN",
        b"-Infinity",
        b'{"in": 18446744073709551616}',
        "\ud800".encode("utf-8", "surrogatepass"),
        b"\x00\x00",
    ]:
        try:
            data = wire_fields.decode_json(raw, WHERE)
        except BackendError:
            continue
        only_backend_errors(data)
    assert math.isinf(json.loads("1e999"))  # what a lenient parser would have let through


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(st.sampled_from(["/app/State", "/app/Queue", "/app/Queue/out", "/app/Sync", "/ami/JobInfo"]), hostile)
async def test_adapter_snapshot_on_hostile_answers(path: str, body: object) -> None:
    fake = FakeDcdr()
    fake.overrides[("GET", path)] = lambda request: httpx.Response(200, content=json.dumps(body).encode())
    adapter = make_backend(fake)
    try:
        await adapter.snapshot()
        await adapter.entries(QueueKind.OUTBOX)
    except BackendError as exc:
        assert exc.rejection.message
    finally:
        await adapter.http.aclose()
