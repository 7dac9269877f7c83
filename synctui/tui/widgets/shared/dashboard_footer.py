"""The footer of every screen: Textual's, with Help kept in view."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Footer
from textual.widgets._footer import FooterKey  # not re-exported by textual.widgets (8.2)


class DashboardFooter(Footer):
    """At 80 columns a screen's keys run past the right edge: Help, which lists them all, comes first."""

    DEFAULT_CSS = """
    DashboardFooter FooterKey.-help { dock: left; }
    """

    def compose(self) -> ComposeResult:
        for widget in super().compose():
            if isinstance(widget, FooterKey) and widget.action == "help":
                widget.add_class("-help")
            yield widget
