"""Strict parsers of what an Open mSupply site (GraphQL) and the legacy central (v5, v3) answer.

Every parser takes decoded JSON of any shape and either returns a typed value or raises `ParseError`
naming the first bad field; nothing else escapes (the hypothesis tests hold them to that).
Times on the wire are naive UTC (reference §7); they come back as aware UTC datetimes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

STEP_FIELDS = ("prepareInitial", "pushV6", "push", "pullCentral", "pullRemote", "pullV6", "integration")


class ParseError(ValueError):
    """The answer does not have the expected shape; the message names the field."""


# --- generic helpers ---------------------------------------------------------------------------------


def _obj(value: Any, path: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ParseError(f"{path}: expected an object, got {_kind(value)}")
    return value


def _kind(value: Any) -> str:
    return "null" if value is None else type(value).__name__


def _int(value: Any, path: str, optional: bool = True) -> int | None:
    if value is None and optional:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ParseError(f"{path}: expected an integer, got {_kind(value)}")
    return value


def _num(value: Any, path: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ParseError(f"{path}: expected a number, got {_kind(value)}")
    return float(value)


def _str(value: Any, path: str, optional: bool = True) -> str | None:
    if value is None and optional:
        return None
    if not isinstance(value, str):
        raise ParseError(f"{path}: expected a string, got {_kind(value)}")
    return value


def _bool(value: Any, path: str, optional: bool = False) -> bool | None:
    if value is None and optional:
        return None
    if not isinstance(value, bool):
        raise ParseError(f"{path}: expected true or false, got {_kind(value)}")
    return value


def parse_time(value: Any, path: str) -> datetime | None:
    """A NaiveDateTime (UTC) or an RFC 3339 timestamp."""
    text = _str(value, path)
    if text is None:
        return None
    try:
        parsed = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ParseError(f"{path}: not a timestamp: {text[:40]!r}") from None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


# --- GraphQL envelope --------------------------------------------------------------------------------


@dataclass(frozen=True)
class GqlError:
    message: str
    path: tuple[str, ...] = ()
    details: str = ""

    @property
    def unauthenticated(self) -> bool:
        text = f"{self.message} {self.details}".lower()
        return (
            "unauthenticated" in text
            or "not authenticated" in text
            or ("token" in text and "expired" in text)
        )

    @property
    def forbidden(self) -> bool:
        text = f"{self.message} {self.details}".lower()
        return "forbidden" in text or "permission" in text


@dataclass(frozen=True)
class GqlResponse:
    data: dict[str, Any]
    errors: list[GqlError] = field(default_factory=list)

    def error_for(self, name: str) -> GqlError | None:
        """The error of one root field (by its alias), or a document-level error."""
        for err in self.errors:
            if not err.path or err.path[0] == name:
                return err
        return None


def parse_envelope(body: Any) -> GqlResponse:
    body = _obj(body, "response")
    data = body.get("data")
    if data is not None:
        data = _obj(data, "data")
    raw_errors = body.get("errors") or []
    if not isinstance(raw_errors, list):
        raise ParseError(f"errors: expected a list, got {_kind(raw_errors)}")
    errors = []
    for i, raw in enumerate(raw_errors):
        raw = _obj(raw, f"errors[{i}]")
        message = _str(raw.get("message"), f"errors[{i}].message") or ""
        path_raw = raw.get("path") or []
        path = tuple(str(p) for p in path_raw) if isinstance(path_raw, list) else ()
        ext = raw.get("extensions")
        details = ""
        if isinstance(ext, dict) and isinstance(ext.get("details"), str):
            details = ext["details"]
        errors.append(GqlError(message, path, details))
    if data is None and not errors:
        raise ParseError("response: neither data nor errors")
    return GqlResponse(data or {}, errors)


# --- site GraphQL nodes ------------------------------------------------------------------------------


@dataclass(frozen=True)
class StepStatus:
    started: datetime | None = None
    finished: datetime | None = None
    done: int | None = None
    total: int | None = None
    duration_seconds: float | None = None


@dataclass(frozen=True)
class SyncErrorInfo:
    variant: str
    full_error: str


@dataclass(frozen=True)
class SyncStatus:
    """FullSyncStatusNode."""

    is_syncing: bool
    error: SyncErrorInfo | None = None
    summary: StepStatus | None = None
    steps: dict[str, StepStatus | None] = field(default_factory=dict)  # keyed by STEP_FIELDS
    last_successful_sync: StepStatus | None = None
    warning_threshold: float | None = None
    error_threshold: float | None = None


def parse_step(value: Any, path: str) -> StepStatus | None:
    if value is None:
        return None
    node = _obj(value, path)
    return StepStatus(
        started=parse_time(node.get("started"), f"{path}.started"),
        finished=parse_time(node.get("finished"), f"{path}.finished"),
        done=_int(node.get("done"), f"{path}.done"),
        total=_int(node.get("total"), f"{path}.total"),
        duration_seconds=_num(node.get("durationInSeconds"), f"{path}.durationInSeconds"),
    )


def parse_sync_status(value: Any, path: str = "latestSyncStatus") -> SyncStatus | None:
    if value is None:
        return None  # no sync has ever run
    node = _obj(value, path)
    error = None
    if node.get("error") is not None:
        err = _obj(node["error"], f"{path}.error")
        error = SyncErrorInfo(
            variant=_str(err.get("variant"), f"{path}.error.variant", optional=False) or "UNKNOWN",
            full_error=_str(err.get("fullError"), f"{path}.error.fullError") or "",
        )
    return SyncStatus(
        is_syncing=bool(_bool(node.get("isSyncing"), f"{path}.isSyncing")),
        error=error,
        summary=parse_step(node.get("summary"), f"{path}.summary"),
        steps={name: parse_step(node.get(name), f"{path}.{name}") for name in STEP_FIELDS},
        last_successful_sync=parse_step(node.get("lastSuccessfulSync"), f"{path}.lastSuccessfulSync"),
        warning_threshold=_num(node.get("warningThreshold"), f"{path}.warningThreshold"),
        error_threshold=_num(node.get("errorThreshold"), f"{path}.errorThreshold"),
    )


def parse_count(value: Any, path: str) -> int:
    count = _int(value, path, optional=False)
    assert count is not None
    if count < 0:
        raise ParseError(f"{path}: negative count {count}")
    return count


@dataclass(frozen=True)
class InitialisationStatus:
    status: str  # PRE_INITIALISATION, INITIALISING, INITIALISED
    site_name: str | None = None


def parse_initialisation_status(value: Any, path: str = "initialisationStatus") -> InitialisationStatus:
    node = _obj(value, path)
    status = _str(node.get("status"), f"{path}.status", optional=False)
    assert status is not None
    return InitialisationStatus(status=status, site_name=_str(node.get("siteName"), f"{path}.siteName"))


@dataclass(frozen=True)
class SyncSettings:
    url: str
    username: str
    interval_seconds: int


def parse_sync_settings(value: Any, path: str = "syncSettings") -> SyncSettings | None:
    if value is None:
        return None
    node = _obj(value, path)
    if node.get("__typename") == "SyncErrorNode":
        raise ParseError(f"{path}: the site answered an error instead of settings")
    interval = _int(node.get("intervalSeconds"), f"{path}.intervalSeconds", optional=False)
    assert interval is not None
    return SyncSettings(
        url=_str(node.get("url"), f"{path}.url", optional=False) or "",
        username=_str(node.get("username"), f"{path}.username", optional=False) or "",
        interval_seconds=interval,
    )


def parse_settings_result(value: Any, path: str = "updateSyncSettings") -> SyncSettings | SyncErrorInfo:
    """`SyncSettingsNode | SyncErrorNode` of updateSyncSettings."""
    node = _obj(value, path)
    if node.get("__typename") == "SyncErrorNode" or "variant" in node:
        return SyncErrorInfo(
            variant=_str(node.get("variant"), f"{path}.variant", optional=False) or "UNKNOWN",
            full_error=_str(node.get("fullError"), f"{path}.fullError") or "",
        )
    settings = parse_sync_settings(node, path)
    if settings is None:
        raise ParseError(f"{path}: empty answer")
    return settings


@dataclass(frozen=True)
class AuthResult:
    token: str | None
    error: str | None = None  # the description of AuthTokenError


def parse_auth_token(value: Any, path: str = "authToken") -> AuthResult:
    node = _obj(value, path)
    if node.get("__typename") == "AuthTokenError" or "error" in node:
        err = _obj(node.get("error"), f"{path}.error")
        kind = _str(err.get("__typename"), f"{path}.error.__typename") or "AuthTokenError"
        description = _str(err.get("description"), f"{path}.error.description") or kind
        return AuthResult(token=None, error=f"{kind}: {description}")
    token = _str(node.get("token"), f"{path}.token", optional=False)
    if not token:
        raise ParseError(f"{path}.token: empty")
    return AuthResult(token=token)


@dataclass(frozen=True)
class StoreInfo:
    id: str | None
    code: str | None
    name: str | None


def parse_me_store(value: Any, path: str = "me") -> StoreInfo | None:
    if value is None:
        return None
    node = _obj(value, path)
    store = node.get("defaultStore")
    if store is None:
        return None
    store = _obj(store, f"{path}.defaultStore")
    return StoreInfo(
        id=_str(store.get("id"), f"{path}.defaultStore.id"),
        code=_str(store.get("code"), f"{path}.defaultStore.code"),
        name=_str(store.get("name"), f"{path}.defaultStore.name"),
    )


def parse_manual_sync(value: Any, path: str = "manualSync") -> str:
    return _str(value, path, optional=False) or ""


# --- legacy central v5 / v3 --------------------------------------------------------------------------


@dataclass(frozen=True)
class V5Error:
    code: str
    message: str
    data: Any = None


@dataclass(frozen=True)
class SiteV5:
    id: str
    site_id: int
    code: str | None
    name: str
    initialisation_status: str | None
    is_om_central: bool | None
    om_central_url: str | None
    central_site_id: int | None


@dataclass(frozen=True)
class SiteStatusV5:
    code: str
    message: str | None


def parse_v5_error(body: Any) -> V5Error | None:
    """`{"error": {"code", "message", "data"}}`, or None when the body is no v5 error."""
    if not isinstance(body, dict) or not isinstance(body.get("error"), dict):
        return None
    err = body["error"]
    code = err.get("code")
    message = err.get("message")
    return V5Error(
        code=code if isinstance(code, str) else "other",
        message=message if isinstance(message, str) else "",
        data=err.get("data"),
    )


def parse_v5_site(body: Any) -> SiteV5:
    node = _obj(body, "site")
    site_id = _int(node.get("siteId"), "site.siteId", optional=False)
    assert site_id is not None
    return SiteV5(
        id=_str(node.get("id"), "site.id", optional=False) or "",
        site_id=site_id,
        code=_str(node.get("code"), "site.code"),
        name=_str(node.get("name"), "site.name", optional=False) or "",
        initialisation_status=_str(node.get("initialisationStatus"), "site.initialisationStatus"),
        is_om_central=_bool(node.get("isOmSupplyCentralServer"), "site.isOmSupplyCentralServer", True),
        om_central_url=_str(node.get("omSupplyCentralServerUrl"), "site.omSupplyCentralServerUrl"),
        central_site_id=_int(node.get("mSupplyCentralSiteId"), "site.mSupplyCentralSiteId"),
    )


def parse_v5_site_status(body: Any) -> SiteStatusV5:
    node = _obj(body, "site_status")
    code = _str(node.get("code"), "site_status.code", optional=False)
    assert code is not None
    return SiteStatusV5(code=code, message=_str(node.get("message"), "site_status.message"))


def parse_v3_count(body: Any) -> int:
    """`{"NumRecords": n}`; a v3 `{"error": "..."}` raises ParseError with the server's text."""
    node = _obj(body, "queued_records/count")
    if isinstance(node.get("error"), str):
        raise ParseError(f"queued_records/count: server error: {node['error']}")
    return parse_count(node.get("NumRecords"), "queued_records/count.NumRecords")
