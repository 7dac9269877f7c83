"""HTTP to the site's GraphQL and to the legacy central server, with every failure made a Rejection."""

from __future__ import annotations

import base64
import json
import re
import time
from dataclasses import dataclass
from typing import Any

import httpx

from synctui.backend import AnswerTooLarge, BackendError, Secret, read_limited
from synctui.model import Category, Rejection

from . import queries
from .options import MSupplyOptions
from .rejections import explain
from .wire import GqlResponse, ParseError, parse_auth_token, parse_envelope, parse_v5_error

MAX_ANSWER = 32 * 1024 * 1024  # bytes of one answer (site or central); a larger one is not read further


def too_large(what: str) -> BackendError:
    return _rejection(
        Category.SERVER,
        f"{what} sent an answer larger than {MAX_ANSWER // 2**20} MB; synctui stopped reading it.",
        "Check that the URL points at the server itself, not a proxy or a download; report it if it "
        "keeps happening.",
        code="ANSWER_TOO_LARGE",
    )


def _rejection(category: Category, message: str, advice: str = "", **kw: Any) -> BackendError:
    return BackendError(Rejection(category=category, message=message, advice=advice, **kw))


def mid_sentence(what: str) -> str:
    """`what` ("The mSupply site at …") inside a sentence: "Cannot reach the mSupply site at …"."""
    return "the" + what[3:] if what.startswith("The ") else what


def transport_error(exc: Exception, what: str) -> BackendError:
    """A connection failure or timeout in plain words: never "Unknown"."""
    if isinstance(exc, httpx.TimeoutException):
        return _rejection(
            Category.RETRYABLE,
            f"{what} did not answer in time.",
            "The server or the network is slow or down; synctui keeps trying.",
            code="TIMEOUT",
            raw=f"{type(exc).__name__}: {exc}",
        )
    return _rejection(
        Category.RETRYABLE,
        f"Cannot reach {mid_sentence(what)}.",
        "Check that the server is running and the URL and network are right; synctui keeps trying.",
        code="CONNECTION_ERROR",
        raw=f"{type(exc).__name__}: {exc}",
    )


def shape_error(exc: ParseError, what: str, status: int | None = None) -> BackendError:
    return _rejection(
        Category.SERVER,
        f"{what} sent an answer of an unexpected shape.",
        "Check that the URL points at the right server and that its version is supported.",
        code="UNEXPECTED_RESPONSE",
        status=status,
        raw=str(exc),
    )


def decode_json(response: httpx.Response, what: str) -> Any:
    try:
        return json.loads(response.content)
    except (ValueError, UnicodeDecodeError) as exc:
        raise _rejection(
            Category.SERVER,
            f"{what} sent malformed JSON (HTTP {response.status_code}).",
            "Check that the URL points at the server itself, not a proxy or login page.",
            code="MALFORMED_RESPONSE",
            status=response.status_code,
            raw=response.text[:2000] if response.content else str(exc),
        ) from None


@dataclass
class Timed:
    body: Any
    status: int
    latency_ms: float


# RFC 6750's b64token: what an Authorization header can carry (a JWT is one)
TOKEN = re.compile(r"[A-Za-z0-9\-._~+/]+=*")


class SiteClient:
    """GraphQL of one Open mSupply site (`POST {url}/graphql`) with its authToken login."""

    def __init__(
        self, http: httpx.AsyncClient, url: str, username: str | None, secret: Secret | None
    ) -> None:
        self.http = http
        self.endpoint = url.rstrip("/") + "/graphql"
        self.username = username
        self.secret = secret
        self._token: str | None = None
        self.last_latency_ms: float | None = None

    @property
    def what(self) -> str:
        return f"The mSupply site at {self.endpoint}"

    async def post(
        self, query: str, variables: dict[str, Any] | None = None, auth: bool = True
    ) -> GqlResponse:
        headers = {"Authorization": f"Bearer {self._token}"} if auth and self._token else {}
        payload = {"query": query, "variables": variables or {}}
        started = time.perf_counter()
        try:
            response = await read_limited(
                self.http, "POST", self.endpoint, MAX_ANSWER, json=payload, headers=headers
            )
        except AnswerTooLarge:
            raise too_large(self.what) from None
        except (httpx.HTTPError, OSError, TimeoutError) as exc:
            raise transport_error(exc, self.what) from None
        self.last_latency_ms = (time.perf_counter() - started) * 1000
        if response.status_code in (401, 403):
            self._token = None
            raise _rejection(
                Category.AUTH,
                f"The mSupply site refused access (HTTP {response.status_code}).",
                "Check the user name and password of this backend.",
                status=response.status_code,
                code="UNAUTHENTICATED",
            )
        if response.status_code >= 500:
            raise _rejection(
                Category.SERVER,
                f"The mSupply site failed (HTTP {response.status_code}).",
                "The site's server had an internal error; synctui keeps trying.",
                status=response.status_code,
                code=f"HTTP_{response.status_code}",
                raw=response.text[:2000],
            )
        body = decode_json(response, self.what)
        try:
            return parse_envelope(body)
        except ParseError as exc:
            raise shape_error(exc, self.what, response.status_code) from None

    async def login(self) -> None:
        if not self.username or not self.secret:
            raise _rejection(
                Category.AUTH,
                "No user name or password is configured for this mSupply site.",
                "Set username and password (a site user) for this backend in the config.",
                code="NO_CREDENTIALS",
            )
        answer = await self.post(
            queries.AUTH_TOKEN, {"username": self.username, "password": self.secret.reveal()}, auth=False
        )
        try:
            if answer.data.get("authToken") is None:
                err = answer.error_for("authToken")
                raise ParseError(f"authToken: {err.message if err else 'no answer'}")
            result = parse_auth_token(answer.data["authToken"])
        except ParseError as exc:
            raise shape_error(exc, self.what) from None
        if result.token and not TOKEN.fullmatch(result.token):
            raise shape_error(
                ParseError("authToken: not a bearer token (characters a header cannot carry)"), self.what
            )
        if result.error or not result.token:
            raise _rejection(
                Category.AUTH,
                "The mSupply site rejected the user name or password.",
                "Check the user name and password of this backend (a user of the site).",
                code="INVALID_CREDENTIALS",
                raw=result.error or "",
            )
        self._token = result.token

    async def query(self, query: str, variables: dict[str, Any] | None = None) -> GqlResponse:
        """An authenticated call; logs in when there is no token and once more when it expired."""
        if self._token is None:
            await self.login()
        answer = await self.post(query, variables)
        if any(err.unauthenticated for err in answer.errors):
            self._token = None
            await self.login()
            answer = await self.post(query, variables)
            if any(err.unauthenticated for err in answer.errors):
                raise _rejection(
                    Category.AUTH,
                    "The mSupply site does not accept this backend's login.",
                    "Check the user name and password of this backend.",
                    code="UNAUTHENTICATED",
                )
        return answer


