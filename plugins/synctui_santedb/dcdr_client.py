"""The HTTP layer of the dCDR client: checked options, one request (re-login on 401), status checks, JSON decode.

Every transport failure or refused status becomes BackendError with one human line; secrets are scrubbed
from whatever the dCDR echoes back. The read side, Synchronize Now and the repair actions all go through
one `DcdrClient` that the backend holds.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl

import httpx

from synctui.backend import (
    AnswerTooLarge,
    BackendError,
    BackendSettings,
    config_error,
    read_limited,
    read_options,
)
from synctui.model import Category, Job, QueueKind, Rejection

from .auth import TokenCache
from .dialects import DIALECTS, Dialect
from .options import OPTIONS, parse_options
from .profiles import PROFILES, Profile
from .rejections import first_message_line
from .wire import LogRow, parse_fault
from .wire_fields import Where, decode_json
from .wire_openiz import parse_error

MAX_BODY = 32 * 1024 * 1024  # an answer bigger than this is refused: read no further, not parsed


class DcdrClient:
    """One dCDR: its options and profile, the login, the HTTP calls and the slow-changing answers cached."""

    def __init__(self, settings: BackendSettings, http: httpx.AsyncClient) -> None:
        self.settings = settings
        self.http = http
        self._config_error: BackendError | None = None
        self.options = self._read_options()
        self.profile: Profile = PROFILES.get(str(self.options["profile"]), PROFILES["santedb3"])
        self.base = (settings.url or "").rstrip("/")
        self.dialect: Dialect = DIALECTS[self.profile.name]
        self.auth = TokenCache(settings, self.request, self.profile)
        # (monotonic time fetched, answer) of the sync log and job list; see the "log_interval" option
        self.log_cache: tuple[float, list[LogRow]] | None = None
        self.oldest_cache: dict[QueueKind, tuple[int, datetime | None, float]] = {}
        self.jobs_cache: tuple[float, list[Job]] | None = None

    # --- configuration ----------------------------------------------------------------------------

    def _read_options(self) -> dict[str, Any]:
        """The checked options; a bad one is kept and raised by the first call (`_check_config`)."""
        try:
            return parse_options(self.settings)
        except BackendError as exc:
            self._config_error = exc
            return read_options(OPTIONS, {})

    def config(self, what: str) -> BackendError:
        """A mistake in the configuration or in what the user asked for (FIX_DATA, code CONFIG)."""
        return config_error(self.settings, what)

    def _check_config(self) -> None:
        if self._config_error:
            raise self._config_error
        if not re.match(r"^https?://[^/\s]+", self.base):
            raise self.config(f"url {self.settings.url!r} is not an http(s) address of a dCDR")

    @property
    def log_interval(self) -> float:
        return float(self.options["log_interval"])

    def forget_cache(self) -> None:
        self.oldest_cache.clear()
        self.log_cache = None
        self.jobs_cache = None

    # --- HTTP -------------------------------------------------------------------------------------

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        json_body: Any = None,
        data: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
        auth: bool = True,
        check: bool = True,
        query: str | None = None,
    ) -> httpx.Response:
        """One call to the dCDR; re-authenticates once on 401; transport failures → BackendError."""
        self._check_config()
        if params is not None and "?" in path:  # httpx replaces a URL's query with params: merge them
            path, _, own = path.partition("?")
            params = {**dict(parse_qsl(own, keep_blank_values=True)), **params}
        url = self.base + path + (f"?{query}" if query else "")
        for attempt in (1, 2):
            sent_headers = {"Accept": "application/json", **(headers or {})}
            if auth:
                sent_headers["Authorization"] = f"BEARER {await self.auth.token()}"
            try:
                response = await read_limited(
                    self.http,
                    method,
                    url,
                    MAX_BODY,
                    params=params,
                    json=json_body,
                    data=data,
                    headers=sent_headers,
                )
            except AnswerTooLarge:
                raise Where(self.base, path).fail(f"an answer larger than {MAX_BODY // 2**20} MB") from None
            except httpx.TimeoutException:
                raise self._unreachable(path, "did not answer in time") from None
            except httpx.ConnectError:
                raise self._unreachable(path, "refused the connection or could not be found") from None
            except (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError):
                raise self._unreachable(path, "dropped the connection before answering") from None
            except (httpx.HTTPError, httpx.InvalidURL, OSError, ValueError) as exc:
                raise self._unreachable(path, f"could not be reached ({type(exc).__name__})") from None
            if response.status_code == 401 and auth and attempt == 1:
                self.auth.invalidate()
                continue
            return self._checked(response, path) if check else response
        raise AssertionError("unreachable")  # pragma: no cover

    async def get_json(self, path: str, **kwargs: Any) -> tuple[Any, Where]:
        response = await self.request("GET", path, **kwargs)
        where = Where(self.base, path)
        return decode_json(response.content, where), where

    def _unreachable(self, path: str, what: str) -> BackendError:
        return BackendError(
            Rejection(
                category=Category.RETRYABLE,
                message=f"The dCDR at {self.base} {what} ({path})",
                advice="Check that the dCDR (SanteDB disconnected client or gateway) is running and that "
                "the URL is right; synctui will keep trying.",
                code="UNREACHABLE",
            )
        )

    def _checked(self, response: httpx.Response, path: str) -> httpx.Response:
        status = response.status_code
        if status < 300:
            return response
        detail = self._fault_text(response)
        suffix = f": {detail}" if detail else ""
        if status == 401:
            category, message, advice = (
                Category.AUTH,
                f"The dCDR at {self.base} refused the login for {path}{suffix}",
                "Check the user name and password in the synctui configuration.",
            )
        elif status == 403:
            category, message, advice = (
                Category.AUTH,
                f"The user '{self.settings.username}' may not use {path} on the dCDR{suffix}",
                "Ask an administrator to grant this user the permission (for actions: "
                "AccessClientAdministrativeFunction).",
            )
        elif status in (404, 410):
            category, message, advice = (
                Category.GONE,
                f"The dCDR at {self.base} has no {path} (HTTP {status}){suffix}",
                "It may have been processed or removed meanwhile; refresh and try again.",
            )
        elif status in (423, 429, 502, 503, 504):
            category, message, advice = (
                Category.RETRYABLE,
                f"The dCDR at {self.base} is busy or unavailable (HTTP {status} on {path}){suffix}",
                "Wait a moment; synctui will try again.",
            )
        elif status >= 500:
            category, message, advice = (
                Category.SERVER,
                f"The dCDR at {self.base} failed on {path} (HTTP {status}){suffix}",
                "Look at the dCDR's log; if it keeps failing, restart the dCDR.",
            )
        else:
            category, message, advice = (
                Category.UNKNOWN,
                f"The dCDR at {self.base} refused {path} (HTTP {status}){suffix}",
                "This synctui version may not match the dCDR's API; report it to support.",
            )
        raise BackendError(
            Rejection(
                category=category,
                message=self._scrub(message),
                advice=advice,
                status=status,
                code="HTTP_ERROR",
                raw=self._scrub(response.text[:4000]) if _is_text(response) else "",
            )
        )

    def _fault_text(self, response: httpx.Response) -> str | None:
        try:
            data = decode_json(response.content[:100_000], Where())
            return parse_error(data) or parse_fault(data)
        except BackendError:
            if _is_text(response) and "html" not in response.headers.get("content-type", ""):
                line = first_message_line(response.text[:2000])
                return line[:200] or None
            return None

    def _scrub(self, text: str) -> str:
        for secret in self.auth.secrets:
            text = text.replace(secret, "********")
        return text


def _is_text(response: httpx.Response) -> bool:
    content_type = response.headers.get("content-type", "")
    return content_type.startswith("text/") or "json" in content_type or "xml" in content_type
