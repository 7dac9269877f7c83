"""OAuth password grant against the dCDR's /auth/oauth2_token, with a cached bearer token."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

import httpx

from synctui.backend import BackendError, BackendSettings
from synctui.model import Category, Rejection

from .profiles import SANTEDB3, Profile
from .wire import parse_oauth_error, parse_state, parse_token
from .wire_fields import Where, decode_json

TOKEN_PATH = SANTEDB3.token
DEFAULT_CLIENT_ID = "synctui"
EARLY_REFRESH = 30.0  # seconds before expiry when a token is renewed

Transport = Callable[..., Awaitable[httpx.Response]]


def auth_failed(
    message: str, advice: str, status: int | None = None, code: str | None = None
) -> BackendError:
    return BackendError(
        Rejection(category=Category.AUTH, message=message, advice=advice, status=status, code=code)
    )


class TokenCache:
    """Logs in on first use, keeps the token until it expires or the dCDR answers 401."""

    def __init__(self, settings: BackendSettings, send: Transport, profile: Profile = SANTEDB3) -> None:
        self.settings = settings
        self._send = send  # adapter's request function with auth=False
        self._profile = profile
        self._token: str | None = None
        self._expires: float | None = None
        self._client_id: str | None = settings.options.get("client_id") or None
        self._lock = asyncio.Lock()

    @property
    def secrets(self) -> list[str]:
        """Values that must never appear in a message."""
        values = [self._token or ""]
        if self.settings.secret:
            values.append(self.settings.secret.reveal())
        return [v for v in values if len(v) >= 4]

    def invalidate(self) -> None:
        self._token = None
        self._expires = None

    async def token(self) -> str:
        async with self._lock:
            if self._token and (self._expires is None or time.monotonic() < self._expires):
                return self._token
            self._token = None
            token, expires_in = await self._login()
            self._token = token
            self._expires = time.monotonic() + max(expires_in - EARLY_REFRESH, 1.0) if expires_in else None
            return token

    async def fresh_token(self) -> str:
        """Log in now, even with a token cached: what Check connection needs to say that the dCDR
        accepts the credentials (a cached token proves nothing about this moment)."""
        async with self._lock:
            token, expires_in = await self._login()
            self._token = token
            self._expires = time.monotonic() + max(expires_in - EARLY_REFRESH, 1.0) if expires_in else None
            return token

    async def client_id(self) -> str:
        """The dCDR's own client name: configured, else from /app/State?_full=true, else a default."""
        if self._client_id:
            return self._client_id
        if self._profile.state is None:  # 2.x and OpenIZ have no state endpoint to ask
            self._client_id = DEFAULT_CLIENT_ID
            return self._client_id
        try:
            response = await self._send("GET", self._profile.state, params={"_full": "true"}, auth=False)
            state = parse_state(decode_json(response.content, Where()), Where())
            self._client_id = state.client_id or DEFAULT_CLIENT_ID
        except BackendError as exc:
            if exc.rejection.category == Category.RETRYABLE:
                raise  # unreachable: logging in would fail the same way
            self._client_id = DEFAULT_CLIENT_ID
        return self._client_id

    async def _login(self) -> tuple[str, float | None]:
        username = self.settings.username
        if not username or not self.settings.secret:
            raise auth_failed(
                f"No user name or password is configured for {self.settings.name}",
                "Set username and password for this backend in the synctui configuration.",
            )
        form = {"grant_type": "password", "username": username, "password": self.settings.secret.reveal()}
        if self._profile.token_client_fields:
            form |= {"client_id": await self.client_id(), "scope": "*"}
        path = self._profile.token
        response = await self._send("POST", path, data=form, auth=False, check=False)
        where = Where(self.settings.url, path)
        if response.status_code in (400, 401, 403):
            try:
                detail = parse_oauth_error(decode_json(response.content, where))
            except BackendError:
                detail = None
            suffix = f" ({self._scrub(detail)})" if detail else ""
            raise auth_failed(
                f"The dCDR at {self.settings.url} did not accept the user name or password "
                f"for '{username}'{suffix}",
                "Check the user name and password in the synctui configuration; the user must be "
                "able to log in on the device itself.",
                status=response.status_code,
                code="INVALID_GRANT",
            )
        if response.status_code >= 300:
            raise BackendError(
                Rejection(
                    category=Category.SERVER if response.status_code >= 500 else Category.UNKNOWN,
                    message=f"The dCDR at {self.settings.url} could not log in: it answered "
                    f"{path} with HTTP {response.status_code}",
                    advice="Check that the dCDR is running and fully started, then try again.",
                    status=response.status_code,
                )
            )
        token = parse_token(decode_json(response.content, where), where)
        return token.access_token, token.expires_in

    def _scrub(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, "********")
        return text
