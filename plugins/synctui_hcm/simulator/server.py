"""A DIGIT-like health-services server: bulk endpoints that answer 202 and persist later, searches by
clientReferenceId, single-record routes with synchronous errors, and the server-side validations that
produce DUPLICATE_ENTITY, MISMATCHED_ROW_VERSION, NON_EXISTENT_ENTITY and TENANT_ID_INVALID.

As on the real server, errors found while persisting a bulk call reach only the tracer (`tracer`,
GET /simulator/state), never the device.
"""

from __future__ import annotations

import asyncio
import copy
import json
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ..wire import DEFAULT_WIRES, EntityWire


@dataclass
class SimConfig:
    tenant_id: str = "default"
    token: str | None = "sim-token"  # None: any token is accepted
    persist_delay: float = 0.5  # seconds between the 202 and the record being searchable
    fault_rate: float = 0.0  # fraction of API calls that fail (see faults.py)
    fault_kinds: tuple[str, ...] = ("reset", "timeout", "500", "malformed", "wrong_types")
    seed: int | None = None
    hang_seconds: float = 0.0  # >0 when served over a socket: a "timeout" really hangs
    fault_phase: str = "random"  # "before" the server acts, "after" it (answer lost), or "random"


def _error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse(
        {
            "ResponseInfo": None,
            "Errors": [{"code": code, "message": message, "description": message, "params": None}],
        },
        status_code=status,
    )


def _response_info(request: Request) -> dict[str, Any]:
    return {
        "apiId": request.url.path,
        "ver": "v1",
        "ts": int(time.time() * 1000),
        "resMsgId": "uief87324",
        "msgId": None,
        "status": "successful",
    }


_CHILDREN = ("address", "identifiers", "resources", "memberRelationships")


def _enrich_children(entity: dict[str, Any]) -> None:
    for key in _CHILDREN:
        value = entity.get(key)
        children = value if isinstance(value, list) else [value] if isinstance(value, dict) else []
        for child in children:
            if isinstance(child, dict) and not child.get("id"):
                child["id"] = str(uuid.uuid4())


