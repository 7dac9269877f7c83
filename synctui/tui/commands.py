"""Command palette: every action of the dashboard and of the selected backend's other screens, plus one
entry per backend and per theme."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import partial
from typing import Any

from textual.command import DiscoveryHit, Hit, Hits, Provider

from synctui.tui.changes import allowed_now
from synctui.tui.key_groups import grouped_bindings
from synctui.tui.keymap import current_keys, key_label
from synctui.tui.palette_reach import palette_entries


class DashboardCommands(Provider):
    def _commands(self) -> Iterator[tuple[str, str, Callable[[], Any]]]:
        from synctui.tui.app import SyncTuiApp

        app = self.app
        if not isinstance(app, SyncTuiApp):
            return
        keymap = app.keymap
        base = app.screen_stack[0] if app.screen_stack else self.screen
        # Where each group's bindings run, in the order they are listed: the dashboard's, this screen's,
        # then the app's; the other screens' are not offered here.
        targets = [base, self.screen, app]
        placed = []
        for group, binding in grouped_bindings():
            target = next((t for t in targets if isinstance(t, group.owner)), None)
            if binding.palette is not None and target is not None:
                placed.append((targets.index(target), binding, target))
        for _, binding, target in sorted(placed, key=lambda entry: entry[0]):
            if not allowed_now(app, binding.catalogue):
                continue
            if target is not app and not target.check_action(binding.action.split("(")[0], ()):
                continue
            keys = ", ".join(key_label(app, key) for key in current_keys(binding, keymap))
            yield (
                binding.palette,
                f"{binding.help} (key: {keys})",
                partial(app.run_action, binding.action, target),
            )
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
