"""Line diff of two pretty-printed copies (local vs server), for the compare screen (no Textual)."""

from __future__ import annotations

import difflib
from dataclasses import dataclass

MAX_LINES = 5_000  # beyond this the diff would be slow; the rest is shown without comparison


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
