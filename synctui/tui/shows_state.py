"""The one protocol between the app and its screens: a screen that draws the agent's state."""

from __future__ import annotations


class ShowsState:
    """Mixed into a Screen: `show_state()` is called on every pushed state, agent error and verdict
    change (the app's `broadcast`)."""

    def show_state(self) -> None:
        raise NotImplementedError
