"""Server error codes and transport failures as Rejections a person can act on (reference §7)."""

from __future__ import annotations

import json
from dataclasses import dataclass

import httpx

from synctui.model import Category, Rejection

from .wire import ServerError, parse_errors


@dataclass(frozen=True)
class CodeInfo:
    recoverable: bool  # the server's own ErrorType
    category: Category
    message: str
    advice: str


_NR = False
_R = True
# synctui cannot edit a record: what it offers is Compare, Retry and discarding the row (archived first);
# a record that must change is changed by the people below.
_ADMIN = "the HCM server administrator"
_NEEDS_A_PERSON = (
    f"synctui cannot edit the record: give its clientReferenceId and the raw answer to {_ADMIN} or the "
    "field supervisor, who can say what to correct; once it is recorded again correctly, discard this row "
    "(archived first)."
)

CODES: dict[str, CodeInfo] = {
    # NON_RECOVERABLE on the server
    "MISMATCHED_ROW_VERSION": CodeInfo(
        _NR,
        Category.CONFLICT,
        "The server copy changed since this record was read (row version mismatch).",
        "Compare it with the server copy. Discard the row (archived first) to keep the server's version; "
        "Retry sends the same out-of-date version and fails again.",
    ),
    "NON_EXISTENT_ENTITY": CodeInfo(
        _NR,
        Category.GONE,
        "The server does not know this record.",
        "Look in Conflicts and Data unsynced for its create: once that is confirmed, Retry this row. If the "
        f"record is gone for good, discard the row (archived first); ask {_ADMIN} when in doubt.",
    ),
    "NON_EXISTENT_RELATED_ENTITY": CodeInfo(
        _NR,
        Category.FIX_DATA,
        "A record this one points to (household, individual, beneficiary...) is missing on the server.",
        "Look in Conflicts and Data unsynced for that record: once it is confirmed, Retry this row.",
    ),
    "INVALID_ENTITY": CodeInfo(
        _NR, Category.FIX_DATA, "The server found the record invalid.", _NEEDS_A_PERSON
    ),
    "INVALID_RELATED_ENTITY_ID": CodeInfo(
        _NR,
        Category.FIX_DATA,
        "The record refers to an id the server does not accept.",
        _NEEDS_A_PERSON,
    ),
    "NON_EXISTENT_SUB_ENTITY": CodeInfo(
        _NR,
        Category.FIX_DATA,
        "A child record (address, identifier, resource) is unknown to the server.",
        _NEEDS_A_PERSON,
    ),
    "DUPLICATE_ENTITY": CodeInfo(
        _NR,
        Category.CONFLICT,
        "The server already has a record with this clientReferenceId.",
        "Compare it with the server copy: if it is the same record, it is already synced: Retry it (it is "
        "confirmed by a search, not sent again).",
    ),
    "DUPLICATE_SUB_ENTITY": CodeInfo(
        _NR,
        Category.CONFLICT,
        "A child record of this entity already exists on the server.",
        "Compare it with the server copy: if the server's is right, discard the row (archived first); "
        f"otherwise give its clientReferenceId to {_ADMIN}.",
    ),
    "TENANT_ID_INVALID": CodeInfo(
        _NR,
        Category.FIX_DATA,
        "The record's tenantId is not valid on this server.",
        "If every record fails so, the backend's option tenant_id in synctui's config is wrong: correct it. "
        f"Otherwise the record carries a wrong tenant: {_NEEDS_A_PERSON}",
    ),
    "QUERY_EXECUTION_ERROR": CodeInfo(
        _NR,
        Category.SERVER,
        "The server's database failed.",
        f"Nothing is lost: Retry later. If it keeps failing, give the raw answer to {_ADMIN}.",
    ),
    "INTERNAL_SERVER_ERROR": CodeInfo(
        _NR,
        Category.SERVER,
        "The server failed.",
        f"Nothing is lost: Retry later. If it keeps failing, give the raw answer to {_ADMIN}.",
    ),
    "IDGEN_ERROR": CodeInfo(
        _NR,
        Category.SERVER,
        "The server could not generate an id.",
        f"Nothing is lost: Retry later. If it keeps failing, give the raw answer to {_ADMIN}.",
    ),
    # RECOVERABLE on the server
    "NULL_ID": CodeInfo(
        _R,
        Category.RETRYABLE,
        "The record has no server id yet.",
        "Its create has not been confirmed yet: synchronize again once the create is confirmed.",
    ),
    "INVALID_ADDRESS": CodeInfo(
        _R, Category.FIX_DATA, "The address of the record is not valid.", _NEEDS_A_PERSON
    ),
    "NETWORK_ERROR": CodeInfo(
        _R, Category.RETRYABLE, "The server reported a network error.", "Retry; it is safe."
    ),
    "IS_DELETED_TRUE": CodeInfo(
        _R,
        Category.GONE,
        "The record is deleted on the server.",
        f"Discard the local change (archived first); ask {_ADMIN} if the record should be restored, and "
        "Retry once it is.",
    ),
    "IS_DELETED_TRUE_SUB_ENTITY": CodeInfo(
        _R,
        Category.GONE,
        "A child record is deleted on the server.",
        f"Discard the local change (archived first); ask {_ADMIN} if the child should be restored, and "
        "Retry once it is.",
    ),
}

