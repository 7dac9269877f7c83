"""The DIGIT wire: entity types in sync order, their endpoints and list keys, the request envelope and
strict parsers for what the server answers.

Names follow the HCM field app and health-services (reference hcm-api.md §1, §6). Mind the traps: the
individual search answers under the singular key `Individual`; stock, stockReconciliation and
projectStaff use the same key for everything; search criteria are always singular.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

# DataModelType enum order of the field app: entity types are synced up in this order.
ENTITY_ORDER: tuple[str, ...] = (
    "user", "facility", "address", "household", "individual", "projectBeneficiary", "householdMember",
    "product", "productVariant", "project", "projectFacility", "projectProductVariant", "projectStaff",
    "projectResource", "projectType", "stock", "stockReconciliation", "task", "sideEffect", "referral",
    "serviceDefinition", "service", "complaints", "attributes", "boundary", "serviceAttributes",
    "locality", "downsync", "downsyncCriteria", "hFReferral", "attendanceRegister", "attendance",
    "userLocation", "userAction", "uniqueId",
)  # fmt: skip

# Entity types the app counts in "Data unsynced" (getSyncCount's whitelist), and those of them it never
# awaits a confirmation for: for these a bulk call's 202 is the end (reference hcm-api.md §1, §3).
COUNTED_TYPES: tuple[str, ...] = (
    "household", "individual", "householdMember", "projectBeneficiary", "task", "stock",
    "stockReconciliation", "service", "complaints", "sideEffect", "referral", "hFReferral", "attendance",
    "userLocation", "userAction",
)  # fmt: skip
NOT_AWAITED_TYPES: tuple[str, ...] = ("complaints", "userLocation", "userAction")

# Operations an OpLog row can carry (DataOperation). `search` rows are never queued.
QUEUED_OPERATIONS: tuple[str, ...] = ("create", "singleCreate", "update", "singleUpdate", "delete")
CREATE_OPERATIONS = frozenset({"create", "singleCreate"})
UPDATE_OPERATIONS = frozenset({"update", "singleUpdate"})


@dataclass(frozen=True)
class EntityWire:
    """How one entity type is reached: `base` + /bulk/_create, /_search, /_create ..."""

    entity_type: str
    base: str
    list_key: str  # request list key of bulk calls (plural, mostly)
    search_key: str  # search criteria key (singular)
    response_key: str  # list key of the search response (singular for individual!)

    @property
    def search_path(self) -> str:
        return f"{self.base}/_search"

    def bulk_path(self, operation: str) -> str:
        return f"{self.base}/bulk/_{bulk_verb(operation)}"

    def single_path(self, operation: str) -> str:
        return f"{self.base}/_{bulk_verb(operation)}"


def bulk_verb(operation: str) -> str:
    if operation in CREATE_OPERATIONS:
        return "create"
    if operation in UPDATE_OPERATIONS:
        return "update"
    if operation == "delete":
        return "delete"
    raise ValueError(f"operation {operation!r} is not sent to the server")


DEFAULT_WIRES: dict[str, EntityWire] = {
    w.entity_type: w
    for w in (
        EntityWire("facility", "/facility/v1", "Facilities", "Facility", "Facilities"),
        EntityWire("household", "/household/v1", "Households", "Household", "Households"),
        EntityWire("individual", "/individual/v1", "Individuals", "Individual", "Individual"),
        EntityWire(
            "projectBeneficiary",
            "/project/beneficiary/v1",
            "ProjectBeneficiaries",
            "ProjectBeneficiary",
            "ProjectBeneficiaries",
        ),
        EntityWire(
            "householdMember",
            "/household/member/v1",
            "HouseholdMembers",
            "HouseholdMember",
            "HouseholdMembers",
        ),
        EntityWire(
            "projectFacility",
            "/project/facility/v1",
            "ProjectFacilities",
            "ProjectFacility",
            "ProjectFacilities",
        ),
        EntityWire("projectStaff", "/project/staff/v1", "ProjectStaff", "ProjectStaff", "ProjectStaff"),
        EntityWire("stock", "/stock/v1", "Stock", "Stock", "Stock"),
        EntityWire(
            "stockReconciliation",
            "/stock/reconciliation/v1",
            "StockReconciliation",
            "StockReconciliation",
            "StockReconciliation",
        ),
        EntityWire("task", "/project/task/v1", "Tasks", "Task", "Tasks"),
        EntityWire(
            "sideEffect", "/referralmanagement/side-effect/v1", "SideEffects", "SideEffect", "SideEffects"
        ),
        EntityWire("referral", "/referralmanagement/v1", "Referrals", "Referral", "Referrals"),
        EntityWire(
            "hFReferral", "/referralmanagement/hf-referral/v1", "HFReferrals", "HFReferral", "HFReferrals"
        ),
    )
}


def order_index(entity_type: str) -> int:
    """Position in the sync order; unknown types go last, in name order (stable)."""
    try:
        return ENTITY_ORDER.index(entity_type)
    except ValueError:
        return len(ENTITY_ORDER)


def build_wires(overrides: Mapping[str, Any] | None) -> dict[str, EntityWire]:
    """The default table with per-type overrides from the options: a string replaces the base path,
    a table may set `base`, `list_key`, `search_key`, `response_key` (new types need all four)."""
    wires = dict(DEFAULT_WIRES)
    for entity_type, value in (overrides or {}).items():
        if isinstance(value, str):
            value = {"base": value}
        if not isinstance(value, Mapping):
            raise ValueError(f"paths.{entity_type}: expected a path or a table, got {type(value).__name__}")
        known = wires.get(entity_type)
        fields = {k: value[k] for k in ("base", "list_key", "search_key", "response_key") if k in value}
        for key, val in fields.items():
            if not isinstance(val, str) or not val:
                raise ValueError(f"paths.{entity_type}.{key}: expected a non-empty string")
        if "base" in fields:
            fields["base"] = "/" + fields["base"].strip("/")
        if known is not None:
            wires[entity_type] = replace(known, **fields)
        else:
            missing = {"base", "list_key", "search_key", "response_key"} - fields.keys()
            if missing:
                raise ValueError(f"paths.{entity_type}: a new entity type needs {', '.join(sorted(missing))}")
            wires[entity_type] = EntityWire(entity_type, **fields)
    return wires


# --- Request envelope -----------------------------------------------------------------------------


def request_info(
    action: str, auth_token: str | None, user_info: Mapping[str, Any] | None, tenant_id: str
) -> dict[str, Any]:
    """The DIGIT RequestInfo as the field app's interceptor builds it."""
    ts = int(time.time() * 1000)
    return {
        "apiId": "hcm",
        "ver": ".01",
        "ts": ts,
        "action": action,
        "did": "1",
        "key": "1",
        "msgId": f"{ts}|en_IN",
        "authToken": auth_token,
        "userInfo": dict(user_info or {}),
        "tenantId": tenant_id,
    }