class SimServer:
    def __init__(self, config: SimConfig | None = None, wires: dict[str, EntityWire] | None = None) -> None:
        self.config = config or SimConfig()
        self.wires = wires or DEFAULT_WIRES
        self.store: dict[str, dict[str, dict[str, Any]]] = {t: {} for t in self.wires}
        self.by_id: dict[str, tuple[str, str]] = {}
        self.creates_applied: Counter[tuple[str, str]] = Counter()
        self.tracer: list[dict[str, Any]] = []
        self.calls: Counter[str] = Counter()
        self.call_log: list[str] = []  # endpoint names in call order (bounded)
        self._pending: set[asyncio.Task[None]] = set()
        self.app = self._build_app()

    # --- state ------------------------------------------------------------------------------------

    def reset(self) -> None:
        for table in self.store.values():
            table.clear()
        self.by_id.clear()
        self.creates_applied.clear()
        self.tracer.clear()
        self.calls.clear()
        self.call_log.clear()

    def _count(self, name: str) -> None:
        self.calls[name] += 1
        if len(self.call_log) < 100_000:
            self.call_log.append(name)

    def tracer_codes(self) -> Counter[str]:
        return Counter(e["errorCode"] for e in self.tracer)

    def state(self) -> dict[str, Any]:
        return {
            "entities": {t: len(v) for t, v in self.store.items() if v},
            "max_creates_per_record": max(self.creates_applied.values(), default=0),
            "tracer_codes": dict(self.tracer_codes()),
            "tracer": self.tracer[-100:],
            "calls": dict(self.calls),
            "pending_persistence": len(self._pending),
        }

    async def drain(self) -> None:
        """Wait until everything accepted has been persisted (tests)."""
        while self._pending:
            await asyncio.gather(*list(self._pending), return_exceptions=True)

    def _later(self, apply: Any) -> None:
        async def job() -> None:
            if self.config.persist_delay:
                await asyncio.sleep(self.config.persist_delay)
            apply()

        task = asyncio.get_running_loop().create_task(job())
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    def _trace(self, wire: EntityWire, path: str, code: str, entity: Any, message: str) -> None:
        self.tracer.append(
            {
                "apiDetails": {"url": path, "requestBody": json.dumps(entity)[:2000]},
                "entityType": wire.entity_type,
                "clientReferenceId": entity.get("clientReferenceId") if isinstance(entity, dict) else None,
                "errorCode": code,
                "errorMessage": message,
                "type": "NON_RECOVERABLE",
                "at": time.time(),
            }
        )

    # --- persistence (the bulk consumer) ----------------------------------------------------------

    def _validate_create(self, wire: EntityWire, entity: Any) -> tuple[str, str] | None:
        if not isinstance(entity, dict):
            return ("INVALID_ENTITY", "entity is not an object")
        cref = entity.get("clientReferenceId")
        if not isinstance(cref, str) or not 2 <= len(cref) <= 64:
            return ("INVALID_ENTITY", "clientReferenceId must be 2-64 characters")
        if entity.get("tenantId") != self.config.tenant_id:
            return ("TENANT_ID_INVALID", f"tenantId {entity.get('tenantId')!r} is not valid")
        if cref in self.store[wire.entity_type]:
            return ("DUPLICATE_ENTITY", f"{wire.entity_type} {cref} already exists")
        return None

    def _apply_create(self, wire: EntityWire, entity: dict[str, Any]) -> dict[str, Any]:
        stored = copy.deepcopy(entity)
        stored["id"] = f"{wire.entity_type[:4].upper()}-{uuid.uuid4().hex[:12]}"
        stored["rowVersion"] = 1
        stored["isDeleted"] = False
        now = int(time.time() * 1000)
        stored["auditDetails"] = {
            "createdBy": "sim",
            "lastModifiedBy": "sim",
            "createdTime": now,
            "lastModifiedTime": now,
        }
        _enrich_children(stored)
        cref = stored["clientReferenceId"]
        self.store[wire.entity_type][cref] = stored
        self.by_id[stored["id"]] = (wire.entity_type, cref)
        self.creates_applied[(wire.entity_type, cref)] += 1
        return stored

    def _validate_change(self, wire: EntityWire, entity: Any) -> tuple[str, str] | None:
        if not isinstance(entity, dict):
            return ("INVALID_ENTITY", "entity is not an object")
        if not entity.get("id"):
            return ("NULL_ID", "id is required")
        found = self.by_id.get(entity["id"])
        if found is None or found[0] != wire.entity_type:
            return ("NON_EXISTENT_ENTITY", f"{wire.entity_type} {entity['id']} does not exist")
        stored = self.store[wire.entity_type][found[1]]
        if entity.get("rowVersion") != stored["rowVersion"]:
            return (
                "MISMATCHED_ROW_VERSION",
                f"rowVersion {entity.get('rowVersion')} != {stored['rowVersion']}",
            )
        return None

    def _apply_change(self, wire: EntityWire, entity: dict[str, Any], delete: bool) -> dict[str, Any]:
        etype, cref = self.by_id[entity["id"]]
        stored = self.store[etype][cref]
        if delete:
            stored["isDeleted"] = True
        else:
            keep = {"id": stored["id"], "clientReferenceId": cref, "isDeleted": stored["isDeleted"]}
            stored.update(copy.deepcopy(entity))
            stored.update(keep)
            _enrich_children(stored)
        stored["rowVersion"] = stored["rowVersion"] + 1
        stored.setdefault("auditDetails", {})["lastModifiedTime"] = int(time.time() * 1000)
        return stored

    def _persist(self, wire: EntityWire, verb: str, path: str, entities: list[Any]) -> None:
        for entity in entities:
            check = (
                self._validate_create(wire, entity)
                if verb == "create"
                else self._validate_change(wire, entity)
            )
            if check is not None:
                self._trace(wire, path, check[0], entity, check[1])
            elif verb == "create":
                self._apply_create(wire, entity)
            else:
                self._apply_change(wire, entity, delete=verb == "delete")

    # --- endpoints ----------------------------------------------------------------------------------

    async def _envelope(self, request: Request, call: str) -> dict[str, Any] | Response:
        """Count the call, then check its body: JSON, a RequestInfo, the token, a tenantId."""
        self._count(call)
        try:
            body = json.loads(await request.body())
        except ValueError:
            return _error(400, "INVALID_REQUEST", "the body is not JSON")
        if not isinstance(body, dict) or not isinstance(body.get("RequestInfo"), dict):
            return _error(400, "INVALID_REQUEST", "RequestInfo is required")
        token = self.config.token
        if token is not None and body["RequestInfo"].get("authToken") != token:
            return _error(401, "InvalidAccessTokenException", "Invalid access token")
        if not request.query_params.get("tenantId"):
            return _error(400, "INVALID_REQUEST", "tenantId is required")
        return body

    def _build_app(self) -> Starlette:
        routes = [
            Route("/simulator/state", self._state_endpoint, methods=["GET"]),
            Route("/simulator/reset", self._reset_endpoint, methods=["POST"]),
            Route("/simulator/faults", self._faults_endpoint, methods=["POST"]),
            Route("/project/check/bandwidth", self._bandwidth, methods=["POST", "GET"]),
        ]
        for wire in self.wires.values():
            for verb in ("create", "update", "delete"):
                routes.append(Route(f"{wire.base}/bulk/_{verb}", self._bulk(wire, verb), methods=["POST"]))
                routes.append(Route(f"{wire.base}/_{verb}", self._single(wire, verb), methods=["POST"]))
            routes.append(Route(wire.search_path, self._search(wire), methods=["POST"]))
        return Starlette(routes=routes)

    def _bulk(self, wire: EntityWire, verb: str) -> Any:
        async def endpoint(request: Request) -> Response:
            body = await self._envelope(request, f"{wire.entity_type}.bulk_{verb}")
            if isinstance(body, Response):
                return body
            entities = body.get(wire.list_key)
            if not isinstance(entities, list) or not entities:
                return _error(400, "INVALID_REQUEST", f"{wire.list_key} must be a non-empty list")
            if verb != "create" and body.get("apiOperation") not in (None, verb.upper()):
                return _error(400, "INVALID_REQUEST", f"apiOperation must be {verb.upper()}")
            path = request.url.path
            self._later(lambda: self._persist(wire, verb, path, entities))
            return JSONResponse(_response_info(request), status_code=202)

        return endpoint

    def _single(self, wire: EntityWire, verb: str) -> Any:
        async def endpoint(request: Request) -> Response:
            body = await self._envelope(request, f"{wire.entity_type}.{verb}")
            if isinstance(body, Response):
                return body
            entity = body.get(wire.search_key)
            check = (
                self._validate_create(wire, entity)
                if verb == "create"
                else self._validate_change(wire, entity)
            )
            if check is not None:
                return _error(400, check[0], check[1])
            path = request.url.path
            self._later(lambda: self._persist(wire, verb, path, [entity]))
            return JSONResponse(
                {"ResponseInfo": _response_info(request), wire.search_key: entity}, status_code=202
            )

        return endpoint

    def _search(self, wire: EntityWire) -> Any:
        async def endpoint(request: Request) -> Response:
            body = await self._envelope(request, f"{wire.entity_type}.search")
            if isinstance(body, Response):
                return body
            try:
                limit = int(request.query_params["limit"])
                offset = int(request.query_params["offset"])
            except (KeyError, ValueError):
                return _error(400, "INVALID_REQUEST", "limit and offset are required")
            criteria = body.get(wire.search_key)
            if not isinstance(criteria, dict):
                return _error(400, "INVALID_REQUEST", f"{wire.search_key} criteria are required")
            include_deleted = request.query_params.get("includeDeleted", "false").lower() == "true"
            crefs = criteria.get("clientReferenceId") or []
            ids = criteria.get("id") or []
            if not isinstance(crefs, list) or not isinstance(ids, list):
                return _error(400, "INVALID_REQUEST", "clientReferenceId and id must be lists")
            table = self.store[wire.entity_type]
            hits = [table[c] for c in crefs if isinstance(c, str) and c in table]
            hits += [table[self.by_id[i][1]] for i in ids if isinstance(i, str) and i in self.by_id]
            if not include_deleted:
                hits = [h for h in hits if not h.get("isDeleted")]
            page = hits[offset : offset + min(limit, 200)]
            return JSONResponse(
                {"ResponseInfo": _response_info(request), wire.response_key: page, "TotalCount": len(hits)}
            )

        return endpoint

    async def _state_endpoint(self, request: Request) -> Response:
        return JSONResponse(self.state())

    async def _reset_endpoint(self, request: Request) -> Response:
        self.reset()
        return JSONResponse({"ok": True})

    async def _faults_endpoint(self, request: Request) -> Response:
        try:
            rate = float(json.loads(await request.body()).get("rate"))
        except (ValueError, TypeError, AttributeError):
            return _error(400, "INVALID_REQUEST", 'expected {"rate": 0..1}')
        self.config.fault_rate = max(0.0, min(1.0, rate))
        return JSONResponse({"rate": self.config.fault_rate})

    async def _bandwidth(self, request: Request) -> Response:
        return JSONResponse({"ResponseInfo": _response_info(request)})
