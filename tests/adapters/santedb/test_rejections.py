"""Dead-letter reasons (.NET exception texts) → Rejection, after KB005."""

from __future__ import annotations

import pytest
from synctui_santedb.plugin import synctui_explain_rejection
from synctui_santedb.rejections import find_exception_types, find_status, first_message_line, parse_reason

from synctui.model import Category

from .conftest import REASON_409

STACK = (
    "\r\n   at SanteDB.Core.Http.RestClientBase.InvokeInternal[TBody,TResult](String method, String url)\r\n"
    "   at SanteDB.Client.Disconnected.Synchronization.SynchronizationMessagePump.Run(Object state)"
)
REASON_422 = (
    "SanteDB.Core.BusinessRules.DetectedIssueException: Business rule violation: STOCK_NEG "
    "(Unprocessable Entity (422))\r\n ---> SanteDB.Core.Exceptions.RestClientException`1"
    "[SanteDB.Core.Model.Interfaces.IResourceCollection]: Unprocessable Entity (422)" + STACK + "\r\n"
    "Server fault: SanteDB.Core.Exceptions.DetectedIssueException: Business rule violation\r\n"
    "  [Error] STOCK_NEG: Stock balance for ManufacturedMaterial 0f2d4c6b at Place 8f1c2b64 would become "
    "negative (-3 doses)\r\n   at SanteDB.Core.Services.Impl.BusinessRulesTriggerService.Validate(IdentifiedData data)"
)
REASON_500 = (
    "System.Net.WebException: The remote server returned an error: (500) Internal Server Error."
    + STACK
    + "\r\n"
    "Server fault: SanteDB.Core.Exceptions.DataPersistenceException: Error inserting Act/5e1b ---> "
    'Npgsql.PostgresException: 23503: insert or update on table "act_ptcpt_tbl" violates foreign key constraint'
)
REASON_404 = (
    "System.Net.Http.HttpRequestException: Response status code does not indicate success: 404 (Not Found)."
)
REASON_410 = (
    "SanteDB.Core.Exceptions.RestClientException: HTTP 410 Gone: Patient/77ab is no longer present" + STACK
)
REASON_401 = (
    "System.Security.Authentication.AuthenticationException: StatusCode: 401, session expired" + STACK
)
REASON_403 = (
    "SanteDB.Core.Security.PolicyViolationException: Policy 1.3.6.1.4.1.33349.3.1.5.9.2.2.3 was denied"
    + STACK
)
REASON_423 = "SanteDB.Core.Exceptions.RestClientException: 423 Locked" + STACK
REASON_429 = (
    "SanteDB.Core.Exceptions.LimitExceededException: Too many requests from this device (429)" + STACK
)
REASON_TIMEOUT = "System.TimeoutException: The operation has timed out." + STACK
REASON_NETWORK = (
    "System.Net.WebException: Unable to connect to the remote server ---> "
    "System.Net.Sockets.SocketException: Network is unreachable" + STACK
)
REASON_ODD = "System.InvalidOperationException: Sequence contains no elements" + STACK


@pytest.mark.parametrize(
    ("raw", "status", "category", "code", "words"),
    [
        (REASON_409, 409, Category.CONFLICT, "PreconditionFailedException", "newer version"),
        (REASON_422, 422, Category.FIX_DATA, "DetectedIssueException", "STOCK_NEG"),
        (REASON_500, 500, Category.SERVER, "DataPersistenceException", "could not process"),
        (REASON_404, 404, Category.GONE, "HttpRequestException", "does not have the record"),
        (REASON_410, 410, Category.GONE, "RestClientException", "no longer exists"),
        (REASON_401, 401, Category.AUTH, "AuthenticationException", "credentials"),
        (REASON_403, None, Category.AUTH, "PolicyViolationException", "permission"),
        (REASON_423, 423, Category.RETRYABLE, "RestClientException", "locked"),
        (REASON_429, 429, Category.RETRYABLE, "LimitExceededException", "too busy"),
        (REASON_TIMEOUT, None, Category.RETRYABLE, "TimeoutException", "timed out"),
        (REASON_NETWORK, None, Category.RETRYABLE, "SocketException", "connection"),
        (REASON_ODD, None, Category.UNKNOWN, "InvalidOperationException", "Sequence contains no elements"),
    ],
)
def test_reasons(raw: str, status: int | None, category: Category, code: str, words: str) -> None:
    rejection = parse_reason(raw)
    assert rejection.status == status
    assert rejection.category == category
    assert rejection.code == code
    assert words in rejection.message
    assert rejection.raw == raw
    assert "\n" not in rejection.message and " at SanteDB" not in rejection.message
    assert rejection.advice


def test_advice_is_in_our_words() -> None:
    assert parse_reason(REASON_409).advice.startswith("Do not re-enter the data")
    assert "negative stock" in parse_reason(REASON_422).advice
    assert "re-submitted" in parse_reason(REASON_500).advice


def test_given_status_wins() -> None:
    assert parse_reason("something odd", status=409).category == Category.CONFLICT


@pytest.mark.parametrize(
    ("text", "status"),
    [
        ("The remote server returned an error: (409) Conflict.", 409),
        ("409 Conflict", 409),
        ("HTTP 422 business rule", 422),
        ("StatusCode: 500, ReasonPhrase: 'Internal Server Error'", 500),
        ("status code 404", 404),
        ("StatusCode: Gone", 410),
        ("(200) fine", None),
        ("Patient (12345) saved", None),
        ("", None),
    ],
)
def test_find_status(text: str, status: int | None) -> None:
    assert find_status(text) == status


def test_exception_types_and_first_line() -> None:
    assert find_exception_types(REASON_422)[:2] == ["DetectedIssueException", "RestClientException"]
    assert first_message_line(REASON_TIMEOUT) == "The operation has timed out."
    assert first_message_line("\n   at X.Y()\n") == ""


def test_empty_and_none() -> None:
    for raw in ("", None, "   \n  "):
        rejection = parse_reason(raw)
        assert rejection.category == Category.UNKNOWN and rejection.message


def test_long_reason_is_shortened() -> None:
    rejection = parse_reason("System.Exception: " + "x" * 5000 + " (409)")
    assert len(rejection.message) <= 300 and len(rejection.raw) > 5000


def test_explain_hook_only_for_santedb() -> None:
    assert synctui_explain_rejection(kind="msupply", raw=REASON_409, status=None) is None
    rejection = synctui_explain_rejection(kind="santedb", raw=REASON_409, status=None)
    assert rejection and rejection.category == Category.CONFLICT
