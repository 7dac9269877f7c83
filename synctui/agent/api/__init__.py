"""The agent's HTTP API (ASGI, served by uvicorn on a Unix socket), one module per resource.

state.py    GET /healthz, /v1/state, /v1/events (SSE), /v1/plugins, /metrics; POST /v1/refresh
queues.py   GET /v1/backends/{name}/queues/{queue}[/{id}], /v1/backends/{name}/compare/{queue}/{id}
actions.py  POST /v1/backends/{name}/synchronize | retry | discard | reset | resubmit | count-remotes |
            check-connection | refresh | actions/{id}/cancel; GET|POST /v1/backends/{name}/settings
records.py  GET /v1/audit, /v1/archive[/{id}]; POST /v1/archive/{id}/restore

Changes take headers `Idempotency-Key` (the same request again gets the first answer; another request
under the same key gets 409) and `X-Synctui-Pin`. With a token, every route needs `Authorization:
Bearer TOKEN`.
"""

from __future__ import annotations

from starlette.applications import Starlette

from synctui.agent.api import actions, queues, records, state
from synctui.agent.api.common import Api
from synctui.agent.core import Agent


def create_api(agent: Agent, *, token: str | None = None) -> Starlette:
    api = Api(agent, token)
    routes = [*state.routes(api), *queues.routes(api), *actions.routes(api), *records.routes(api)]
    return Starlette(routes=routes)
