"""The actions of the selected backend that live on another screen, reachable from the dashboard's
command palette by their catalogue name (Re-Queue Conflicted, Leave Server Version, Check Connection…).

Each opens the screen that owns it. An action on the whole queue or backend then runs as its key
would there, through the same confirmation; one that needs a choice first (entries, a setting) waits
for it and says which key to press.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from synctui.actions import ActionSpec, action, discard_action
from synctui.i18n import N_, _
from synctui.model import QUEUE_NAMES, QueueKind
from synctui.tui.changes import offers
from synctui.tui.format import CARD_ORDER
from synctui.tui.key_groups import grouped_bindings
from synctui.tui.keymap import DashboardBinding, current_keys, key_label

if TYPE_CHECKING:
    from textual.screen import Screen

    from synctui.tui.app import SyncTuiApp

# The bindings that act on something chosen on their screen, and what is chosen.
CHOOSE_FIRST = {
    "retry_selected": N_("choose the entries (space)"),
    "discard_selected": N_("choose the entries (space)"),
    "change_setting": N_("choose the setting"),
}
SCREEN_NAMES = {"browser": "queue", "details": "details"}


@dataclass(frozen=True)
class Reach:
    spec: ActionSpec
    binding: DashboardBinding
    queue: QueueKind | None  # the queue it opens, for a queue action

    def help(self, app: SyncTuiApp) -> str:
        keys = ", ".join(key_label(app, key) for key in current_keys(self.binding, app.keymap))
        if self.queue is None:
            where = _("opens Backend details; key {keys} there").format(keys=keys)
        else:
            where = _("opens {queue}; key {keys} there").format(queue=QUEUE_NAMES[self.queue], keys=keys)
        return f"{self.spec.description} ({where})"


def reachable(app: SyncTuiApp) -> Iterator[Reach]:
    """The catalogue actions on the selected backend's other screens that it offers now."""
    view = app.selected_view()
    if view is None:
        return
    backend = view.snapshot.backend
    for group, binding in grouped_bindings():
        if binding.catalogue is None or group.scope not in SCREEN_NAMES:
            continue
        if group.scope == "details":
            spec = action(binding.catalogue)
            if offers(app, backend, spec):
                yield Reach(spec, binding, None)
            continue
        for kind in CARD_ORDER:
            spec = discard_action(kind) if binding.catalogue == "discard" else action(binding.catalogue)
            if kind in spec.queues and offers(app, backend, spec, kind):
                yield Reach(spec, binding, kind)


def palette_entries(app: SyncTuiApp) -> Iterator[tuple[str, str, str, Callable[[], Any]]]:
    """(English name, local name, help, what it does) of each reachable action."""
    for reach in reachable(app):
        yield reach.spec.title, reach.spec.label, reach.help(app), lambda r=reach: go(app, r)


async def go(app: SyncTuiApp, reach: Reach) -> None:
    from synctui.tui.screens.backend_details import BackendDetailsScreen
    from synctui.tui.screens.queue_browser import QueueBrowserScreen

    view = app.selected_view()
    if view is None:
        return
    backend = view.snapshot.backend
    screen: Screen
    if reach.queue is not None:
        screen = QueueBrowserScreen(backend, reach.queue, view.snapshot.queue(reach.queue))
    else:
        screen = BackendDetailsScreen(backend)
    await app.push_screen(screen)
    choice = CHOOSE_FIRST.get(reach.binding.id)
    if choice is None:
        await app.run_action(reach.binding.action, screen)
        return
    keys = current_keys(reach.binding, app.keymap)
    key = key_label(app, keys[0]) if keys else _("its key")
    app.notify(
        _("{action}: {choice}, then press {key}").format(action=reach.spec.label, choice=_(choice), key=key),
        timeout=8,
    )
