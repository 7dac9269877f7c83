"""The footer of every screen: Textual's, with Help kept in view, in the language in use, the keys that
fit the width, rebuilt only when its keys changed.

At 80 columns a screen's keys run past the right edge, where the palette's key covers them ("q ▏^p"):
the footer shows Help, Quit and the palette's key always, then the screen's keys in their declared
order while they fit, each whole. The ones left out are in Help and in the command palette.

Bindings are declared once, at import, with English descriptions marked `N_()`; the footer says them
through `_()` when it draws them, so the keys stay the same in every language.

Textual's Footer recomposes on every bindings signal of its screen (each focus move, each
`refresh_bindings`): seven times while the queue browser opens, about 80 key widgets each styled as it
mounts, which was most of the cost of opening the browser. The keys drawn are the same after most of
those signals, so the footer rebuilds at most once per refresh, and only when they differ.
"""

from __future__ import annotations

from collections.abc import Hashable

from rich.cells import cell_len
from textual.app import ComposeResult
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Footer
from textual.widgets._footer import FooterKey, FooterLabel  # not re-exported by textual.widgets (8.2)

from synctui.i18n import _

ALWAYS_SHOWN = ("help", "quit", "command_palette")


def key_cells(key: FooterKey) -> int:
    """The cells a key takes in Textual's (8.2) default footer style: " k description "; a key without
    a description is drawn bare."""
    return cell_len(key.key_display) + (cell_len(key.description) + 3 if key.description else 0)


def fitting(widgets: list[Widget], width: int) -> list[Widget]:
    """The widgets that fit in `width` cells: those of ALWAYS_SHOWN, then the others in order."""
    keys = [w for w in widgets if isinstance(w, FooterKey)]
    if len(keys) != len(widgets):  # a binding group's label: not measured here, all shown
        return widgets
    room = width - sum(key_cells(key) for key in keys if key.action in ALWAYS_SHOWN)
    if any(key.has_class("-command-palette") for key in keys):
        room += 1  # the palette's key, docked right, may cover the trailing space of the key before it
    shown = []
    for key in keys:
        if key.action not in ALWAYS_SHOWN:
            if key_cells(key) > room:
                continue
            room -= key_cells(key)
        shown.append(key)
    return shown


class DashboardFooter(Footer):
    """Help, which lists every key, comes first; the keys that fit the width after it."""

    DEFAULT_CSS = """
    DashboardFooter FooterKey.-help { dock: left; }
    """

    _shown: Hashable = None  # the keys of the last compose
    _pending = False

    def compose(self) -> ComposeResult:
        self._shown = self._keys() if self._bindings_ready else None
        widgets = list(super().compose())
        for widget in widgets:
            if isinstance(widget, FooterKey):
                widget.description = _(widget.description) if widget.description else ""
                widget.tooltip = _(str(widget.tooltip)) if widget.tooltip else widget.tooltip
                if widget.action == "help":
                    widget.add_class("-help")
            elif isinstance(widget, FooterLabel):
                widget.update(_(str(widget.content)))
        yield from fitting(widgets, self.app.size.width)

    def on_resize(self) -> None:
        if self._bindings_ready:
            self.bindings_changed(self.screen)

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
        return self.app.size.width, tuple(
            (binding.key, binding.action, binding.description, binding.show, binding.group, enabled, tooltip)
            for _node, binding, enabled, tooltip in self.screen.active_bindings.values()
        )
