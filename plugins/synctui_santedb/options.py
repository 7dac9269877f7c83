"""The `options` keys of a SanteDB backend in the config, declared once; synctui checks them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from synctui.backend import BackendSettings, Option, OptionError, config_error, read_options

from .profiles import PROFILES

OPTIONS = (
    Option(
        "profile",
        str,
        "santedb3",
        choices=tuple(PROFILES),
        help="the dCDR generation: SanteDB 3.x, SanteDB 2.x (/app) or OpenIZ (/__app)",
    ),
    Option(
        "client_id",
        str,
        help="OAuth client_id of the login; not set: the client_id of `GET /app/State?_full=true`, else synctui",
    ),
    Option("database", Path, help="a file whose change triggers a refresh (the dCDR's SQLite database)"),
    Option(
        "log_interval",
        float,
        30.0,
        minimum=0,
        help="seconds between fetches of /app/Sync and /ami/JobInfo (0: every snapshot)",
    ),
    Option("sync_poll_interval", float, 1.0, minimum=0, help="seconds between polls while a sync runs"),
    Option(
        "sync_max_duration", float, 900.0, minimum=0, help="seconds after which a sync is no longer followed"
    ),
    Option(
        "sync_start_grace",
        int,
        5,
        minimum=0,
        help="polls after `$start` before a finished-looking job counts as this run's end",
    ),
    Option(
        "sync_settle_polls",
        int,
        5,
        minimum=0,
        help="2.x / OpenIZ (no job to watch): polls of unchanged counts that end a sync",
    ),
    Option(
        "sync_poll_failures",
        int,
        5,
        minimum=0,
        help="failed polls in a row (network, 5xx, garbled answer) that end following a sync",
    ),
    Option(
        "sync_poll_backoff",
        float,
        0.5,
        minimum=0,
        help="seconds before the first retry of a failed poll, doubled each time (at most 10 s)",
    ),
    Option(
        "resubmit_max_waiting",
        int,
        200,
        minimum=0,
        help="OpenIZ re-submit: most outbox entries / waiting records it leaves out",
    ),
    Option(
        "payload_limit",
        int,
        256 * 1024,
        minimum=0,
        help="characters of a payload shown; the rest is cut (marked truncated)",
    ),
)


def parse_options(settings: BackendSettings) -> dict[str, Any]:
    """The options as the adapter uses them; BackendError (code CONFIG) naming the key."""
    try:
        return read_options(OPTIONS, settings.options or {})
    except OptionError as exc:
        raise config_error(settings, str(exc)) from None
