"""The simulator's test controls under `/__sim/` (not SanteDB; never faulted, no auth, on every profile)."""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from .queue_model import SimulatorError

if TYPE_CHECKING:
    from .faults import Faults
    from .state import SimulatorState
    from .traffic import Traffic


class SimControls:
    """Mixin of SimulatorApp: the `/__sim/*` handlers."""

    state: SimulatorState
    faults: Faults
    traffic: Traffic | None

    async def sim_state(self, request: Request, match: re.Match[str]) -> Response:
        dump = self.state.dump()
        dump["faults"] = self.faults.describe()
        return JSONResponse(dump)

    async def sim_faults(self, request: Request, match: re.Match[str]) -> Response:
        body = await _json_body(request)
        try:
            self.faults.configure(body.get("rate"), body.get("kinds"), body.get("timeoutDelay"))
        except (TypeError, ValueError) as exc:
            raise SimulatorError(400, "ArgumentException", str(exc)) from exc
        return JSONResponse(self.faults.describe())

    async def sim_online(self, request: Request, match: re.Match[str]) -> Response:
        body = await _json_body(request)
        self.state.online = bool(body.get("online", True))
        self.state.changed()
        return JSONResponse({"online": self.state.online})

    async def sim_enqueue(self, request: Request, match: re.Match[str]) -> Response:
        body = await _json_body(request)
        type_ = str(body.get("resourceType", "Patient"))
        operation = str(body.get("operation", "Insert"))
        fate = body.get("fate")
        if fate is not None and fate not in (409, 422, 500, 404, 410):
            raise SimulatorError(
                400, "ArgumentException", "fate must be null or one of 409, 422, 500, 404, 410"
            )
        obj = self.state.new_record(type_)
        self.state.record_local_change(obj, operation)
        payload = obj if body.get("bare") else {"$type": "Bundle", "resource": [obj], "focal": [obj["id"]]}
        queue = str(body.get("queue", "out"))
        entry = self.state.enqueue(
            queue, type_ if body.get("bare") else "Bundle", operation, payload, fate=fate
        )
        return JSONResponse(entry.to_json(), status_code=201)

    async def sim_tick(self, request: Request, match: re.Match[str]) -> Response:
        from .traffic import Traffic

        body = await _json_body(request)
        traffic = self.traffic or Traffic(self.state)
        steps = int(body.get("steps", 1))
        for _ in range(max(0, min(steps, 1000))):
            traffic.step()
        if body.get("sync"):
            self.state.runner.start(self.state.job(UPSTREAM).id, ["All", True])
            await self.state.runner.wait(UPSTREAM)
        return JSONResponse(self.state.counts())


UPSTREAM = "e511689a-98e1-47cd-8933-6a8cef8ae014"


async def _json_body(request: Request) -> dict[str, Any]:
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except ValueError as exc:
        raise SimulatorError(400, "ArgumentException", "body is not JSON") from exc
    if not isinstance(body, dict):
        raise SimulatorError(400, "ArgumentException", "body must be a JSON object")
    return body
