"""Textual's footer, with each binding's description in the language in use (synctui.i18n).

Bindings are declared once, at import, with English descriptions marked `N_()`; the footer says them
through `_()` when it draws them, so the keys stay the same in every language and a language chosen
after the screens were imported (a test, or another dashboard in the same process) still shows.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Footer
from textual.widgets._footer import FooterKey, FooterLabel

from synctui.i18n import _


class LocalFooter(Footer):
    def compose(self) -> ComposeResult:
        for widget in super().compose():
            if isinstance(widget, FooterKey):
                widget.description = _(widget.description) if widget.description else ""
                widget.tooltip = _(str(widget.tooltip)) if widget.tooltip else widget.tooltip
            elif isinstance(widget, FooterLabel):
                widget.update(_(str(widget.content)))
            yield widget
