"""Messages the app posts to its screens."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from textual.message import Message

if TYPE_CHECKING:
    from textual.screen import Screen

log = logging.getLogger(__name__)


class AgentStateChanged(Message, bubble=False):
    """Posted to every screen on the stack after the agent's state, the agent's error, the selected
    backend, a verdict or the theme changed: a screen that draws any of them redraws from the app."""


def redraw(screen: Screen, draw: Callable[[], None]) -> None:
    """Run a screen's `draw` on `AgentStateChanged`: a drawing bug is logged and told, never fatal, so
    the rest of the data stays on screen."""
    try:
        draw()
    except Exception as exc:
        log.exception("drawing %s failed", type(screen).__name__)
        screen.app.notify(f"could not draw some data: {exc}", severity="error", timeout=6)
