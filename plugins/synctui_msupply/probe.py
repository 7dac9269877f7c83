"""Check connection: a read-only probe of the legacy central (v5 site, site_status; v3 count).

Only GETs of `/sync/v5/site`, `/sync/v5/site_status` and `/sync/v3/queued_records/count`: never
`initialise`, `acknowledged_records` or the POST of `queued_records`, which change central's queues,
and not the v5 GET of `queued_records` either (its side effects are unknown; reference §10).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

import httpx

from synctui.backend import BackendError
from synctui.model import Category, InfoItem, Rejection

from .options import MSupplyOptions
from .rejections import explain
from .site_client import CentralClient, shape_error
from .wire import ParseError, SiteStatusV5, SiteV5, parse_v3_count, parse_v5_site, parse_v5_site_status

SITE_PATH = "/sync/v5/site"
SITE_STATUS_PATH = "/sync/v5/site_status"
V3_COUNT_PATH = "/sync/v3/queued_records/count"

_CENTRAL_STATUS_TEXT = {
    "idle": "idle",
    "sync_is_running": "syncing this site",
    "integration_in_progress": "integrating this site's records",
    "initialisation_in_progress": "preparing this site's initialisation",
}


@dataclass
class CentralProbe:
    central_url: str
    checked_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    skipped: str | None = None  # why the central was not probed
    reachable: bool | None = None
    latency_ms: float | None = None
    auth_ok: bool | None = None
    site: SiteV5 | None = None
    site_status: SiteStatusV5 | None = None
    v3_count: int | None = None
    v3_note: str | None = None
    error: Rejection | None = None

    @property
    def role(self) -> str | None:
        if self.site is None:
            return None
        if self.site.is_om_central:
            return "Open mSupply central server"
        if self.site.central_site_id is not None and self.site.central_site_id == self.site.site_id:
            return "Primary (central) server: owns central data"
        return "Satellite (remote site): central data is read-only here"

    def verified(self) -> str:
        """What this probe established, and only that: reachability, latency, the credentials."""
        if self.reachable is None:
            return f"not reachable: {self.error.message}" if self.error else "not checked"
        if not self.reachable:
            said = f"not reachable: {self.error.message}" if self.error else "not reachable"
            return said  # nothing is known about the credentials then
        latency = f", {self.latency_ms:.0f} ms" if self.latency_ms is not None else ""
        credentials = {
            True: "site credentials accepted",
            False: "site credentials refused",
            None: "credentials not checked",
        }[self.auth_ok]
        said = f"reachable{latency}, {credentials}"
        if self.error is not None:
            said += f"; then: {self.error.message}"
        return said

    def info(self) -> list[InfoItem]:
        items = [InfoItem("central_url", "Central server URL", self.central_url or "not configured")]
        when = self.checked_at.strftime("%Y-%m-%d %H:%M:%S UTC")
        if self.skipped:
            items.append(InfoItem("central_probe", "Central check", f"skipped: {self.skipped}"))
            return items
        items.append(InfoItem("central_probe", "Central check", f"{self.verified()} ({when})"))
        if self.site is not None:
            site = self.site
            items += [
                InfoItem("site_id", "Site id", str(site.site_id)),
                InfoItem("central_site_name", "Site name on central", site.name),
                InfoItem(
                    "central_initialisation", "Initialisation (central)", site.initialisation_status or "?"
                ),
                InfoItem("role", "Role", self.role or "?"),
            ]
            if site.central_site_id is not None:
                items.append(InfoItem("central_site_id", "Central site id", str(site.central_site_id)))
            if site.om_central_url:
                items.append(InfoItem("om_central_url", "Open mSupply central URL", site.om_central_url))
        if self.site_status is not None:
            text = _CENTRAL_STATUS_TEXT.get(self.site_status.code, self.site_status.code)
            items.append(InfoItem("central_status", "Central status", text))
        if self.v3_count is not None:
            items.append(InfoItem("central_queue", "Waiting on central (v3 count)", str(self.v3_count)))
        elif self.v3_note:
            items.append(InfoItem("central_queue", "Waiting on central (v3 count)", self.v3_note))
        return items


async def probe_central(
    http: httpx.AsyncClient, central_url: str | None, site_name: str | None, options: MSupplyOptions
) -> CentralProbe:
    probe = CentralProbe(central_url=central_url or "")
    missing = [
        what
        for what, value in (
            ("the central URL", central_url),
            ("the site name", site_name),
            ("the site password", options.password_sha256()),
            ("this device's hardware_id", options.hardware_id),
        )
        if not value
    ]
    if missing:
        probe.skipped = "set " + ", ".join(missing) + " in the backend's options"
        if not options.hardware_id:
            probe.skipped += " (only the real id of this device: central binds a site to one hardware id)"
        return probe
    assert central_url and site_name
    client = CentralClient(http, central_url, site_name, options)
    try:
        answer = await client.get(SITE_PATH)
        probe.reachable = True
        probe.latency_ms = answer.latency_ms
        probe.site = parse_v5_site(answer.body)
        probe.auth_ok = True
        probe.site_status = parse_v5_site_status((await client.get(SITE_STATUS_PATH)).body)
    except BackendError as exc:
        probe.error = exc.rejection
        if probe.reachable is None:  # the first call failed; a later failure does not undo what it showed
            probe.reachable = exc.rejection.code not in ("CONNECTION_ERROR", "TIMEOUT", "TLS_ERROR")
        if probe.reachable and probe.auth_ok is None and exc.rejection.category == Category.AUTH:
            probe.auth_ok = False
        return probe
    except ParseError as exc:
        probe.error = shape_error(exc, f"The central server at {central_url}").rejection
        return probe
    if options.probe_v3:
        await _probe_v3(client, probe)
    return probe


async def _probe_v3(client: CentralClient, probe: CentralProbe) -> None:
    assert probe.site is not None
    params = {"from_site": probe.site.site_id}
    if probe.site.central_site_id is not None:
        params["to_site"] = probe.site.central_site_id
    try:
        probe.v3_count = parse_v3_count((await client.get(V3_COUNT_PATH, params, mobile=True)).body)
    except BackendError as exc:
        probe.v3_note = f"not available: {exc.rejection.message}"
    except ParseError as exc:
        probe.v3_note = f"not available: {explain(None, str(exc)).message} ({exc})"
