"""Sync settings of an mSupply site: what the site API shows and lets change (updateSyncSettings).

The agent asks for the admin PIN and writes the audit log; this module only checks and shapes values.
"""

from __future__ import annotations

from synctui.backend import BackendError
from synctui.model import Category, Rejection, Setting

from .options import MSupplyOptions
from .parsers import SyncSettings

EDITABLE = ("url", "interval_seconds")
_FIXED = "Set in the site's configuration file (sync.batch_size); the site API cannot change it."


def _fix(message: str) -> BackendError:
    return BackendError(Rejection(Category.FIX_DATA, message, code="BAD_SETTING"))


def listed(current: SyncSettings, batch: dict[str, int]) -> list[Setting]:
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
            "interval_seconds",
            "Sync interval (seconds)",
            str(current.interval_seconds),
            True,
            "Seconds between automatic syncs (a whole number of at least 1).",
        ),
        Setting(
            "batch_size.remote_push", "Sync request size: push", str(batch["remote_push"]), False, _FIXED
        ),
        Setting(
            "batch_size.remote_pull", "Sync request size: pull", str(batch["remote_pull"]), False, _FIXED
        ),
        Setting(
            "batch_size.central_pull",
            "Sync request size: central pull",
            str(batch["central_pull"]),
            False,
            _FIXED,
        ),
    ]


def check_keys(values: dict[str, str]) -> None:
    unknown = sorted(set(values) - set(EDITABLE))
    if unknown:
        raise _fix(
            f"'{unknown[0]}' cannot be changed through the site API (editable: url, interval_seconds)."
        )


def new_values(values: dict[str, str], current: SyncSettings) -> tuple[str, int]:
    url = str(values.get("url", current.url)).strip()
    interval = current.interval_seconds
    if "interval_seconds" in values:
        try:
            interval = int(str(values["interval_seconds"]).strip())
        except ValueError:
            raise _fix("The sync interval must be a whole number of seconds.") from None
        if interval < 1:
            raise _fix("The sync interval must be at least 1 second.")
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
        changes.append(f"interval {before.interval_seconds} s → {after.interval_seconds} s")
    return "Sync settings saved" + (": " + "; ".join(changes) if changes else " (unchanged)")
