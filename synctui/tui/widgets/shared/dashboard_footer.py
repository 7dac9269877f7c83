"""The footer of every screen: Textual's, with Help kept in view, in the language in use, rebuilt only
when its keys changed.

Bindings are declared once, at import, with English descriptions marked `N_()`; the footer says them
through `_()` when it draws them, so the keys stay the same in every language.

Textual's Footer recomposes on every bindings signal of its screen (each focus move, each
`refresh_bindings`): seven times while the queue browser opens, about 80 key widgets each styled as it
mounts, which was most of the cost of opening the browser. The keys drawn are the same after most of
those signals, so the footer rebuilds at most once per refresh, and only when they differ.
"""

from __future__ import annotations

from collections.abc import Hashable

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Footer
from textual.widgets._footer import FooterKey, FooterLabel  # not re-exported by textual.widgets (8.2)

from synctui.i18n import _


class DashboardFooter(Footer):
    """At 80 columns a screen's keys run past the right edge: Help, which lists them all, comes first."""

    DEFAULT_CSS = """
    DashboardFooter FooterKey.-help { dock: left; }
    """

    _shown: Hashable = None  # the keys of the last compose
    _pending = False

    def compose(self) -> ComposeResult:
        self._shown = self._keys() if self._bindings_ready else None
        for widget in super().compose():
            if isinstance(widget, FooterKey):
                widget.description = _(widget.description) if widget.description else ""
                widget.tooltip = _(str(widget.tooltip)) if widget.tooltip else widget.tooltip
                if widget.action == "help":
                    widget.add_class("-help")
            elif isinstance(widget, FooterLabel):
                widget.update(_(str(widget.content)))
            yield widget

    def bindings_changed(self, screen: Screen) -> None:
        self._bindings_ready = True
        if not screen.app.app_focus or not self.is_attached or screen is not self.screen or self._pending:
            return
        self._pending = True
        self.call_after_refresh(self._recompose_if_changed)

    async def _recompose_if_changed(self) -> None:
        self._pending = False
        if self.is_attached and self._keys() != self._shown:
            await self.recompose()

    def _keys(self) -> Hashable:
        return tuple(
            (binding.key, binding.action, binding.description, binding.show, binding.group, enabled, tooltip)
            for _node, binding, enabled, tooltip in self.screen.active_bindings.values()
        )
