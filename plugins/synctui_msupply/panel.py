"""The site panel: the facts about an mSupply site shown beside its queues (Snapshot.info)."""

from __future__ import annotations

from datetime import datetime

from synctui.model import InfoItem

from .mapping import Assessment
from .probe import CentralProbe
from .site_settings import interval_text, is_paused
from .sync_with import store_label, sync_with
from .wire import InitialisationStatus, StoreInfo, SyncSettings, SyncStatus


def site_panel(
    *,
    site_name: str | None,
    site_url: str,
    store: StoreInfo | None,
    store_note: str | None,
    initialisation: InitialisationStatus | None,
    settings: SyncSettings | None,
    settings_note: str | None,
    batch_size: str,
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
    store_text = store_label(store, store_note)
    items.append(InfoItem("store", "Store", store_text))
    if initialisation is not None:
        items.append(
            InfoItem("initialisation", "Initialisation", initialisation.status.replace("_", " ").lower())
        )
    if settings is not None:
        interval = interval_text(settings.interval_seconds)
        if is_paused(settings):
            interval += ": no scheduled sync; Synchronize Now still runs one"
        items.append(InfoItem("interval", "Sync time interval", interval))
    else:
        items.append(InfoItem("interval", "Sync time interval", settings_note or "unknown"))
    items.append(InfoItem("batch_size", "Sync request size", batch_size))
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
    items += sync_with(
        site_name=site_name, site_url=site_url, store=store_text, central_url=central_url, probe=probe
    )
    if db_note:
        items.append(InfoItem("database", "Site database", db_note))
    return items


def when(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC")
