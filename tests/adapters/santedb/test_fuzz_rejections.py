"""Hypothesis: the reason parser takes any text and always returns a sensible Rejection."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from synctui_santedb.rejections import parse_reason

from synctui.model import Category

FRAGMENTS = st.sampled_from(
    [
        "System.Net.WebException: ",
        "(409)",
        " ---> ",
        "--SERVER FAULT--\r\n",
        '{"$type":"DetectedIssueException","message":"',
        '","cause":{"message":"',
        "}}",
        "--END SERVER FAULT--",
        "[RestClientException: ",
        ", Status=ProtocolError, HttpResult=Conflict]",
        "\r\n   at X.Y()",
        "StatusCode: ",
        "HTTP 422",
        "Exception:",
        "`1[[A, B]]",
        "SanteDB.Core.Exceptions.DetectedIssueException: ",
        "404 (Not Found)",
        "[",
        "]",
        ":",
        "\n",
        "timed out",
        "FOREIGN KEY constraint failed",
        "999",
        "(000)",
    ]
)
reasons = st.text(max_size=400) | st.lists(FRAGMENTS | st.text(max_size=20), max_size=30).map("".join)


@settings(max_examples=300, deadline=None)
@given(reasons, st.none() | st.integers(min_value=-1000, max_value=1000))
def test_any_reason_gives_a_rejection(raw: str, status: int | None) -> None:
    rejection = parse_reason(raw, status)
    assert isinstance(rejection.category, Category)
    assert rejection.message and "\n" not in rejection.message and len(rejection.message) <= 300
    assert rejection.raw == raw
    assert rejection.status is None or isinstance(rejection.status, int)


def test_huge_reason_is_fast() -> None:
    raw = "System.Exception: x\n" + "   at A.B()\n" * 200_000 + "(409)"
    assert parse_reason(raw).raw == raw
