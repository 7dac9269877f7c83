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


class SteadyStatic(Static):
    _shown_key: Any = None

    def update(self, content: Any = "", *, layout: bool = True) -> None:
        key = _key(content)
        if key == self._shown_key:
            return
        self._shown_key = key
        super().update(content, layout=layout)
        if layout and self.is_mounted:
            # A height:auto Static that grew in the same frame as another update can keep its old
            # height; one more layout pass after the frame settles it.
            self.call_after_refresh(self.refresh, layout=True)
