"""Sync settings of an mSupply site: what the site API shows and lets change (updateSyncSettings).

The interval is in minutes with 0 = paused, as the mSupply preferences have it (seed 004). The site stores
seconds and has no pause switch in its API: a paused site gets the interval Open mSupply's own CLI writes
when it disables sync (server/cli/src/cli.rs), so no scheduled sync runs; a manual sync still does.
The agent asks for the admin PIN and writes the audit log; this module only checks and shapes values.
"""

from __future__ import annotations

import re

from synctui.backend import BackendError
from synctui.model import Category, Rejection, Setting

from .options import DEFAULT_BATCH_SIZE, MSupplyOptions
from .wire import SyncSettings

EDITABLE = ("url", "interval_minutes")
PAUSED_SECONDS = 100_000_000  # Open mSupply's CLI "Disabling sync" interval (over 3 years)
LONGEST_MINUTES = 525_600  # a year: anything longer reads as paused
_BATCH_LABELS = {"remote_push": "push", "remote_pull": "pull", "central_pull": "central pull"}


def _fix(message: str) -> BackendError:
    return BackendError(Rejection(Category.FIX_DATA, message, code="BAD_SETTING"))


def is_paused(settings: SyncSettings | None) -> bool:
    return settings is not None and settings.interval_seconds >= PAUSED_SECONDS


def scheduled_seconds(settings: SyncSettings | None) -> int | None:
    """Seconds between the site's scheduled syncs; None when unknown or paused."""
    return None if settings is None or is_paused(settings) else settings.interval_seconds


def minutes_value(seconds: int) -> str:
    """The interval as the setting shows it: whole minutes, a fraction for a site set in seconds, 0 paused.
    A site set to 0 seconds (which syncs back to back, it is not paused) says so."""
    if seconds >= PAUSED_SECONDS:
        return "0"
    if seconds == 0:
        return "0 s (back to back, not paused)"
    return str(seconds // 60) if seconds % 60 == 0 else f"{seconds / 60:.2f}".rstrip("0")


def interval_text(seconds: int) -> str:
    if seconds >= PAUSED_SECONDS:
        return "0 (paused)"
    return minutes_value(seconds) if seconds == 0 else f"{minutes_value(seconds)} min"


def batch_sizes(options: MSupplyOptions) -> tuple[dict[str, int], str]:
    """The sync request sizes and where they come from."""
    if options.batch_size is not None:
        return (
            options.batch_size,
            "from synctui's config (options.batch_size): the site API does not report it",
        )
    return dict(
        DEFAULT_BATCH_SIZE
    ), "Open mSupply's built-in sizes: the site API neither reports nor changes them"


def batch_text(options: MSupplyOptions) -> str:
    sizes, source = batch_sizes(options)
    counted = " · ".join(f"{label} {sizes[key]}" for key, label in _BATCH_LABELS.items())
    return f"{counted} ({source})"


def listed(current: SyncSettings, options: MSupplyOptions) -> list[Setting]:
    sizes, source = batch_sizes(options)
    return [
        Setting("url", "Central server URL", current.url, True, "The legacy mSupply central server."),
        Setting(
            "username",
            "Site name",
            current.username,
            False,
            "Changing it would move this installation to another site.",
        ),
        Setting(
            "interval_minutes",
            "Sync time interval (minutes)",
            minutes_value(current.interval_seconds),
            True,
            f"Minutes between automatic syncs (a whole number, at most {LONGEST_MINUTES}); 0 pauses them.",
        ),
        *(
            Setting(
                f"batch_size.{key}",
                f"Sync request size: {label}",
                str(sizes[key]),
                False,
                f"{source[0].upper()}{source[1:]}.",
            )
            for key, label in _BATCH_LABELS.items()
        ),
    ]


def check_keys(values: dict[str, str]) -> None:
    unknown = sorted(set(values) - set(EDITABLE))
    if unknown:
        raise _fix(
            f"'{unknown[0]}' cannot be changed through the site API (editable: {', '.join(EDITABLE)})."
        )


def new_values(values: dict[str, str], current: SyncSettings) -> tuple[str, int]:
    url = str(values.get("url", current.url)).strip()
    interval = current.interval_seconds
    if "interval_minutes" in values:
        text = str(values["interval_minutes"]).strip()
        if not re.fullmatch(r"[0-9]{1,7}", text) or int(text) > LONGEST_MINUTES:
            raise _fix(
                f"The sync interval must be a whole number of minutes from 0 (paused) to {LONGEST_MINUTES}, "
                f"got {text[:40]!r}."
            )
        interval = int(text) * 60 or PAUSED_SECONDS
    return url, interval


def plain_password(options: MSupplyOptions) -> str:
    if options.site_password is None:
        raise _fix(
            "Changing sync settings needs the site's plain sync password (options.site_password): "
            "the site checks it with central again."
        )
    return options.site_password.reveal()


def describe_change(before: SyncSettings, after: SyncSettings) -> str:
    changes = []
    if after.url != before.url:
        changes.append(f"URL {before.url} → {after.url}")
    if after.interval_seconds != before.interval_seconds:
        changes.append(
            f"interval {interval_text(before.interval_seconds)} → {interval_text(after.interval_seconds)}"
        )
    return "Sync settings saved" + (": " + "; ".join(changes) if changes else " (unchanged)")