_AUTH_CODES = frozenset(
    {"InvalidAccessTokenException", "INVALID_TOKEN", "Unauthorized", "UNAUTHORIZED", "AUTH_FAILED"}
)


def explain_code(code: str, message: str = "", status: int | None = None, raw: str = "") -> Rejection:
    info = CODES.get(code)
    if info is not None:
        kind = "recoverable" if info.recoverable else "non-recoverable"
        return Rejection(
            category=info.category,
            message=info.message,
            advice=f"{info.advice} (server: {kind})",
            status=status,
            code=code,
            raw=raw or message,
        )
    if code in _AUTH_CODES or status in (401, 403):
        return auth_rejection(status, code, raw or message)
    return Rejection(
        category=Category.UNKNOWN,
        message=f"The server refused it with an unknown code {code[:60]}: {message[:120]}".rstrip(": "),
        advice=f"Needs review: give the raw answer to {_ADMIN}; Retry or discard the row as they say.",
        status=status,
        code=code,
        raw=raw or message,
    )


def auth_rejection(status: int | None, code: str | None = None, raw: str = "") -> Rejection:
    return Rejection(
        category=Category.AUTH,
        message="The server refused the auth token.",
        advice=f"The token has expired or was revoked: ask {_ADMIN} for a new one, put it in this backend's "
        "token file (token_file in synctui's config), then synchronize again.",
        status=status,
        code=code,
        raw=raw,
    )


def http_rejection(response: httpx.Response) -> Rejection:
    """A non-2xx answer: the first DIGIT error code when the body has one, else the status."""
    text = response.text[:4000]
    try:
        errors: list[ServerError] = parse_errors(json.loads(text)) if text else []
    except ValueError:
        errors = []
    status = response.status_code
    if status in (401, 403):
        return auth_rejection(status, errors[0].code if errors else None, text)
    if errors:
        return explain_code(errors[0].code, errors[0].message, status, text)
    if status >= 500:
        category, message, advice = (
            Category.SERVER,
            f"The server failed (HTTP {status}).",
            f"Nothing was lost; synchronize again later. If it keeps failing, tell {_ADMIN}.",
        )
    elif status == 404:
        category, message, advice = (
            Category.FIX_DATA,
            "The server has no such endpoint (HTTP 404).",
            "Check url and options.paths of this backend in synctui's config.",
        )
    else:
        category, message, advice = (
            Category.UNKNOWN,
            f"The server refused the request (HTTP {status}).",
            f"Check url and options of this backend in synctui's config; if they are right, give the raw "
            f"answer to {_ADMIN}.",
        )
    return Rejection(category=category, message=message, advice=advice, status=status, raw=text)


def transport_rejection(exc: Exception, url: str) -> Rejection:
    if isinstance(exc, httpx.TimeoutException):
        message = "The server did not answer in time."
    elif isinstance(exc, httpx.ConnectError):
        message = f"Cannot reach the server at {url}."
    else:
        message = "The connection to the server failed."
    return Rejection(
        category=Category.RETRYABLE,
        message=message,
        advice="Check the network; nothing was lost, the rows stay queued. Sync again later.",
        code=type(exc).__name__,
        raw=str(exc)[:500],
    )


def garbage_rejection(reason: str, status: int | None = None) -> Rejection:
    return Rejection(
        category=Category.SERVER,
        message="The server answered something unreadable.",
        advice="Nothing was lost; the rows stay queued and will be verified before any re-send.",
        status=status,
        code="MALFORMED_RESPONSE",
        raw=reason[:500],
    )


def explain_raw(raw: str, status: int | None) -> Rejection | None:
    """For the `synctui_explain_rejection` hook: a DIGIT ErrorRes body or a bare code."""
    try:
        errors = parse_errors(json.loads(raw))
    except ValueError:
        errors = []
    if errors:
        return explain_code(errors[0].code, errors[0].message, status, raw)
    code = raw.strip()
    if code in CODES:
        return explain_code(code, "", status, raw)
    return None
