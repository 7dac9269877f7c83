"""The site panel: the facts about an mSupply site shown beside its queues (Snapshot.info)."""

from __future__ import annotations

from datetime import datetime

from synctui.model import InfoItem

from .mapping import Assessment
from .parsers import InitialisationStatus, StoreInfo, SyncSettings, SyncStatus
from .probe import CentralProbe


def site_panel(
    *,
    site_name: str | None,
    site_url: str,
    store: StoreInfo | None,
    store_note: str | None,
    initialisation: InitialisationStatus | None,
    settings: SyncSettings | None,
    settings_note: str | None,
    batch_size: dict[str, int],
    status: SyncStatus | None,
    verdict: Assessment,
    probe: CentralProbe | None,
    central_url: str | None,
    db_note: str | None,
) -> list[InfoItem]:
    items = [
        InfoItem("site_name", "Site name", site_name or "unknown"),
        InfoItem("site_url", "Site URL", site_url),
    ]
    if store is not None:
        label = " — ".join(part for part in (store.code, store.name) if part)
        items.append(InfoItem("store", "Store", label or store.id or "?"))
    else:
        items.append(InfoItem("store", "Store", store_note or "not reported"))
    if initialisation is not None:
        items.append(
            InfoItem("initialisation", "Initialisation", initialisation.status.replace("_", " ").lower())
        )
    if settings is not None:
        items.append(InfoItem("interval", "Sync interval", interval_text(settings.interval_seconds)))
    else:
        items.append(InfoItem("interval", "Sync interval", settings_note or "unknown"))
    items.append(
        InfoItem(
            "batch_size",
            "Sync request size",
            f"push {batch_size['remote_push']} · pull {batch_size['remote_pull']} · central pull "
            f"{batch_size['central_pull']} (from synctui's config; the site API does not report it)",
        )
    )
    last_ok = status.last_successful_sync.finished if status and status.last_successful_sync else None
    items.append(InfoItem("last_success", "Last successful sync", when(last_ok) if last_ok else "never"))
    if status and status.summary and status.summary.started:
        attempt = f"{when(status.summary.started)}: {verdict.state}"
        if verdict.rejection:
            attempt += f" — {verdict.rejection.message}"
        items.append(InfoItem("last_attempt", "Last attempt", attempt))
    if status and status.warning_threshold is not None and status.error_threshold is not None:
        items.append(
            InfoItem(
                "site_thresholds",
                "Site's own badge thresholds",
                f"warning {status.warning_threshold:g} d · error {status.error_threshold:g} d",
            )
        )
    if probe is not None:
        items += probe.info()
    else:
        items.append(InfoItem("central_url", "Central server URL", central_url or "unknown"))
        items.append(InfoItem("role", "Role", "remote site (run Check connection for primary/satellite)"))
    if db_note:
        items.append(InfoItem("database", "Site database", db_note))
    return items


def interval_text(seconds: int) -> str:
    if seconds % 60 == 0 and seconds >= 60:
        return f"{seconds} s ({seconds // 60} min)"
    return f"{seconds} s"


def when(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC")
