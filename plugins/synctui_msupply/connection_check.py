"""Check connection on an Open mSupply site: the site's reachability and login, then the read-only probe
of the legacy central server (v5 site/site_status, v3 count), judged together."""

from __future__ import annotations

from synctui.backend import BackendError
from synctui.model import Category, Health, Rejection

from .site_state import SiteState


async def check_connection(state: SiteState) -> Health:
    """`auth_ok` is True only when what was asked in this probe accepted the credentials: the site's
    login (when the site is initialised) and central's v5 `site` call (when it was probed). False
    when either refused them, None when that was not learnt (unreachable, not configured, skipped)."""
    try:
        await state.initialisation()
    except BackendError as exc:
        return Health(online=False, auth_ok=None, error=exc.rejection)
    site_latency = state.site.last_latency_ms
    site_auth: bool | None = None
    error: Rejection | None = None
    if state.initialised:
        try:
            await state.site.login()
            site_auth = True
        except BackendError as exc:
            refused = exc.rejection.code in ("INVALID_CREDENTIALS", "UNAUTHENTICATED")
            site_auth = False if refused else None
            error = exc.rejection
        if site_auth:
            try:
                await state.current_settings()
            except BackendError as exc:  # e.g. not a ServerAdmin: the login itself was accepted
                error = exc.rejection
    probe = await state.probe_central()
    if probe.skipped:  # the site's login says nothing about the sync credentials central checks
        return Health(
            online=True,
            latency_ms=site_latency,
            auth_ok=False if site_auth is False else None,
            error=error or _not_probed(probe.skipped, site_auth),
        )
    auth_ok: bool | None = None
    if site_auth is False or probe.auth_ok is False:
        auth_ok = False
    elif probe.auth_ok is True and (site_auth is True or not state.initialised):
        auth_ok = True
    return Health(
        online=bool(probe.reachable),
        latency_ms=probe.latency_ms if probe.latency_ms is not None else site_latency,
        auth_ok=auth_ok,
        error=probe.error or error,
    )


def _not_probed(why: str, site_auth: bool | None) -> Rejection:
    login = "The site accepted synctui's login; " if site_auth else ""
    return Rejection(
        Category.FIX_DATA,
        f"{login}the central server was not probed, so the site's sync credentials are not verified.",
        advice=f"To check them, {why}.",
        code="CENTRAL_NOT_PROBED",
    )
