"""The mSupply preferences' "This site" and "Sync with" list (seed 004): Sync ID, name, store and URL of
this site and of each server it synchronises with.

A remote site syncs with the legacy central server and, when central names one, with Open mSupply central.
The site's own API reports none of the other servers' names or stores, and no API lists a primary's
satellites: what is not reported is said so, never left blank.
"""

from __future__ import annotations

from synctui.model import InfoItem

from .probe import CentralProbe
from .wire import StoreInfo

NOT_REPORTED = "not reported by the site"


def store_label(store: StoreInfo | None, note: str | None) -> str:
    if store is None:
        return note or "not reported"
    return " — ".join(part for part in (store.code, store.name) if part) or store.id or "?"


def _row(sync_id: int | str | None, name: str, store: str, url: str) -> str:
    return f"Sync ID {sync_id if sync_id is not None else '?'} · {name} · store {store} · {url}"


def sync_with(
    *,
    site_name: str | None,
    site_url: str,
    store: str,
    central_url: str | None,
    probe: CentralProbe | None,
) -> list[InfoItem]:
    site = probe.site if probe else None
    if site is None:
        unknown = "central not probed" if probe and probe.skipped else "run Check connection"
        this_id: int | str | None = f"unknown ({unknown})"
        central_id: int | str | None = this_id
    else:
        this_id, central_id = site.site_id, site.central_site_id
    items = [InfoItem("this_site", "This site", _row(this_id, site_name or "unknown", store, site_url))]
    primary = site is not None and (site.is_om_central or site.central_site_id == site.site_id)
    if primary:
        items.append(
            InfoItem("sync_with", "Sync with", "its satellite sites (not listed: no API reports them)")
        )
        return items
    items.append(
        InfoItem(
            "sync_with",
            "Sync with",
            _row(central_id, "legacy mSupply central", NOT_REPORTED, central_url or "not configured"),
        )
    )
    if site is not None and site.om_central_url:
        items.append(
            InfoItem(
                "sync_with_om_central",
                "Sync with",
                _row(NOT_REPORTED, "Open mSupply central", NOT_REPORTED, site.om_central_url),
            )
        )
    return items
