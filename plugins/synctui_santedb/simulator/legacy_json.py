"""The simulator's queue entries, sync log and errors as SanteDB 2.x and OpenIZ write them (§7–§8).

Entries: `id`, `operation`, `type` (.NET type name), `creationTime`, `data` (2.x: the blob key; OpenIZ
with `_id`: the payload in base64), `isRetry`, `retryCount`; dead entries `originalQueue` (a table name)
and `tag` (the exception text's UTF-8 bytes in base64). Errors: `{type, error, error_description,
caused_by}`.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from starlette.responses import JSONResponse

from . import payloads
from .queue_model import Entry
from .upstream import LogRow

# wire queue name -> the simulator's queue
QUEUE_NAMES = {"outbound": "out", "inbound": "in", "admin": "admin", "dead": "deadletter"}
WIRE_NAMES = {queue: name for name, queue in QUEUE_NAMES.items()}
TABLES = {"out": "outbound_queue", "in": "inbound_queue", "admin": "admin_queue"}
_NAMESPACES = {"Bundle": "Collection", "Patient": "Roles", "UserEntity": "Entities", "Place": "Entities"}
_ACTS = ("Act", "SubstanceAdministration", "QuantityObservation")


def dotnet_type(resource_type: str, profile: str) -> str:
    """`Bundle` → `SanteDB.Core.Model.Collection.Bundle, SanteDB.Core.Model` (or OpenIZ.Core.Model)."""
    assembly = "OpenIZ.Core.Model" if profile == "openiz" else "SanteDB.Core.Model"
    space = _NAMESPACES.get(resource_type, "Acts" if resource_type in _ACTS else "Entities")
    return f"{assembly}.{space}.{resource_type}, {assembly}"


def b64(text: str) -> str:
    return base64.b64encode(text.encode("utf-8")).decode("ascii")


def payload_b64(payload: dict[str, Any] | str) -> str:
    return b64(payload if isinstance(payload, str) else json.dumps(payload))


def entry_json(entry: Entry, profile: str, data: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": entry.id,
        "operation": entry.operation,
        "type": dotnet_type(entry.resource_type, profile),
        "creationTime": payloads.iso(entry.creation_time),
        "isRetry": entry.retry > 0,
    }
    if profile == "santedb2":
        body["data"] = entry.data_file
    elif data is not None:
        body["data"] = data
    if profile == "openiz" or entry.queue in ("out", "admin"):
        body["retryCount"] = entry.retry
    if entry.queue == "deadletter":
        body["originalQueue"] = TABLES.get(entry.original_queue or "out", "outbound_queue")
        if entry.reason is not None:
            body["tag"] = b64(entry.reason)
    return body


def log_json(row: LogRow) -> dict[str, Any]:
    body: dict[str, Any] = {"Uuid": row.key, "ResourceType": row.resource_type}
    if row.filter is not None:
        body["Filter"] = row.filter
    if row.last_etag is not None:
        body["LastETag"] = row.last_etag
    if row.last_sync is not None:
        body["LastSync"] = payloads.iso(row.last_sync)
    return body


def error(status: int, exc_type: str, message: str, detail: str | None = None) -> JSONResponse:
    """An ErrorResult body, as the 2.x and OpenIZ mini servers answer."""
    body = {"type": exc_type, "error": message, "error_description": detail or message, "caused_by": None}
    return JSONResponse(body, status_code=status)
