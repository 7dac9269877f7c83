"""Command palette: every action of the dashboard and of the selected backend's other screens, plus one
entry per backend and per theme."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import partial
from typing import Any

from textual.command import DiscoveryHit, Hit, Hits, Provider

from synctui.tui.actions import allowed_now
from synctui.tui.bindings import SPECS, current_keys, key_label
from synctui.tui.palette_reach import palette_entries


class DashboardCommands(Provider):
    def _commands(self) -> Iterator[tuple[str, str, Callable[[], Any]]]:
        from synctui.tui.app import SyncTuiApp

        app = self.app
        if not isinstance(app, SyncTuiApp):
            return
        keymap = app.keymap
        screen_scope = getattr(self.screen, "SCOPE", None)
        base = app.screen_stack[0] if app.screen_stack else self.screen
        order = {"main": 0, screen_scope: 1, "app": 2}
        for spec in sorted(SPECS, key=lambda spec: order.get(spec.scope, 3)):
            if spec.palette is None:
                continue
            if spec.scope == "app":
                target = app
            elif spec.scope == "main":
                target = base
            elif spec.scope == screen_scope:
                target = self.screen
            else:
                continue
            if not allowed_now(app, spec.catalogue):
                continue
            if spec.scope != "app" and not target.check_action(spec.action.split("(")[0], ()):
                continue
            keys = ", ".join(key_label(app, key) for key in current_keys(spec, keymap))
            yield spec.palette, f"{spec.help} (key: {keys})", partial(app.run_action, spec.action, target)
        if base is self.screen:  # the dashboard: also what the selected backend's other screens do
            yield from palette_entries(app)
        yield from app.palette_actions()

    async def discover(self) -> Hits:
        for title, help_text, callback in self._commands():
            yield DiscoveryHit(title, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, help_text, callback in self._commands():
            score = matcher.match(title)
            if score > 0:
                yield Hit(score, matcher.highlight(title), callback, help=help_text)
