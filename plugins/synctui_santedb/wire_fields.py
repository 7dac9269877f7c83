"""Reading one dCDR answer strictly: `Where` names the answer in errors, then JSON decode and field readers.

Each reader returns the field in the expected type or raises `where.fail(...)`: BackendError with one line
that names the endpoint and what was wrong. The endpoint parsers in wire.py are built from these.
"""

from __future__ import annotations

import json
import math
import re
from datetime import UTC, datetime
from typing import Any

from synctui.backend import BackendError
from synctui.model import Category, Rejection

MAX_COUNT = 2**53  # a count above this is garbage, not a queue
MAX_TEXT = 100_000  # longest string kept from a list answer (reasons can carry stack traces)


class Where:
    """Names the answer being parsed: "the dCDR at http://… answered /app/Queue"."""

    def __init__(self, url: str = "", path: str = "") -> None:
        self.url = url
        self.path = path

    def __str__(self) -> str:
        at = f" at {self.url}" if self.url else ""
        return f"the dCDR{at} answered {self.path or 'a request'}"

    def fail(self, what: str) -> BackendError:
        text = f"{self} with {what}"
        message = text[0].upper() + text[1:]
        return BackendError(
            Rejection(
                category=Category.SERVER,
                message=message,
                advice="Check that the URL points at the dCDR and that the backend's `profile` option "
                "matches its generation (santedb3, santedb2 or openiz); if it does, report this answer "
                "to support.",
                code="BAD_RESPONSE",
            )
        )


def decode_json(text: str | bytes, where: Where) -> Any:
    """JSON text → data; NaN/Infinity, huge numbers and absurd nesting are refused."""

    def no_constants(name: str) -> Any:
        raise ValueError(name)

    try:
        if isinstance(text, bytes):
            text = text.decode("utf-8")
        return json.loads(text, parse_constant=no_constants)
    except UnicodeDecodeError:
        raise where.fail("text that is not UTF-8") from None
    except RecursionError:
        raise where.fail("JSON nested too deeply") from None
    except ValueError:
        raise where.fail("something that is not valid JSON") from None


# --- field readers --------------------------------------------------------------------------------


def as_object(data: Any, where: Where, what: str) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise where.fail(f"{what} that is not an object ({kind_of(data)})")
    return data


def kind_of(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def as_count(value: Any, where: Where, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        if isinstance(value, float) and math.isfinite(value) and value.is_integer():
            value = int(value)
        else:
            raise where.fail(f"{what} that is not a number")
    if value < 0 or value > MAX_COUNT:
        raise where.fail(f"{what} that is out of range ({value if abs(value) < 10**12 else 'huge'})")
    return value


def opt_count(obj: dict[str, Any], key: str, where: Where, what: str) -> int | None:
    value = obj.get(key)
    return None if value is None else as_count(value, where, what)


def opt_text(obj: dict[str, Any], key: str, where: Where, what: str, *, required: bool = False) -> str | None:
    value = obj.get(key)
    if value is None:
        if required:
            raise where.fail(f"{what} missing")
        return None
    if not isinstance(value, str):
        raise where.fail(f"{what} that is not text ({kind_of(value)})")
    return value[:MAX_TEXT]


def opt_bool(
    obj: dict[str, Any], key: str, where: Where, what: str, default: bool | None = None
) -> bool | None:
    value = obj.get(key, default)
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise where.fail(f"{what} that is not true/false ({kind_of(value)})")


def parse_time(value: Any, where: Where, what: str) -> datetime | None:
    """ISO 8601 (with .NET's 7 fraction digits) → aware datetime; .NET's MinValue means "never"."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise where.fail(f"{what} that is not a timestamp ({kind_of(value)})")
    text = value.strip()
    if len(text) > 40:
        raise where.fail(f"{what} that is not a timestamp")
    match = re.fullmatch(r"(\d{4}-\d\d-\d\d[T ]\d\d:\d\d(?::\d\d)?)(\.\d+)?(Z|[+-]\d\d:?\d\d)?", text)
    if not match:
        raise where.fail(f"{what} that is not a timestamp ({text!r})")
    base, frac, zone = match.groups()
    frac = (frac or "")[:7]  # "." + 6 digits: .NET writes 7, Python keeps microseconds
    try:
        parsed = datetime.fromisoformat(base + frac + ("+00:00" if zone in (None, "Z") else zone))
        if parsed.year <= 1:
            return None
        return parsed.astimezone(UTC)
    except (ValueError, OverflowError):
        raise where.fail(f"{what} that is not a valid date ({text!r})") from None


def list_items(data: Any, where: Where, what: str) -> list[Any]:
    """A list answer: a plain JSON list or a collection {"resource": [...]} (nulls are omitted)."""
    if isinstance(data, list):
        return data
    if isinstance(data, dict):
        items = data.get("resource", data.get("item", []))
        if items is None:
            return []
        if isinstance(items, list):
            return items
        raise where.fail(f"{what} whose 'resource' is not a list ({kind_of(items)})")
    raise where.fail(f"{what} that is not a list ({kind_of(data)})")
