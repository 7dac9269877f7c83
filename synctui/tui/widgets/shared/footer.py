"""The key footer, rebuilt once however many times the bindings change before it is drawn.

Textual's Footer rebuilds every key on each change of the bindings (a focus change, a screen coming
back, a refresh after a page loads): four to six times when a queue page opens, and each rebuild mounts
and styles every key again. Rebuilt once, with the bindings as they are then, it shows the same keys."""

from __future__ import annotations

from textual.screen import Screen
from textual.widgets import Footer as TextualFooter


class Footer(TextualFooter):
    _rebuild_pending = False

    def bindings_changed(self, screen: Screen) -> None:
        if self._rebuild_pending and screen is self.screen:
            return
        super().bindings_changed(screen)  # schedules the rebuild when the footer's screen is shown
        self._rebuild_pending = screen.app.app_focus and self.is_attached and screen is self.screen

    async def recompose(self) -> None:
        self._rebuild_pending = False
        await super().recompose()
