"""The HCM backend's option keys (BackendSettings.options), declared once; synctui checks them."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from synctui.backend import BackendSettings, Option, OptionError, config_error, read_options

from .wire import EntityWire, build_wires

OPTIONS = (
    Option("oplog", Path, required=True, help="path of the OpLog SQLite file (watched with its `-wal`)"),
    Option("tenant_id", str, "default", help="`tenantId` of requests"),
    Option("user_info", dict, {}, help="`RequestInfo.userInfo` (uuid, userName, type, roles...)"),
    Option(
        "paths",
        dict,
        help="per entity type: a base path string, or `{base, list_key, search_key, response_key}` "
        "(new types need all four); not set: the built-in table",
    ),
    Option("batch_size", int, 100, minimum=1, help="records per bulk call (the app: 5 manual, MDMS-driven)"),
    Option("pause_seconds", float, 1.0, minimum=0, help="pause before each update / delete group"),
    Option(
        "max_attempts",
        int,
        3,
        minimum=1,
        help="confirmation misses before a row goes to conflicts (`SYNC_DOWN_RETRY_COUNT`)",
    ),
    Option(
        "retry_interval",
        float,
        5.0,
        minimum=0,
        help="seconds × attempt between passes (`RETRY_TIME_INTERVAL`)",
    ),
    Option("max_passes", int, 10, minimum=1, help="passes per Synchronize Now"),
    Option(
        "resend_grace",
        float,
        60.0,
        minimum=0,
        help="seconds a possibly-sent row is only searched for (≥ the server's persistence lag)",
    ),
    Option("search_limit", int, 100, minimum=1, help="clientReferenceIds per search (server caps at 200)"),
    Option(
        "health_interval", float, 30.0, minimum=0, help="seconds between server probes made by the snapshot"
    ),
    Option(
        "poll_failures",
        int,
        5,
        minimum=1,
        help="failed confirmation searches in a row before one counts as failed",
    ),
    Option(
        "poll_backoff",
        float,
        0.5,
        minimum=0,
        help="seconds before retrying a failed search, doubled each time (at most 10)",
    ),
)


@dataclass(frozen=True)
class HCMOptions:
    oplog: Path
    tenant_id: str
    user_info: dict[str, Any] = field(default_factory=dict)
    wires: dict[str, EntityWire] = field(default_factory=dict)
    batch_size: int = 100
    pause_seconds: float = 1.0
    max_attempts: int = 3
    retry_interval: float = 5.0
    max_passes: int = 10
    resend_grace: float = 60.0
    search_limit: int = 100
    health_interval: float = 30.0
    poll_failures: int = 5
    poll_backoff: float = 0.5


def parse_options(settings: BackendSettings) -> HCMOptions:
    """The options as the adapter uses them; BackendError (code CONFIG) naming the key."""
    try:
        opts = read_options(OPTIONS, settings.options or {})
        wires = build_wires(opts.pop("paths"))
    except OptionError as exc:
        raise config_error(settings, str(exc)) from None
    except ValueError as exc:
        raise config_error(settings, f"options.{exc}") from None
    user_info = dict(opts.pop("user_info"))
    if settings.username and "userName" not in user_info:
        user_info["userName"] = settings.username
    user_info.setdefault("tenantId", opts["tenant_id"])
    known = set(HCMOptions.__dataclass_fields__)
    return HCMOptions(**{k: v for k, v in opts.items() if k in known}, user_info=user_info, wires=wires)
