"""Dead-letter reasons (.NET exception texts) → Rejection, after KB005."""

from __future__ import annotations

import pytest
from synctui_santedb.plugin import synctui_explain_rejection
from synctui_santedb.rejections import (
    find_exception_types,
    find_status,
    first_message_line,
    parse_reason,
    server_fault,
)

from synctui.model import Category

from .conftest import REASON_409, STACK_3X

STACK = (
    "\r\n   at SanteDB.Core.Http.RestClientBase.InvokeInternal[TBody,TResult](String method, String url)\r\n"
    "   at SanteDB.Client.Disconnected.Synchronization.SynchronizationMessagePump.Run(Object state)"
)
REASON_422 = (
    "SanteDB.Client.Exceptions.UpstreamIntegrationException: Error sending SubstanceAdministration "
    "(K:5e1b0c4a-1111-4222-8333-944455556666) to the upstream server ---> [RestClientException: The remote "
    "server returned an error: (422) Unprocessable Entity., Status=ProtocolError, HttpResult=422]\r\n"
    "--SERVER FAULT--\r\n"
    '{"$type":"DetectedIssueException","message":"Business Rules Violation","rules":[{"id":"STOCK_NEG",'
    '"priority":"Error","text":"STOCK_NEG: Stock balance for ManufacturedMaterial 0f2d4c6b at Place 8f1c2b64 '
    'would become negative (-3 doses)"}]}\r\n'
    "--END SERVER FAULT--\r\n" + STACK_3X
)
# A .NET chain with no server fault: the inner exceptions follow " ---> " on the same line.
REASON_500 = (
    "SanteDB.Core.Exceptions.DataPersistenceException: Error inserting Act/5e1b ---> "
    'Npgsql.PostgresException: 23503: insert or update on table "act_ptcpt_tbl" violates foreign key '
    'constraint "fk_act_ptcpt_ent_id" ---> System.Net.WebException: The remote server returned an error: '
    "(500) Internal Server Error." + STACK + "\r\n   --- End of inner exception stack trace ---" + STACK
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
    assert find_exception_types(REASON_422) == ["UpstreamIntegrationException", "RestClientException"]
    assert server_fault(REASON_422)[0][0] == "DetectedIssueException"
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


def test_the_cause_in_the_servers_words_reaches_the_one_line_reason() -> None:
    """Which rule, which record, which value: from the server fault (3.x) or the inner exceptions
    after ` ---> ` (a plain .NET chain), never only the outer, generic part."""
    business = parse_reason(REASON_422).message
    assert "Business Rules Violation" in business and "-3 doses" in business and "0f2d4c6b" in business
    assert "Object Patient/7d2e5c1a-9f43-4b7e-a2c1-0e8d6b4f3a21 version 2" in parse_reason(REASON_409).message
    chained = parse_reason(REASON_500).message
    assert "Error inserting Act/5e1b" in chained and "fk_act_ptcpt_ent_id" in chained
    assert "remote server returned an error" not in chained


def test_a_long_chain_keeps_its_innermost_cause() -> None:
    outer = "Error while processing the outbound queue entry for a very long reason " * 4
    raw = (
        f"SanteDB.Core.Exceptions.DataPersistenceException: {outer}---> "
        "System.ArgumentException: Value of dateOfBirth 2091-01-01 is in the future" + STACK
    )
    rejection = parse_reason(raw, status=500)
    assert len(rejection.message) <= 300
    assert rejection.message.endswith("Value of dateOfBirth 2091-01-01 is in the future")
    assert rejection.raw == raw


def test_a_server_fault_cause_chain_is_followed() -> None:
    fault = '{"$type":"DataPersistenceException","message":"Error inserting Patient/ab","cause":{"$type":"X",'
    fault += '"message":"duplicate key value violates unique constraint \\"ent_id_pk\\""}}'
    raw = "[RestClientException: Request failed, Status=ProtocolError, HttpResult=InternalServerError]\r\n"
    raw += f"--SERVER FAULT--\r\n{fault}\r\n--END SERVER FAULT--\r\n-- STACK TRACE--" + STACK
    rejection = parse_reason(raw)
    assert rejection.status == 500 and rejection.code == "DataPersistenceException"
    assert rejection.message.endswith(
        'Error inserting Patient/ab: duplicate key value violates unique constraint "ent_id_pk"'
    )
