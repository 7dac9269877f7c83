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


def _shape(content: Any) -> tuple[int, int] | None:
    """(lines, longest line) of text content: what decides its height."""
    text = content.plain if isinstance(content, Content) else content if isinstance(content, str) else None
    if text is None:
        return None
    lines = text.split("\n")
    return len(lines), max(len(line) for line in lines)


class SteadyStatic(Static):
    _shown_key: Any = None
    _shown_shape: tuple[int, int] | None = None

    def update(self, content: Any = "", *, layout: bool = True) -> None:
        key = _key(content)
        if key == self._shown_key:
            return
        self._shown_key = key
        before, after = self._shown_shape, _shape(content)
        self._shown_shape = after
        super().update(content, layout=layout)
        may_change_height = after is None or after[0] != (before or (0, 0))[0] or after[1] > self.size.width
        if layout and self.is_mounted and may_change_height:
            # A height:auto Static whose height changed in the same frame as other updates can keep
            # its old height (clipping a wrapped reason); one more layout pass after the frame fixes it.
            self.call_after_refresh(self.refresh, layout=True)
