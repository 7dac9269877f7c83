"""What every API module shares: the agent, the bearer check, error answers and request parsing."""

from __future__ import annotations

import hmac
import json
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from synctui.agent.backend_service import ActionRefused, BackendService
from synctui.agent.core import Agent
from synctui.agent.guard import Refused
from synctui.backend import BackendError
from synctui.model import QueueKind, to_data

MAX_PAGE = 500
Handler = Callable[[Request], Awaitable[Response]]


class ApiError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class SafeJSONResponse(JSONResponse):
    """JSON whose text may hold lone surrogates (from a backend, kept in the audit log): they are
    escaped instead of failing the answer with a 500."""

    def render(self, content: Any) -> bytes:
        text = json.dumps(content, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
        return text.encode("utf-8", "backslashreplace")


def json_response(data: Any, status: int = 200) -> Response:
    return SafeJSONResponse(to_data(data), status_code=status)


class Api:
    def __init__(self, agent: Agent, token: str | None) -> None:
        self.agent = agent
        self.token = token

    def route(self, path: str, fn: Handler, methods: list[str] | None = None) -> Route:
        return Route(path, self._guarded(fn), methods=methods)

    def _guarded(self, fn: Handler) -> Handler:
        token = self.token

        async def wrapped(request: Request) -> Response:
            if token is not None:
                given = request.headers.get("authorization", "")
                if not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
                    return JSONResponse(
                        {"error": "missing or wrong bearer token"},
                        status_code=401,
                        headers={"WWW-Authenticate": 'Bearer realm="synctui"'},
                    )
            try:
                return await fn(request)
            except ApiError as exc:
                return JSONResponse({"error": exc.message}, status_code=exc.status)
            except (ActionRefused, Refused) as exc:
                return JSONResponse({"error": str(exc)}, status_code=exc.status)
            except BackendError as exc:
                return JSONResponse(
                    {"error": exc.rejection.message, "rejection": to_data(exc.rejection)}, status_code=502
                )

        return wrapped

    # --- request parts ------------------------------------------------------------------------------

    def service(self, request: Request) -> BackendService:
        name = request.path_params["name"]
        service = self.agent.service(name)
        if service is None:
            raise ApiError(404, f"no backend named {name!r}")
        return service

    @staticmethod
    def queue(raw: str, status: int = 404) -> QueueKind:
        try:
            return QueueKind(raw)
        except ValueError:
            raise ApiError(status, f"no queue {raw!r} (queues: outbox, inbox, admin, conflicts)") from None

    @staticmethod
    def int_param(request: Request, key: str, default: int, low: int, high: int) -> int:
        raw = request.query_params.get(key)
        if raw is None:
            return default
        try:
            value = int(raw)
        except ValueError:
            raise ApiError(400, f"{key} must be a whole number, got {raw!r}") from None
        if not low <= value <= high:
            raise ApiError(400, f"{key} must be between {low} and {high}")
        return value

    @staticmethod
    async def body(request: Request) -> dict[str, Any]:
        try:
            body = await request.json()
        except (ValueError, RecursionError):
            raise ApiError(400, "the request body must be a JSON object") from None
        if not isinstance(body, dict):
            raise ApiError(400, "the request body must be a JSON object")
        return body

    @staticmethod
    def id_list(body: dict[str, Any], key: str, *, allow_all: bool) -> list[str] | None:
        if allow_all and body.get("all") is True:
            return None
        ids = body.get(key)
        if not isinstance(ids, list) or not ids or not all(isinstance(i, str) and i for i in ids):
            extra = ' or {"all": true}' if allow_all else ""
            raise ApiError(400, f'give "{key}": a non-empty list of strings{extra}')
        if len(ids) > MAX_PAGE:
            raise ApiError(400, f"at most {MAX_PAGE} {key} at once")
        return ids

    @staticmethod
    def change_headers(request: Request) -> dict[str, str | None]:
        return {"pin": request.headers.get("x-synctui-pin"), "key": request.headers.get("idempotency-key")}
