"""mSupply error codes and texts → a Rejection: a category, a plain message and advice (reference §8).

A code is looked up in `error_kinds.py` (v7 aliases and v6 variants mapped first, the v5 code inside a
`legacyServerError` read out); `UNKNOWN` and the mobile/legacy text errors are refined by reading the full
error text, so a timeout is never shown as "Unknown". Central ("master") data edited on a site is an
ownership rejection.
"""

from __future__ import annotations

import re

from synctui.model import Rejection

from .error_kinds import MEANINGS, V5_CODES, V6_VARIANTS, V7_ALIASES

# central ("master") data: edited on the primary/central server only (reference §1, seed 004)
CENTRAL_TABLES = frozenset(
    {
        "item",
        "unit",
        "name",
        "master_list",
        "master_list_line",
        "master_list_name_join",
        "name_store_join",
        "program",
        "period",
        "period_schedule",
        "store",
        "currency",
        "location_type",
        "item_category",
        "report",
        "form_schema",
    }
)

_TEXT_RULES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"site registration doesn'?t match|hardware.?id", re.I), "HARDWARE_ID_MISMATCH"),
    (re.compile(r"certificate|\btls\b|\bssl\b|handshake", re.I), "TLS_ERROR"),
    (re.compile(r"timed? ?out|timeout|deadline has elapsed", re.I), "TIMEOUT"),
    (
        re.compile(
            r"connection (failure|refused|reset|closed)|error sending request|dns error|unreachable", re.I
        ),
        "CONNECTION_ERROR",
    ),
    (re.compile(r"server rejected pushed records", re.I), "SERVER_REJECTED_PUSH"),
    (re.compile(r"unexpected response from sync server", re.I), "UNEXPECTED_RESPONSE"),
    (re.compile(r"licen[cs]e", re.I), "LICENCE_LIMIT"),
    (re.compile(r"incompatible|version mismatch", re.I), "API_VERSION_INCOMPATIBLE"),
]

_TABLE_IN_TEXT = re.compile(r"\btable[\s:=\"']+([a-z_]+)|\b([a-z_]+) (?:record|row)s?\b", re.I)
_OWNERSHIP_HINT = re.compile(r"central|master|primary|not allowed|cannot (?:be )?(?:change|edit|modif)", re.I)


def central_table_in(text: str) -> str | None:
    """The central-data table a rejection text talks about, if it says the site may not change it."""
    if not text or not _OWNERSHIP_HINT.search(text):
        return None
    for match in _TABLE_IN_TEXT.finditer(text):
        table = (match.group(1) or match.group(2) or "").lower()
        if table in CENTRAL_TABLES:
            return table
    return None


def ownership_rejection(table: str, raw: str = "", status: int | None = None) -> Rejection:
    meaning = MEANINGS["CENTRAL_DATA_READ_ONLY"]
    return Rejection(
        category=meaning.category,
        message=f"Only the primary server may change this: {table} records are central (master) data.",
        advice=meaning.advice,
        status=status,
        code="CENTRAL_DATA_READ_ONLY",
        raw=raw,
    )


def normalise_code(code: str | None) -> str:
    """Any spelling of a known code (v5 snake_case, v6 camelCase, GraphQL enum) as the table's key."""
    if not code:
        return "UNKNOWN"
    if code in MEANINGS:
        return code
    if code in V6_VARIANTS:
        return V6_VARIANTS[code]
    lowered = code.strip().lower()
    if lowered in V5_CODES:
        return V5_CODES[lowered]
    upper = (
        re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", code.strip())
        .upper()
        .replace("-", "_")
        .replace(" ", "_")
    )
    upper = V7_ALIASES.get(upper, upper)
    return upper if upper in MEANINGS else "UNKNOWN"


def _wrapped_v5_code(raw: str) -> str | None:
    """The v5 code inside a v6 `legacyServerError` (it wraps the legacy server's {code, message, data})."""
    found = re.search(r"\b(" + "|".join(V5_CODES) + r")\b", raw or "")
    return V5_CODES[found.group(1)] if found else None


def classify_text(text: str) -> str:
    """A code for an error known only by its text ("UNKNOWN" when nothing matches)."""
    for pattern, code in _TEXT_RULES:
        if pattern.search(text or ""):
            return code
    return "UNKNOWN"


def explain(code: str | None, raw: str = "", status: int | None = None, step: str | None = None) -> Rejection:
    """A Rejection for an mSupply error. `raw` is kept whole (never truncated) for the detail view."""
    key = normalise_code(code)
    if code == "legacyServerError":
        key = _wrapped_v5_code(raw) or "OTHER_LEGACY_SERVER_ERROR"
    if key == "UNKNOWN" and raw:
        key = classify_text(raw)
    if key in ("INTEGRATION_ERROR", "SERVER_REJECTED_PUSH", "UNKNOWN"):
        table = central_table_in(raw)
        if table:
            return ownership_rejection(table, raw, status)
    meaning = MEANINGS[key]
    message = meaning.message
    if step:
        message = f"{message} (during {step})"
    return Rejection(
        category=meaning.category,
        message=message,
        advice=meaning.advice,
        status=status,
        code=key,
        raw=raw,
    )
