"""Command palette: every action of the dashboard and of the selected backend's other screens, plus one
entry per backend and per theme. Each is shown by its name in the language in use and found by that
name or by its English one (the names in the docs and the seeds)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import partial
from typing import Any

from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.content import Content

from synctui.i18n import _
from synctui.tui.changes import allowed_now
from synctui.tui.key_groups import grouped_bindings
from synctui.tui.keymap import current_keys, key_label
from synctui.tui.palette_reach import palette_entries

# A palette entry: (English name, name in the language in use, help, what it does).
Command = tuple[str, str, str, Callable[[], Any]]


class DashboardCommands(Provider):
    def _commands(self) -> Iterator[Command]:
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
        for _order, binding, target in sorted(placed, key=lambda entry: entry[0]):
            if not allowed_now(app, binding):
                continue
            if target is not app and not target.check_action(binding.action.split("(")[0], ()):
                continue
            keys = ", ".join(key_label(app, key) for key in current_keys(binding, keymap))
            yield (
                binding.palette,
                _(binding.palette),
                _("{help} (key: {keys})").format(help=_(binding.help), keys=keys),
                partial(app.run_action, binding.action, target),
            )
        if base is self.screen:  # the dashboard: also what the selected backend's other screens do
            yield from palette_entries(app)
        yield from app.palette_actions()

    async def discover(self) -> Hits:
        for _english, local, help_text, callback in self._commands():
            yield DiscoveryHit(local, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for english, local, help_text, callback in self._commands():
            score = matcher.match(local)
            if score > 0:
                yield Hit(score, matcher.highlight(local), callback, text=local, help=help_text)
            elif local != english and (score := matcher.match(english)) > 0:  # found by its English name
                shown = Content.assemble(local, (f" ({english})", "dim"))
                yield Hit(score, shown, callback, text=local, help=help_text)
