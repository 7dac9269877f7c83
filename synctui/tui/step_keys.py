"""The keys, as remapped, that take a verdict's next step ("Open Conflicts (4) to read why")."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.binding import BindingType

from synctui.i18n import _, pgettext
from synctui.tui.changes import allowed_now
from synctui.tui.keymap import DashboardBinding, current_keys, key_label

if TYPE_CHECKING:
    from synctui.tui.app import SyncTuiApp


def _bindings_of(screen: str) -> list[BindingType]:
    # Imported when a step is drawn: the dashboard imports these widgets, and the details screen is
    # not needed for the first frame.
    if screen == "details":
        from synctui.tui.screens.backend_details import BackendDetailsScreen

        return BackendDetailsScreen.BINDINGS
    from synctui.tui.screens.main import MainScreen

    return MainScreen.BINDINGS


# The bindings behind each `Reason.action` of the verdict, as (screen, binding id) in the order they are
# pressed.
_STEP_BINDINGS: dict[str, tuple[tuple[str, str], ...]] = {
    "synchronize": (("main", "synchronize"),),
    "refresh": (("main", "refresh"),),
    "details": (("main", "backend_details"),),
    "check-connection": (("main", "backend_details"), ("details", "check_connection")),
    "open-outbox": (("main", "open_outbox"),),
    "open-inbox": (("main", "open_inbox"),),
    "open-admin": (("main", "open_admin"),),
    "open-conflicts": (("main", "open_conflicts"),),
}


def step_words(action: str) -> str:
    """The words of a verdict's next step that name `action`, as synctui.verdict words them in the
    language in use (the keys go right after them); "" for an action no words name."""
    words = {
        "synchronize": pgettext("next step", "Synchronize Now"),
        "refresh": pgettext("next step", "refresh now"),
        "details": pgettext("next step", "details"),
        "check-connection": pgettext("next step", "check the connection"),
        "open-outbox": pgettext("next step", "open Outbox"),
        "open-inbox": pgettext("next step", "open Inbox"),
        "open-admin": pgettext("next step", "open Admin"),
        "open-conflicts": pgettext("next step", "Open Conflicts"),
    }
    return words.get(action, "")


def step_keys(app: SyncTuiApp, action: str) -> list[str]:
    """The keys, as remapped, that take a verdict's step `action` ("open-conflicts": ["4"]), in order;
    none when a binding on the way is not offered here (Refresh in a support bundle)."""
    keys = []
    for screen, binding_id in _STEP_BINDINGS.get(action, ()):
        binding = next(
            (b for b in _bindings_of(screen) if isinstance(b, DashboardBinding) and b.id == binding_id), None
        )
        if binding is not None and not allowed_now(app, binding):
            return []
        if binding is not None and (found := current_keys(binding, app.keymap)):
            keys.append(key_label(app, found[0]))
    return keys


def step_with_keys(app: SyncTuiApp, next_step: str, action: str) -> str:
    """A verdict's next step with the keys that do it, as remapped: "Open Conflicts (4) to read why"."""
    words = step_words(action)
    keys = step_keys(app, action)
    at = next_step.lower().find(words.lower()) if words else -1
    if not keys or at < 0:  # a backend's own advice names no action of ours: leave it as it is
        return next_step
    hint = " (" + _(", then ").join(keys) + ")"
    end = at + len(words)
    return next_step[:end] + hint + next_step[end:]
