"""The parsers return typed values or raise ParseError, whatever JSON they get (hypothesis)."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st
from synctui_msupply import wire
from synctui_msupply.wire import ParseError

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=5)
    ),
    max_leaves=20,
)
timestamps = st.one_of(
    st.none(), st.text(max_size=30), st.datetimes().map(lambda d: d.isoformat()), st.integers()
)
step_node = st.fixed_dictionaries(
    {},
    optional={
        "started": timestamps,
        "finished": timestamps,
        "done": st.one_of(st.none(), st.integers(), st.text(max_size=3)),
        "total": st.one_of(st.none(), st.integers(), st.booleans()),
        "durationInSeconds": st.one_of(st.none(), st.integers(), st.text(max_size=3)),
    },
)
status_node = st.fixed_dictionaries(
    {"isSyncing": st.one_of(st.booleans(), json_values)},
    optional={
        "error": st.one_of(
            st.none(),
            st.fixed_dictionaries(
                {"variant": st.one_of(st.text(max_size=10), json_values)}, optional={"fullError": json_values}
            ),
            json_values,
        ),
        **{name: st.one_of(st.none(), step_node, json_values) for name in wire.STEP_FIELDS},
        "summary": st.one_of(st.none(), step_node),
        "lastSuccessfulSync": st.one_of(st.none(), step_node),
        "warningThreshold": json_values,
        "errorThreshold": json_values,
    },
)
PARSERS = [
    wire.parse_envelope,
    wire.parse_sync_status,
    wire.parse_initialisation_status,
    wire.parse_sync_settings,
    wire.parse_settings_result,
    wire.parse_auth_token,
    wire.parse_me_store,
    wire.parse_v5_site,
    wire.parse_v5_site_status,
    wire.parse_v3_count,
]


def _only_parse_errors(fn, value) -> None:
    with contextlib.suppress(ParseError):
        fn(value)


@settings(max_examples=150, deadline=None)
@given(json_values)
def test_any_json_to_any_parser(value) -> None:
    for fn in PARSERS:
        _only_parse_errors(fn, value)
    wire.parse_v5_error(value)  # never raises


@settings(max_examples=200, deadline=None)
@given(status_node)
def test_status_shaped_json(value) -> None:
    _only_parse_errors(wire.parse_sync_status, value)
    _only_parse_errors(wire.parse_envelope, {"data": {"syncStatus": value}, "errors": []})


@settings(max_examples=150, deadline=None)
@given(
    st.fixed_dictionaries(
        {},
        optional={
            "id": json_values,
            "siteId": st.one_of(st.integers(), json_values),
            "name": st.one_of(st.text(max_size=8), json_values),
            "code": json_values,
            "initialisationStatus": json_values,
            "isOmSupplyCentralServer": json_values,
            "omSupplyCentralServerUrl": json_values,
            "mSupplyCentralSiteId": json_values,
        },
    )
)
def test_v5_site_shaped_json(value) -> None:
    _only_parse_errors(wire.parse_v5_site, value)


def test_good_status_parses() -> None:
    status = wire.parse_sync_status(
        {
            "isSyncing": True,
            "error": None,
            "summary": {"started": "2024-05-01T10:00:00.123456", "finished": None, "durationInSeconds": None},
            "pullRemote": {"started": "2024-05-01T10:00:01", "finished": None, "done": 80, "total": 80000},
            "lastSuccessfulSync": {"started": "2024-04-30T10:00:00", "finished": "2024-04-30T10:01:00Z"},
            "warningThreshold": 1,
            "errorThreshold": 3,
        }
    )
    assert status is not None and status.is_syncing
    assert status.summary and status.summary.started == datetime(2024, 5, 1, 10, 0, 0, 123456, tzinfo=UTC)
    assert status.steps["pullRemote"] and status.steps["pullRemote"].done == 80
    assert status.steps["push"] is None
    assert status.last_successful_sync and status.last_successful_sync.finished == datetime(
        2024, 4, 30, 10, 1, tzinfo=UTC
    )


def test_envelope_errors_keep_their_path() -> None:
    answer = wire.parse_envelope(
        {"data": {"syncSettings": None}, "errors": [{"message": "Forbidden", "path": ["syncSettings"]}]}
    )
    err = answer.error_for("syncSettings")
    assert err is not None and err.forbidden and answer.error_for("other") is None


def test_v3_error_text() -> None:
    try:
        wire.parse_v3_count({"error": "Site registration doesn't match."})
    except ParseError as exc:
        assert "Site registration" in str(exc)
    else:
        raise AssertionError("expected ParseError")
