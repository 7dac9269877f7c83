"""The HTTP client of one backend: its connection kept from one refresh to the next, safely.

httpx drops an idle connection after 5 s, the default refresh interval, so every refresh connected
again. Kept longer, a connection may be closed by the server's own idle timeout at the moment the next
refresh sends on it (Open mSupply's actix-web closes after 5 s, the default interval): the request then
meets a closed socket and fails with no answer at all. A request whose method is idempotent (a read, a
PUT, a DELETE), sent on a kept connection and answered with nothing, is sent once more on a new one, as
browsers do. Others (POST) are not: a server that took one and then died unanswered must not get it
twice; their refresh fails and is tried again a second later.
"""

from __future__ import annotations

from typing import Any

from synctui._httpx import httpx
from synctui.backend import BackendSettings

# Idle connections are kept for the refresh interval plus a refresh's own time and the timer's jitter,
# but never past a minute, after which a mobile carrier's NAT may have dropped one without a word.
KEEPALIVE_SPARE = 5.0
KEEPALIVE_LONGEST = 60.0
CONNECTING = ("connection.connect_tcp.", "connection.connect_unix_socket.")
IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})


def keepalive_expiry(refresh_interval: float) -> float:
    """Seconds an idle backend connection is kept for reuse by the next refresh."""
    return min(refresh_interval + KEEPALIVE_SPARE, KEEPALIVE_LONGEST)


class ResendOnClosedIdle(httpx.AsyncBaseTransport):
    """Sends an idempotent request again, once, on a new connection when it went out on a kept
    connection and failed without a byte of answer (the server closed that connection as it was
    reused)."""

    def __init__(self, transport: httpx.AsyncBaseTransport) -> None:
        self.transport = transport

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.method not in IDEMPOTENT:
            return await self.transport.handle_async_request(request)
        connected = False
        outer = request.extensions.get("trace")

        async def trace(event: str, info: dict[str, Any]) -> None:
            nonlocal connected
            connected = connected or event.startswith(CONNECTING)
            if outer is not None:
                await outer(event, info)

        extensions = request.extensions
        request.extensions = {**extensions, "trace": trace}
        try:
            return await self.transport.handle_async_request(request)
        except (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError):
            if connected:
                raise  # a new connection failed: that is the server's answer, not a stale connection
        finally:
            request.extensions = extensions
        return await self.transport.handle_async_request(request)

    async def aclose(self) -> None:
        await self.transport.aclose()


def backend_client(
    settings: BackendSettings, transport: httpx.AsyncBaseTransport | None
) -> httpx.AsyncClient:
    """The client an adapter gets; `transport` (a demo's in-process backend) replaces the network."""
    if transport is None:
        transport = ResendOnClosedIdle(
            httpx.AsyncHTTPTransport(
                # Plain-HTTP backends (a dCDR on loopback) never use TLS: no CA bundle (~1 MiB, ~20 ms).
                verify=not settings.url.startswith("http://"),
                limits=httpx.Limits(keepalive_expiry=keepalive_expiry(settings.refresh_interval)),
            )
        )
    return httpx.AsyncClient(
        timeout=httpx.Timeout(settings.timeout), transport=transport, follow_redirects=False
    )