def bulk_body(wire: EntityWire, operation: str, entities: list[dict[str, Any]], info: dict[str, Any]) -> dict:
    body: dict[str, Any] = {"RequestInfo": info, wire.list_key: entities}
    if operation in UPDATE_OPERATIONS:
        body["apiOperation"] = "UPDATE"
    elif operation == "delete":
        body["apiOperation"] = "DELETE"
    return body


def single_body(wire: EntityWire, operation: str, entity: dict[str, Any], info: dict[str, Any]) -> dict:
    # Single-record routes take the singular key (HouseholdRequest{Household}).
    body: dict[str, Any] = {"RequestInfo": info, wire.search_key: entity}
    if operation in UPDATE_OPERATIONS:
        body["apiOperation"] = "UPDATE"
    return body


# --- Request bodies as bytes (what the sync runner posts) --------------------------------------------
#
# The runner sends an entity as its stored `entityString` when it needs no change: a strict decode has
# proved the text is one JSON object, so splicing it into the list keeps the body valid JSON and saves
# encoding it again. Changed entities are encoded like httpx encodes `json=` (compact, UTF-8, no NaN).


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


_STRICT = json.JSONDecoder(parse_constant=_no_constant)


def decode_entity(text: str | None) -> dict[str, Any] | None:
    """A stored entity as a dict; None unless the text is one strict JSON object (no NaN/Infinity)."""
    if text is None:
        return None
    try:
        value, end = _STRICT.raw_decode(text)  # decode() minus its two whitespace regex calls
    except (ValueError, RecursionError):
        try:
            value = _STRICT.decode(text)  # leading whitespace, or not JSON at all
        except (ValueError, RecursionError):
            return None
    else:
        if end != len(text) and text[end:].strip(" \t\n\r"):
            return None  # something after the object
    return value if isinstance(value, dict) else None


