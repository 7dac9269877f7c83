"""The `options` keys of an mSupply backend in the config, checked once with clear messages."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from synctui.backend import BackendError, Secret
from synctui.model import Category, Rejection

# settings.rs BatchSize::default(). The sync driver loads its settings from the site's database with these
# (settings_service.rs), so they are what a site runs with; the site API neither reports nor changes them.
DEFAULT_BATCH_SIZE = {"remote_push": 1024, "remote_pull": 500, "central_pull": 500}
SYNC_V5_VERSION = 14


@dataclass(frozen=True)
class MSupplyOptions:
    central_url: str | None = None  # legacy central; default: the site's syncSettings.url
    site_name: str | None = None  # sync user name; default: syncSettings.username
    site_password: Secret | None = None  # plain sync password (needed to change settings)
    site_password_sha256: Secret | None = None  # or only its SHA-256 hex (enough for probes)
    hardware_id: str | None = None  # msupply-site-uuid of THIS device; no central probe without it
    app_name: str = "Open mSupply Desktop"
    app_version: str = "2.6.0"
    sync_version: int = SYNC_V5_VERSION
    mobile_version: str = "4.0.0"
    probe_v3: bool = True
    hung_after_intervals: float = 3.0
    hung_min_seconds: float = 600.0
    poll_seconds: float = 1.0
    sync_timeout_seconds: float = 1800.0
    trigger_grace_seconds: float = 30.0
    poll_failures: float = 5.0  # failed status polls in a row that end following a sync (lost contact)
    poll_backoff_seconds: float = 0.5  # pause before the first retry of a failed poll, doubled each time
    retry_wait_seconds: float = 8.0  # how long Retry waits for its sync to finish before saying so
    database: Path | None = None  # the site's SQLite file, read-only (sync_buffer integration errors)
    batch_size: dict[str, int] | None = None  # only for a site known to run with other sizes
    use_site_thresholds: bool = False

    def password_sha256(self) -> str | None:
        """The lowercase hex SHA-256 that central expects as the Basic password (reference §2)."""
        if self.site_password_sha256:
            return self.site_password_sha256.reveal().strip().lower()
        if self.site_password:
            return hashlib.sha256(self.site_password.reveal().encode()).hexdigest()
        return None


def _bad(key: str, why: str) -> BackendError:
    return BackendError(
        Rejection(
            category=Category.FIX_DATA,
            message=f"mSupply option '{key}' {why}.",
            advice="Fix the backend's options in the synctui config (see the mSupply plugin README).",
            code="BAD_OPTION",
        )
    )


def _secret(key: str, value: Any) -> Secret | None:
    if value is None or isinstance(value, Secret):
        return value
    if isinstance(value, str):
        return Secret(value)
    raise _bad(key, "must be a string")


def _number(key: str, value: Any, minimum: float = 0.0) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < minimum:
        raise _bad(key, f"must be a number of at least {minimum:g}")
    return float(value)


def parse_options(raw: dict[str, Any]) -> MSupplyOptions:
    known = set(MSupplyOptions.__dataclass_fields__)
    unknown = sorted(set(raw) - known)
    if unknown:
        raise _bad(unknown[0], f"is not known (known: {', '.join(sorted(known))})")
    values: dict[str, Any] = {}
    for key in ("central_url", "site_name", "hardware_id", "app_name", "app_version", "mobile_version"):
        if key in raw and raw[key] is not None:
            if not isinstance(raw[key], str):
                raise _bad(key, "must be a string")
            values[key] = raw[key]
    for key in ("site_password", "site_password_sha256"):
        if key in raw:
            values[key] = _secret(key, raw[key])
    for key in ("probe_v3", "use_site_thresholds"):
        if key in raw:
            if not isinstance(raw[key], bool):
                raise _bad(key, "must be true or false")
            values[key] = raw[key]
    if "sync_version" in raw:
        if isinstance(raw["sync_version"], bool) or not isinstance(raw["sync_version"], int):
            raise _bad("sync_version", "must be an integer")
        values["sync_version"] = raw["sync_version"]
    for key, minimum in (
        ("hung_after_intervals", 1.0),
        ("hung_min_seconds", 0.0),
        ("poll_seconds", 0.0),
        ("sync_timeout_seconds", 0.0),
        ("trigger_grace_seconds", 0.0),
        ("poll_failures", 1.0),
        ("poll_backoff_seconds", 0.0),
        ("retry_wait_seconds", 0.0),
    ):
        if key in raw:
            values[key] = _number(key, raw[key], minimum)
    if raw.get("database") is not None:
        if not isinstance(raw["database"], (str, Path)):
            raise _bad("database", "must be a file path")
        values["database"] = Path(raw["database"]).expanduser()
    if "batch_size" in raw:
        batch = raw["batch_size"]
        if isinstance(batch, int) and not isinstance(batch, bool) and batch > 0:
            batch = {name: batch for name in DEFAULT_BATCH_SIZE}
        if not isinstance(batch, dict) or not all(
            k in DEFAULT_BATCH_SIZE and isinstance(v, int) and not isinstance(v, bool) and v > 0
            for k, v in batch.items()
        ):
            raise _bad(
                "batch_size", f"must be a positive integer or a table of {', '.join(DEFAULT_BATCH_SIZE)}"
            )
        values["batch_size"] = {**DEFAULT_BATCH_SIZE, **batch}
    return MSupplyOptions(**values)