class CentralClient:
    """Read-only calls of the legacy central: v5 `site`, `site_status` and v3 `queued_records/count`.

    There is deliberately no method for `initialise`, `acknowledged_records` or the POST of
    `queued_records`: they change central's queues (reference §10).
    """

    def __init__(self, http: httpx.AsyncClient, url: str, site_name: str, options: MSupplyOptions) -> None:
        self.http = http
        self.base = url.rstrip("/")
        self.site_name = site_name
        self.options = options

    def _headers(self, mobile: bool = False) -> dict[str, str]:
        sha = self.options.password_sha256() or ""
        token = base64.b64encode(f"{self.site_name}:{sha}".encode()).decode()
        headers = {"Authorization": f"Basic {token}", "msupply-site-uuid": self.options.hardware_id or ""}
        if mobile:
            headers["mobile-version"] = self.options.mobile_version
        else:
            headers.update(
                {
                    "app-version": self.options.app_version,
                    "app-name": self.options.app_name,
                    "version": str(self.options.sync_version),
                }
            )
        return headers

    async def get(self, path: str, params: dict[str, Any] | None = None, mobile: bool = False) -> Timed:
        url = f"{self.base}{path}"
        what = f"The central server at {self.base}"
        started = time.perf_counter()
        try:
            response = await read_limited(
                self.http, "GET", url, MAX_ANSWER, params=params, headers=self._headers(mobile)
            )
        except AnswerTooLarge:
            raise too_large(what) from None
        except httpx.InvalidURL as exc:
            shown = self.base if len(self.base) <= 80 else self.base[:80] + "…"
            raise _rejection(
                Category.UNKNOWN,
                f"The central server URL the site reports is not a usable URL ({exc}): {shown!r}",
                "Check the central server URL in the site's sync settings (Open mSupply, as its administrator).",
                code="BAD_CENTRAL_URL",
            ) from None
        except (httpx.HTTPError, OSError, TimeoutError) as exc:
            raise transport_error(exc, what) from None
        latency = (time.perf_counter() - started) * 1000
        body: Any = None
        if response.content:
            try:
                body = json.loads(response.content)
            except (ValueError, UnicodeDecodeError):
                body = None
        v5_error = parse_v5_error(body)
        if v5_error is not None:
            raise BackendError(explain(v5_error.code, _v5_raw(v5_error), status=response.status_code))
        if isinstance(body, dict) and isinstance(body.get("error"), str):  # v3 text error
            raise BackendError(explain(None, body["error"], status=response.status_code))
        if response.status_code >= 400:
            category = Category.AUTH if response.status_code in (401, 403) else Category.SERVER
            if response.status_code == 404:
                category = Category.GONE
            raise _rejection(
                category,
                f"{what} answered HTTP {response.status_code} to {path}.",
                "Check the central server URL and the site credentials.",
                status=response.status_code,
                code=f"HTTP_{response.status_code}",
                raw=response.text[:2000],
            )
        if body is None:
            decode_json(response, what)  # raises the malformed-JSON rejection
        return Timed(body=body, status=response.status_code, latency_ms=latency)


def _v5_raw(err: Any) -> str:
    data = f" data={json.dumps(err.data)}" if err.data is not None else ""
    return f"{err.code}: {err.message}{data}"
