"""Envelope, list keys (the singular/plural traps), error codes, and fuzzing of the response parsers."""

from __future__ import annotations

import contextlib
import json

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from synctui_hcm.rejections import CODES, explain_code, explain_raw, http_rejection
from synctui_hcm.sync_rejections import NO_CLIENT_REFERENCE_ID, not_applied, not_confirmed
from synctui_hcm.wire import (
    DEFAULT_WIRES,
    ENTITY_ORDER,
    WireError,
    build_wires,
    bulk_body,
    bulk_body_bytes,
    decode_entity,
    encode_json,
    parse_bulk_response,
    parse_errors,
    parse_search_response,
    request_info,
    search_body,
    single_body,
    single_body_bytes,
    stored_json,
)

from synctui.model import Category


def test_entity_order_is_the_apps():
    core = [
        t for t in ENTITY_ORDER if t in ("household", "individual", "projectBeneficiary", "householdMember")
    ]
    assert core == ["household", "individual", "projectBeneficiary", "householdMember"]
    assert ENTITY_ORDER.index("stock") < ENTITY_ORDER.index("task") < ENTITY_ORDER.index("referral")


@pytest.mark.parametrize(
    ("etype", "list_key", "search_key", "response_key"),
    [
        ("individual", "Individuals", "Individual", "Individual"),
        ("household", "Households", "Household", "Households"),
        ("stock", "Stock", "Stock", "Stock"),
        ("projectStaff", "ProjectStaff", "ProjectStaff", "ProjectStaff"),
        ("projectFacility", "ProjectFacilities", "ProjectFacility", "ProjectFacilities"),
        ("projectBeneficiary", "ProjectBeneficiaries", "ProjectBeneficiary", "ProjectBeneficiaries"),
    ],
)
def test_list_keys(etype, list_key, search_key, response_key):
    wire = DEFAULT_WIRES[etype]
    assert (wire.list_key, wire.search_key, wire.response_key) == (list_key, search_key, response_key)


def test_envelope():
    info = request_info("_update", "tok", {"uuid": "u1"}, "mz")
    assert info["authToken"] == "tok" and info["tenantId"] == "mz" and info["apiId"] == "hcm"
    assert info["action"] == "_update" and info["userInfo"] == {"uuid": "u1"}
    wire = DEFAULT_WIRES["household"]
    assert "apiOperation" not in bulk_body(wire, "create", [{}], info)
    assert bulk_body(wire, "update", [{}], info)["apiOperation"] == "UPDATE"
    assert bulk_body(wire, "delete", [{}], info)["apiOperation"] == "DELETE"
    assert wire.bulk_path("singleCreate") == "/household/v1/bulk/_create"
    assert search_body(DEFAULT_WIRES["individual"], ["a"], info)["Individual"] == {"clientReferenceId": ["a"]}


def test_individual_search_answer_under_the_plural_key_is_refused():
    wire = DEFAULT_WIRES["individual"]
    assert (
        parse_search_response(wire, {"Individual": [{"clientReferenceId": "c1", "id": "I-1"}]})[0].id == "I-1"
    )
    with pytest.raises(WireError):
        parse_search_response(wire, {"Individuals": [{"clientReferenceId": "c1"}]})


def test_path_overrides():
    wires = build_wires({"household": "/health-household/v1/", "service": {
        "base": "/service-request/service/v1", "list_key": "Services", "search_key": "Service",
        "response_key": "Services"}})  # fmt: skip
    assert wires["household"].search_path == "/health-household/v1/_search"
    assert wires["service"].bulk_path("create") == "/service-request/service/v1/bulk/_create"
    with pytest.raises(ValueError, match="needs"):
        build_wires({"newtype": "/x"})


def test_search_answer_parsing_with_child_ids():
    wire = DEFAULT_WIRES["household"]
    (e,) = parse_search_response(
        wire,
        {"Households": [{"clientReferenceId": "h", "id": "H", "rowVersion": 3, "isDeleted": True,
                         "address": {"id": "A1"}}], "TotalCount": 1},
    )  # fmt: skip
    assert (e.row_version, e.is_deleted, e.additional_ids) == (
        3,
        True,
        [{"idType": "householdAddressId", "id": "A1"}],
    )
    for bad in ({"Households": "x"}, {"Households": [{"clientReferenceId": 1}]}, {"Households": [], "TotalCount": "2"},
                {"Households": [{"clientReferenceId": "h", "rowVersion": "1"}]}, [], None):  # fmt: skip
        with pytest.raises(WireError):
            parse_search_response(wire, bad)


@pytest.mark.parametrize("code", sorted(CODES))
def test_every_server_code_is_categorised_with_advice(code):
    rejection = explain_code(code, "msg", 400)
    assert rejection.code == code and rejection.advice and rejection.category != Category.UNKNOWN
    assert ("non-recoverable" in rejection.advice) != CODES[code].recoverable


