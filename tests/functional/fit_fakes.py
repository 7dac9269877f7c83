"""Dashboards of each backend family with 1, 3 or 6 backends, and the screen read back as text."""

from __future__ import annotations

import html
import re
from dataclasses import replace

from synctui.model import AgentState, BackendView, Snapshot
from tests.functional.backend_fakes import hcm_snapshot, msupply_snapshot
from tests.functional.tui_fakes import SANTEDB_HISTORY, santedb_snapshot

FAMILIES = {
    "santedb": lambda: santedb_snapshot(backend="clinic-tablet"),
    "msupply": lambda: msupply_snapshot("running"),
    "hcm": lambda: hcm_snapshot(),
}
# Names as sites give them, long ones included: each must stay readable in an 80-column header.
OTHER_NAMES = ("district-store", "hcm-mozambique-north", "hospital-lab", "outreach-2", "warehouse-central")


def family_state(family: str, backends: int) -> AgentState:
    """The family's backend first (selected), then others of every family under site-like names."""
    first = FAMILIES[family]()
    kinds = list(FAMILIES.values())
    others: list[Snapshot] = [
        replace(kinds[i % len(kinds)](), backend=name) for i, name in enumerate(OTHER_NAMES[: backends - 1])
    ]
    views = [
        BackendView(snapshot=s, history=SANTEDB_HISTORY if s.kind == "santedb" else [])
        for s in [first, *others]
    ]
    return AgentState(backends=views, revision=1)


CELL = 12.2  # the width of one terminal cell in Textual's SVG screenshots


def screen_text(app) -> str:
    """What the terminal shows, line by line (from the SVG screenshot: what a person would read)."""
    svg = app.export_screenshot()
    rows: dict[float, dict[int, str]] = {}
    for match in re.finditer(
        r'<text class="terminal-[^"]*" x="([\d.]+)" y="([\d.]+)"[^>]*>(.*?)</text>', svg
    ):
        column, y = round(float(match[1]) / CELL), float(match[2])
        for offset, char in enumerate(html.unescape(match[3]).replace("\xa0", " ")):
            rows.setdefault(y, {})[column + offset] = char
    return "\n".join(
        "".join(row.get(c, " ") for c in range(max(row) + 1)).rstrip() for _, row in sorted(rows.items())
    )
