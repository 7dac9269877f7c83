"""The `options` keys of an mSupply backend in the config, declared once; synctui checks them."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from synctui.backend import BackendSettings, Option, OptionError, Secret, config_error, read_options

# settings.rs BatchSize::default(). The sync driver loads its settings from the site's database with these
# (settings_service.rs), so they are what a site runs with; the site API neither reports nor changes them.
DEFAULT_BATCH_SIZE = {"remote_push": 1024, "remote_pull": 500, "central_pull": 500}
SYNC_V5_VERSION = 14


def _seconds(name: str, default: float, help: str, minimum: float = 0.0) -> Option:
    return Option(name, float, default, minimum=minimum, help=help)


OPTIONS = (
    Option(
        "central_url",
        str,
        help="legacy central server for Check connection; not set: the site's `syncSettings.url`",
    ),
    Option(
        "site_name",
        str,
        help="the sync user name (site name); not set: `syncSettings.username`, "
        "else `initialisationStatus.siteName`",
    ),
    Option(
        "site_password",
        str,
        secret=True,
        help="the plain sync password. Sent hashed (SHA-256 hex) "
        "to central. Changing settings needs the plain one (`updateSyncSettings` takes it)",
    ),
    Option(
        "site_password_sha256",
        str,
        secret=True,
        help="the hash only. Enough for the probes, not for changing settings",
    ),
    Option(
        "hardware_id",
        str,
        help="the `msupply-site-uuid` header. Central binds a site to one hardware "
        "id, so give only this device's real id. Without it the central probe is skipped and the "
        "reason is shown",
    ),
    Option("app_name", str, "Open mSupply Desktop", help="`app-name` header of the v5 calls"),
    Option("app_version", str, "2.6.0", help="`app-version` header of the v5 calls"),
    Option("sync_version", int, SYNC_V5_VERSION, help="`version` header of the v5 calls"),
    Option("mobile_version", str, "4.0.0", help="`mobile-version` header of the v3 count"),
    Option("probe_v3", bool, True, help="also ask mSupply Mobile's `GET /sync/v3/queued_records/count`"),
    _seconds(
        "hung_after_intervals",
        3.0,
        'a sync started more than this many intervals ago with no finish and no error "appears hung"',
        minimum=1.0,
    ),
    _seconds("hung_min_seconds", 600.0, "…and never sooner than this (short intervals, slow first syncs)"),
    _seconds("poll_seconds", 1.0, "how often Synchronize Now re-reads the status"),
    _seconds(
        "sync_timeout_seconds",
        1800.0,
        "after this Synchronize Now stops following a sync; the sync itself goes on",
    ),
    _seconds(
        "trigger_grace_seconds",
        30.0,
        'if no new sync starts within this time after `manualSync`, report "the site did not start a sync"',
    ),
    _seconds(
        "poll_failures",
        5.0,
        "failed status polls in a row (network, timeout, 5xx, answer of the "
        'wrong shape) that end following a sync ("lost contact"); fewer are retried',
        minimum=1.0,
    ),
    _seconds(
        "poll_backoff_seconds", 0.5, "pause before retrying a failed poll, doubled each time (at most 10 s)"
    ),
    _seconds(
        "retry_wait_seconds",
        8.0,
        "how long Retry waits for its sync to finish (keep it below the agent's call timeout)",
    ),
    Option(
        "database",
        Path,
        help="the site's SQLite file, opened read-only (`mode=ro`). Lists "
        "`sync_buffer` rows with `integration_error` and is watched for changes",
    ),
    Option(
        "batch_size",
        (int, dict),
        minimum=1,
        help="only for a site known to run with other sizes than "
        "Open mSupply's built-in `{remote_push=1024, remote_pull=500, central_pull=500}`; shown as "
        '"Sync request size", marked as from synctui\'s config',
    ),
    Option(
        "use_site_thresholds",
        bool,
        False,
        help="use the site's own `warningThreshold`/"
        "`errorThreshold` (days) instead of the config's thresholds",
    ),
)


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


def parse_options(settings: BackendSettings) -> MSupplyOptions:
    """The options as the adapter uses them; BackendError (code CONFIG) naming the key."""
    try:
        opts = read_options(OPTIONS, settings.options or {})
    except OptionError as exc:
        raise config_error(settings, str(exc)) from None
    batch = opts["batch_size"]
    if isinstance(batch, int):
        batch = {name: batch for name in DEFAULT_BATCH_SIZE}
    if batch is not None:
        if not all(
            k in DEFAULT_BATCH_SIZE and isinstance(v, int) and not isinstance(v, bool) and v > 0
            for k, v in batch.items()
        ):
            raise config_error(
                settings,
                f"options.batch_size must be a positive integer or a table of {', '.join(DEFAULT_BATCH_SIZE)}",
            )
        opts["batch_size"] = {**DEFAULT_BATCH_SIZE, **batch}
    known = set(MSupplyOptions.__dataclass_fields__)
    return MSupplyOptions(**{k: v for k, v in opts.items() if k in known})
