"""The HCM backend's option keys (BackendSettings.options), checked once with clear messages."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from synctui.backend import BackendError, BackendSettings
from synctui.model import Category, Rejection
from synctui_hcm.wire import EntityWire, build_wires


@dataclass(frozen=True)
class HCMOptions:
    oplog: Path
    tenant_id: str
    user_info: dict[str, Any] = field(default_factory=dict)
    wires: dict[str, EntityWire] = field(default_factory=dict)
    batch_size: int = 100
    pause_seconds: float = 1.0  # before each update / delete group (lets the creates persist)
    max_attempts: int = 3  # confirmation searches before a row is given up on (SYNC_DOWN_RETRY_COUNT)
    retry_interval: float = 5.0  # seconds × attempt between confirmation passes (RETRY_TIME_INTERVAL)
    max_passes: int = 10  # confirm + sync-up passes in one Synchronize Now
    resend_grace: float = 60.0  # seconds a possibly-sent row is only searched for, never re-sent
    search_limit: int = 100
    health_interval: float = 30.0  # seconds between server probes made by snapshot()
    poll_failures: int = 5  # failed confirmation searches in a row before one counts as failed
    poll_backoff: float = 0.5  # seconds before the first retry of a failed search, doubled each time


def _bad(key: str, why: str) -> BackendError:
    return BackendError(
        Rejection(
            category=Category.FIX_DATA,
            message=f"HCM option {key!r}: {why}",
            advice="Fix the option in the configuration of this backend (see the HCM plugin README).",
            code="BAD_OPTION",
        )
    )


def _number(options: Mapping[str, Any], key: str, default: float, kind: type, minimum: float) -> Any:
    value = options.get(key, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _bad(key, f"expected a number, got {type(value).__name__}")
    if kind is int and int(value) != value:
        raise _bad(key, "expected a whole number")
    if value < minimum:
        raise _bad(key, f"must be at least {minimum}")
    return kind(value)


def parse_options(settings: BackendSettings) -> HCMOptions:
    opts = settings.options or {}
    oplog = opts.get("oplog")
    if not isinstance(oplog, (str, Path)) or not str(oplog):
        raise _bad("oplog", "the path of the device's OpLog SQLite file is required")
    tenant = opts.get("tenant_id", "default")
    if not isinstance(tenant, str) or not tenant:
        raise _bad("tenant_id", "expected a non-empty string")
    user_info = opts.get("user_info", {})
    if not isinstance(user_info, Mapping):
        raise _bad("user_info", "expected a table (uuid, userName, type, roles...)")
    user_info = dict(user_info)
    if settings.username and "userName" not in user_info:
        user_info["userName"] = settings.username
    user_info.setdefault("tenantId", tenant)
    try:
        wires = build_wires(opts.get("paths"))
    except ValueError as exc:
        raise _bad("paths", str(exc)) from None
    return HCMOptions(
        oplog=Path(oplog).expanduser(),
        tenant_id=tenant,
        user_info=user_info,
        wires=wires,
        batch_size=_number(opts, "batch_size", 100, int, 1),
        pause_seconds=_number(opts, "pause_seconds", 1.0, float, 0),
        max_attempts=_number(opts, "max_attempts", 3, int, 1),
        retry_interval=_number(opts, "retry_interval", 5.0, float, 0),
        max_passes=_number(opts, "max_passes", 10, int, 1),
        resend_grace=_number(opts, "resend_grace", 60.0, float, 0),
        search_limit=_number(opts, "search_limit", 100, int, 1),
        health_interval=_number(opts, "health_interval", 30.0, float, 0),
        poll_failures=_number(opts, "poll_failures", 5, int, 1),
        poll_backoff=_number(opts, "poll_backoff", 0.5, float, 0),
    )
