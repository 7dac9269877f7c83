"""Where the suites reach a simulated backend, and the shared HTTP client they reach it with."""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from synctui.backend import BackendSettings


@dataclass
class Target:
    """Where a simulated backend is: `settings.url` is its base URL; with `transport` (an in-process
    app) the URL's host is only a name, without it the URL is reached over the network."""

    settings: BackendSettings
    transport: httpx.AsyncBaseTransport | None = None


def agent_client(settings: BackendSettings, transport: httpx.AsyncBaseTransport | None) -> httpx.AsyncClient:
    """The shared client as the agent builds it."""
    return httpx.AsyncClient(
        timeout=httpx.Timeout(settings.timeout), transport=transport, follow_redirects=False
    )