def _dumps(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode("utf-8")


def encode_json(value: Any) -> bytes | None:
    """JSON bytes as httpx encodes `json=`; None for what has no JSON form (lone surrogates...)."""
    try:
        return _dumps(value)
    except (ValueError, TypeError, RecursionError):  # UnicodeEncodeError is a ValueError
        return None


def stored_json(text: str) -> bytes | None:
    """A validated stored entity text as it goes on the wire."""
    try:
        return text.strip().encode("utf-8")
    except UnicodeEncodeError:
        return None


def _envelope(info: dict[str, Any], key: str, value: bytes, api_operation: str | None) -> bytes:
    head = b'{"RequestInfo":' + _dumps(info) + b"," + _dumps(key) + b":"
    tail = b',"apiOperation":"' + api_operation.encode() + b'"}' if api_operation else b"}"
    return head + value + tail


def bulk_body_bytes(wire: EntityWire, operation: str, entities: list[bytes], info: dict[str, Any]) -> bytes:
    """`bulk_body` as JSON bytes, each entity given as its JSON bytes."""
    api_operation = (
        "UPDATE" if operation in UPDATE_OPERATIONS else "DELETE" if operation == "delete" else None
    )
    return _envelope(info, wire.list_key, b"[" + b",".join(entities) + b"]", api_operation)


def single_body_bytes(wire: EntityWire, operation: str, entity: bytes, info: dict[str, Any]) -> bytes:
    """`single_body` as JSON bytes, the entity given as its JSON bytes."""
    return _envelope(info, wire.search_key, entity, "UPDATE" if operation in UPDATE_OPERATIONS else None)


def search_body(wire: EntityWire, client_reference_ids: list[str], info: dict[str, Any]) -> dict:
    return {"RequestInfo": info, wire.search_key: {"clientReferenceId": list(client_reference_ids)}}


# --- Response parsing -----------------------------------------------------------------------------


class WireError(ValueError):
    """The server answered something that does not have the documented shape."""


@dataclass(frozen=True)
class ServerEntity:
    client_reference_id: str
    id: str | None
    row_version: int | None
    is_deleted: bool
    additional_ids: list[dict[str, str]]
    raw: dict[str, Any]


@dataclass(frozen=True)
class ServerError:
    code: str
    message: str
    description: str = ""


def loads(text: str | bytes) -> Any:
    try:
        return json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise WireError(f"the answer is not JSON ({type(exc).__name__})") from None


def _opt(obj: Mapping[str, Any], key: str, kind: type | tuple[type, ...], path: str) -> Any:
    value = obj.get(key)
    if value is None:
        return None
    if isinstance(value, bool) and kind is not bool and bool not in (kind if isinstance(kind, tuple) else ()):
        raise WireError(f"{path}.{key}: expected {_names(kind)}, got bool")
    if not isinstance(value, kind):
        raise WireError(f"{path}.{key}: expected {_names(kind)}, got {type(value).__name__}")
    return value


def _names(kind: type | tuple[type, ...]) -> str:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    return " or ".join(k.__name__ for k in kinds)


# Child records whose server ids the app keeps in `additionalIds` (idType names of the field app).
_CHILD_IDS: tuple[tuple[str, str], ...] = (
    ("address", "householdAddressId"),
    ("identifiers", "individualIdentifierId"),
    ("resources", "taskResourceId"),
    ("memberRelationships", "memberRelationshipId"),
)


def _additional_ids(entity: Mapping[str, Any]) -> list[dict[str, str]]:
    found = []
    for key, id_type in _CHILD_IDS:
        value = entity.get(key)
        children = value if isinstance(value, list) else [value] if isinstance(value, dict) else []
        for child in children:
            if isinstance(child, dict) and isinstance(child.get("id"), str):
                found.append({"idType": id_type, "id": child["id"]})
    return found


def parse_search_response(wire: EntityWire, data: Any) -> list[ServerEntity]:
    """Entities of a search answer. Anything off-shape raises WireError, never returns "not found"."""
    if not isinstance(data, dict):
        raise WireError(f"search answer: expected an object, got {type(data).__name__}")
    if "Errors" in data and wire.response_key not in data:
        raise WireError("search answer carries Errors instead of results")
    items = data.get(wire.response_key)
    if not isinstance(items, list):
        got = "nothing" if items is None else type(items).__name__
        raise WireError(f"search answer: expected a list under {wire.response_key!r}, got {got}")
    total = data.get("TotalCount")
    if total is not None and (isinstance(total, bool) or not isinstance(total, int)):
        raise WireError(f"search answer: TotalCount is {type(total).__name__}, not a number")
    entities = []
    for i, item in enumerate(items):
        path = f"{wire.response_key}[{i}]"
        if not isinstance(item, dict):
            raise WireError(f"{path}: expected an object, got {type(item).__name__}")
        cref = item.get("clientReferenceId")
        if not isinstance(cref, str) or not cref:
            raise WireError(f"{path}.clientReferenceId: expected a string")
        row_version = _opt(item, "rowVersion", int, path)
        is_deleted = _opt(item, "isDeleted", bool, path)
        entities.append(
            ServerEntity(
                client_reference_id=cref,
                id=_opt(item, "id", str, path),
                row_version=row_version,
                is_deleted=bool(is_deleted),
                additional_ids=_additional_ids(item),
                raw=item,
            )
        )
    return entities


def parse_bulk_response(data: Any) -> dict[str, Any]:
    """A bulk call's 202 body: a bare ResponseInfo (sometimes wrapped as {"ResponseInfo": ...})."""
    if not isinstance(data, dict):
        raise WireError(f"bulk answer: expected an object, got {type(data).__name__}")
    info = data.get("ResponseInfo", data)
    if not isinstance(info, dict):
        raise WireError(f"bulk answer: ResponseInfo is {type(info).__name__}, not an object")
    status = info.get("status")
    if status is not None and not isinstance(status, str):
        raise WireError(f"bulk answer: status is {type(status).__name__}, not text")
    if isinstance(status, str) and status.lower() not in ("successful", "success", "accepted"):
        raise WireError(f"bulk answer: status {status[:40]!r}")
    return info


def parse_errors(data: Any) -> list[ServerError]:
    """The DIGIT ErrorRes `Errors` list; an empty list when the body has none in a readable shape."""
    if not isinstance(data, dict):
        return []
    errors = data.get("Errors")
    if not isinstance(errors, list):
        return []
    parsed = []
    for item in errors:
        if not isinstance(item, dict):
            continue
        code = item.get("code")
        message = item.get("message")
        description = item.get("description")
        parsed.append(
            ServerError(
                code=code if isinstance(code, str) else "UNKNOWN",
                message=message if isinstance(message, str) else "",
                description=description if isinstance(description, str) else "",
            )
        )
    return parsed
