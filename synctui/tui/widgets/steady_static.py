"""A Static that skips updates which would draw the same thing.

The agent pushes its state on every refresh, mostly unchanged; each `Static.update` re-runs layout
and restyling, which on a low-spec terminal was most of the cost of a push.
"""

from __future__ import annotations

from typing import Any

from textual.content import Content
from textual.widgets import Static


def _key(content: Any) -> Any:
    if isinstance(content, Content):
        return ("content", content.plain, tuple(content.spans))
    if isinstance(content, str):
        return ("str", content)
    return ("object", id(content))  # anything else: always redraw


def _lines(content: Any) -> int | None:
    if isinstance(content, Content):
        return content.plain.count("\n")
    if isinstance(content, str):
        return content.count("\n")
    return None


class SteadyStatic(Static):
    _shown_key: Any = None
    _shown_lines: int | None = None

    def update(self, content: Any = "", *, layout: bool = True) -> None:
        key = _key(content)
        if key == self._shown_key:
            return
        self._shown_key = key
        lines, self._shown_lines = self._shown_lines, _lines(content)
        super().update(content, layout=layout)
        if layout and self.is_mounted and (lines != self._shown_lines or lines is None):
            # A height:auto Static that grew in the same frame as another update can keep its old
            # height; one more layout pass after the frame settles it.
            self.call_after_refresh(self.refresh, layout=True)
