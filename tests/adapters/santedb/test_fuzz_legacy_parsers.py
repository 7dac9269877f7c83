"""Hypothesis: the SanteDB 2.x and OpenIZ parsers, fed arbitrary or hostile JSON, return a valid result or
raise BackendError, nothing else."""

from __future__ import annotations

import base64

from hypothesis import given
from hypothesis import strategies as st
from synctui_santedb import wire_openiz, wire_v2
from synctui_santedb.profiles import OPENIZ, SANTEDB2

from synctui.model import QueueKind

from .test_fuzz_parsers import FUZZ, WHERE, json_values, only_backend_errors

LEGACY_KEYS = [
    "id", "operation", "type", "creationTime", "data", "isRetry", "retryCount", "originalQueue", "tag",
    "Uuid", "ResourceType", "Filter", "LastSync", "LastETag", "Size", "CollectionItem", "Offset",
    "error", "error_description", "caused_by", "admin", "inbound", "outbound", "dead",
]  # fmt: skip
base64_text = st.binary(max_size=60).map(lambda b: base64.b64encode(b).decode()) | st.sampled_from(
    ["H4sIAAAAAAAA/wMAAAAAAAAAAAA=", "H4sI!!", "====", "e30=", "PGEvPg=="]
)
values = json_values | base64_text
keyed = st.dictionaries(st.sampled_from(LEGACY_KEYS), values, max_size=8)
hostile = (
    values | keyed | st.lists(keyed, max_size=3) | st.fixed_dictionaries({"CollectionItem": st.lists(keyed)})
)

V2_ENTRY = {
    "id": 4,
    "operation": "Update",
    "type": "SanteDB.Core.Model.Collection.Bundle, SanteDB.Core.Model",
    "creationTime": "2024-05-01T08:15:30.1234567+00:00",
    "data": "0b7c0f4e-3c1b-4d7e-9a8f-1e2d3c4b5a69",
    "isRetry": False,
    "retryCount": 0,
    "originalQueue": "outbound_queue",
    "tag": base64.b64encode(b"System.Net.WebException: (409) Conflict").decode(),
}
PARSERS = [
    lambda d: wire_v2.parse_counts(d, WHERE, SANTEDB2),
    lambda d: wire_v2.parse_entry(d, QueueKind.CONFLICTS, WHERE, SANTEDB2),
    lambda d: wire_v2.parse_entry_list(d, QueueKind.OUTBOX, 0, 50, WHERE, SANTEDB2),
    lambda d: wire_v2.parse_sync_log(d, WHERE),
    lambda d: wire_openiz.parse_collection(d, QueueKind.CONFLICTS, 0, 50, WHERE, OPENIZ),
    lambda d: wire_openiz.parse_size(d, WHERE, OPENIZ),
    lambda d: wire_openiz.parse_entry_detail(d, QueueKind.CONFLICTS, WHERE, OPENIZ, 1000),
    wire_openiz.parse_error,
]


@FUZZ
@given(hostile)
def test_legacy_parsers_on_arbitrary_json(data: object) -> None:
    only_backend_errors(data, PARSERS)


@FUZZ
@given(st.sampled_from(LEGACY_KEYS), values)
def test_legacy_parsers_on_one_wrong_field(key: str, value: object) -> None:
    wrong = {**V2_ENTRY, key: value}
    only_backend_errors(wrong, PARSERS)
    only_backend_errors([wrong], PARSERS)
    only_backend_errors({"Size": 1, "Offset": 0, "CollectionItem": [wrong]}, PARSERS)


def test_valid_legacy_entry_and_payload() -> None:
    entry = wire_v2.parse_entry(V2_ENTRY, QueueKind.CONFLICTS, WHERE, SANTEDB2)
    assert entry.record_type == "Bundle" and entry.original_queue == QueueKind.OUTBOX
    assert entry.rejection and entry.rejection.status == 409
    text, content_type, truncated = wire_openiz.decode_payload(
        base64.b64encode(b'{"$type":"Bundle"}').decode(), WHERE, 100
    )
    assert content_type == "application/json" and '"Bundle"' in text and not truncated


def test_gzip_bomb_is_cut_at_the_limit() -> None:
    import gzip

    bomb = base64.b64encode(gzip.compress(b"{" * 5_000_000)).decode()
    text, _, truncated = wire_openiz.decode_payload(bomb, WHERE, 1000)
    assert truncated and len(text) == 1000


def test_openiz_error_with_nested_cause() -> None:
    said = wire_openiz.parse_error(
        {
            "type": "X",
            "error": "err_sync",
            "error_description": "Sync failed",
            "caused_by": {"error": "Timeout"},
        }
    )
    assert said == "Sync failed; caused by: Timeout"