def test_http_rejections():
    def resp(status, body):
        return httpx.Response(
            status, content=body.encode() if isinstance(body, str) else json.dumps(body).encode()
        )

    assert (
        http_rejection(resp(401, {"Errors": [{"code": "InvalidAccessTokenException"}]})).category
        == Category.AUTH
    )
    assert http_rejection(resp(400, {"Errors": [{"code": "DUPLICATE_ENTITY"}]})).category == Category.CONFLICT
    assert http_rejection(resp(502, "<html>bad gateway</html>")).category == Category.SERVER
    assert http_rejection(resp(404, "")).category == Category.FIX_DATA
    unknown = http_rejection(resp(400, {"Errors": [{"code": "SOMETHING_NEW", "message": "m"}]}))
    assert unknown.category == Category.UNKNOWN and "review" in unknown.advice.lower()
    assert explain_raw('{"Errors":[{"code":"NULL_ID"}]}', 400).category == Category.RETRYABLE
    assert explain_raw("not json", None) is None


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=25,
)
keys = st.sampled_from(["Households", "Individual", "TotalCount", "Errors", "ResponseInfo", "status",
                        "clientReferenceId", "rowVersion", "id", "isDeleted", "address", "code"])  # fmt: skip
shaped = st.recursive(
    json_values,
    lambda children: st.dictionaries(keys, children, max_size=5) | st.lists(children, max_size=3),
    max_leaves=30,
)


@settings(max_examples=150, deadline=None)
@given(data=shaped)
def test_fuzz_parsers_raise_only_wire_errors(data):
    for wire in (DEFAULT_WIRES["household"], DEFAULT_WIRES["individual"]):
        try:
            entities = parse_search_response(wire, data)
        except WireError:
            pass
        else:
            assert all(isinstance(e.client_reference_id, str) for e in entities)
            assert all(e.row_version is None or type(e.row_version) is int for e in entities)
    with contextlib.suppress(WireError):
        parse_bulk_response(data)
    assert all(isinstance(e.code, str) for e in parse_errors(data))


@settings(max_examples=100, deadline=None)
@given(body=st.binary(max_size=200) | shaped.map(lambda d: json.dumps(d).encode()),
       status=st.sampled_from([200, 202, 400, 401, 403, 404, 409, 500, 503]))  # fmt: skip
def test_fuzz_http_rejection_never_raises(body, status):
    rejection = http_rejection(httpx.Response(status, content=body))
    assert rejection.message and rejection.status == status
    explain_raw(body.decode("utf-8", "replace"), status)


_json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=10,
)


@settings(max_examples=150, deadline=None)
@given(
    entity=st.dictionaries(st.text(), _json_values, max_size=5),
    indent=st.sampled_from([None, 2]),
    ascii_only=st.booleans(),
)
def test_a_stored_entity_spliced_into_the_body_gives_the_same_json(entity, indent, ascii_only):
    info = request_info("_create", "tok", {"uuid": "u"}, "mz")
    wire = DEFAULT_WIRES["household"]
    text = " " + json.dumps(entity, indent=indent, ensure_ascii=ascii_only) + "\n"
    decoded = decode_entity(text)
    assert decoded == entity
    item = stored_json(text)
    assert item is not None
    for op in ("create", "update", "delete"):
        body = bulk_body_bytes(wire, op, [item, encode_json({"x": "ü"}) or b""], info)
        assert json.loads(body) == bulk_body(wire, op, [entity, {"x": "ü"}], info)
    single = single_body_bytes(wire, "singleUpdate", item, info)
    assert json.loads(single) == single_body(wire, "singleUpdate", entity, info)


@pytest.mark.parametrize(
    "text",
    [None, "", "{", "[]", "1", "NaN", '{"a": NaN}', '{"a": -Infinity}', '{"a": 1} {}', '{"a": "\x01"}'],
)
def test_only_strict_json_objects_are_sent(text):
    assert decode_entity(text) is None


def test_an_entity_with_no_json_form_is_not_encoded():
    assert encode_json({"a": "\ud800"}) is None  # a lone surrogate has no UTF-8 form
    assert encode_json({"a": float("nan")}) is None


OFFERED = ("Compare", "Retry", "discard", "synchronize", "synctui's config", "Look in")  # what synctui does
PEOPLE = ("administrator", "field supervisor")  # who can act where synctui cannot
NOT_OFFERED = ("on the device", "Log in again", "fix it", "Fix the", "fix the", "server logs", "tracer")


def _advice_of_every_rejection() -> dict[str, str]:
    def resp(status: int, body: object) -> httpx.Response:
        return httpx.Response(status, content=json.dumps(body).encode())

    advice = {code: explain_code(code, "msg", 400).advice for code in CODES}
    advice["auth"] = http_rejection(resp(401, {})).advice
    advice["unknown code"] = http_rejection(resp(400, {"Errors": [{"code": "NEW", "message": "m"}]})).advice
    advice["5xx"] = http_rejection(resp(502, {})).advice
    advice["404"] = http_rejection(resp(404, {})).advice
    advice["other 4xx"] = http_rejection(resp(418, {})).advice
    advice["no cref"] = NO_CLIENT_REFERENCE_ID.advice
    advice["not confirmed"] = not_confirmed(3).advice
    advice["not applied"] = not_applied("update", 3, 2, 2).advice
    return advice


@pytest.mark.parametrize("case", sorted(_advice_of_every_rejection()))
def test_advice_names_only_what_synctui_offers_or_who_to_ask(case):
    advice = _advice_of_every_rejection()[case]
    assert not [phrase for phrase in NOT_OFFERED if phrase in advice], advice
    assert any(word in advice for word in OFFERED + PEOPLE), advice
