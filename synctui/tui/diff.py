"""Local vs server copy for the compare screen (no Textual): aligned by field when both are JSON objects
of one type, else a line diff of the two pretty-printed copies."""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass
from typing import Any

from synctui.i18n import _, ngettext, number
from synctui.text import one_line

MAX_LINES = 5_000  # beyond this the diff would be slow; the rest is shown without comparison
MAX_DEPTH = 40  # nesting below this is compared as one value
SUMMARY_FIELDS = 3  # differing fields named in the summary line
SUMMARY_VALUE = 30  # characters of a value in the summary line


@dataclass(frozen=True)
class FieldRow:
    """One field of the record: its path ("name.OfficialRecord[0].component.Given[0]") and its value
    in each copy as JSON text, None where that copy lacks the field."""

    path: str
    local: str | None
    server: str | None

    @property
    def differs(self) -> bool:
        return self.local != self.server


def field_rows(local: str, server: str) -> list[FieldRow] | None:
    """Both copies aligned by field, in the local copy's order with the server's extra fields after
    their neighbours; None when they are not two JSON objects of the same `$type`."""
    try:
        a, b = json.loads(local), json.loads(server)
    except (ValueError, RecursionError):
        return None
    if not isinstance(a, dict) or not isinstance(b, dict) or a.get("$type", b.get("$type")) != b.get("$type"):
        return None
    left, right = _flatten(a), _flatten(b)
    following: dict[str | None, list[str]] = {}  # server-only fields after each shared one (None: first)
    anchor = None
    for path in right:
        if path in left:
            anchor = path
        else:
            following.setdefault(anchor, []).append(path)
    paths = following.get(None, [])
    for path in left:
        paths += [path, *following.get(path, [])]
    return [FieldRow(path, left.get(path), right.get(path)) for path in paths[:MAX_LINES]]


def _flatten(value: Any, path: str = "", depth: int = 0, out: dict[str, str] | None = None) -> dict[str, str]:
    out = {} if out is None else out
    if isinstance(value, dict) and value and depth < MAX_DEPTH:
        for key, item in value.items():
            _flatten(item, f"{path}.{key}" if path else str(key), depth + 1, out)
    elif isinstance(value, list) and value and depth < MAX_DEPTH:
        for index, item in enumerate(value):
            _flatten(item, f"{path}[{index}]", depth + 1, out)
    else:
        out[path or "(the whole record)"] = json.dumps(value, ensure_ascii=False)
    return out


def field_summary(rows: list[FieldRow]) -> str:
    """ "1 field differs: versionSequence 1 → 6"; "" when no field differs."""
    changed = [row for row in rows if row.differs]
    if not changed:
        return ""
    named = ", ".join(
        f"{one_line(row.path, 60)} {_value(row.local)} → {_value(row.server)}"
        for row in changed[:SUMMARY_FIELDS]
    )
    extra = len(changed) - SUMMARY_FIELDS
    more = " " + _("and {n} more").format(n=number(extra)) if extra > 0 else ""
    counted = ngettext("{n} field differs", "{n} fields differ", len(changed)).format(n=number(len(changed)))
    return _("{counted}: {fields}").format(counted=counted, fields=named + more)


def _value(text: str | None) -> str:
    return _("(absent)") if text is None else one_line(text, SUMMARY_VALUE)


@dataclass(frozen=True)
class DiffRow:
    tag: str  # equal, change, local (only in the local copy), server (only in the server copy)
    local: str | None
    server: str | None


def diff_rows(local: str, server: str) -> list[DiffRow]:
    a, b = local.splitlines(), server.splitlines()
    rows: list[DiffRow] = []
    matcher = difflib.SequenceMatcher(a=a[:MAX_LINES], b=b[:MAX_LINES], autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        left, right = a[i1:i2], b[j1:j2]
        if tag == "equal":
            rows.extend(DiffRow("equal", x, y) for x, y in zip(left, right, strict=True))
            continue
        for k in range(max(len(left), len(right))):
            x = left[k] if k < len(left) else None
            y = right[k] if k < len(right) else None
            rows.append(
                DiffRow(
                    "change" if x is not None and y is not None else ("local" if y is None else "server"),
                    x,
                    y,
                )
            )
    rows.extend(DiffRow("local", x, None) for x in a[MAX_LINES:])
    rows.extend(DiffRow("server", None, y) for y in b[MAX_LINES:])
    return rows


def differing(rows: list[DiffRow]) -> int:
    return sum(1 for row in rows if row.tag != "equal")


def fit(text: str, width: int) -> str:
    text = text.expandtabs(2)
    if len(text) > width:
        return text[: max(width - 1, 0)] + "…"
    return text.ljust(width)
