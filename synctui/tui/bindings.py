"""Every key binding of the dashboard, each with an id so `keymap` (binding id → keys) can remap it.

Textual applies the keymap itself (`App.set_keymap`); this module is the single list the screens,
the help screen and the command palette read from.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from textual.binding import Binding

from synctui.tui.action_bindings import ACTION_SPECS
from synctui.tui.binding_spec import BindingSpec

SCOPE_TITLES = {
    "app": "Everywhere",
    "main": "Dashboard",
    "card": "Queue card",
    "browser": "Queue browser",
    "inspector": "Entry inspector",
    "sync": "Synchronize dialog",
    "compare": "Compare",
    "confirm": "Confirmation",
    "audit": "Audit log",
    "archive": "Archive",
    "details": "Backend details",
    "help": "Help",
    "bugreport": "Submit a Bug",
}

BASE_SPECS: tuple[BindingSpec, ...] = (
    BindingSpec("quit", "q", "quit", "Quit", "app", palette="Quit", help="Leave the dashboard"),
    BindingSpec("help", "question_mark,f1", "help", "Help", "app", palette="Help", help="List all keys"),
    BindingSpec(
        "command_palette",
        "ctrl+p",
        "command_palette",
        "Commands",
        "app",
        show=False,
        priority=True,
        help="Open the command palette",
    ),
    BindingSpec(
        "cycle_theme",
        "t",
        "cycle_theme",
        "Theme",
        "app",
        show=False,
        palette="Next theme",
        help="Dark → light → sunlight → console",
    ),
    BindingSpec(
        "synchronize",
        "s",
        "synchronize",
        "Sync now",
        "main",
        palette="Synchronize now",
        help="Send and receive now, with progress",
        catalogue="synchronize",
    ),
    BindingSpec(
        "refresh", "r", "refresh", "Refresh", "main", palette="Refresh", help="Ask the agent to refresh"
    ),
    BindingSpec(
        "open_outbox",
        "1",
        "open_queue('outbox')",
        "Outbox",
        "main",
        show=False,
        palette="Open Outbox",
        help="Browse the outbox",
    ),
    BindingSpec(
        "open_inbox",
        "2",
        "open_queue('inbox')",
        "Inbox",
        "main",
        show=False,
        palette="Open Inbox",
        help="Browse the inbox",
    ),
    BindingSpec(
        "open_admin",
        "3",
        "open_queue('admin')",
        "Admin",
        "main",
        show=False,
        palette="Open Admin queue",
        help="Browse the admin queue",
    ),
    BindingSpec(
        "open_conflicts",
        "4",
        "open_queue('conflicts')",
        "Conflicts",
        "main",
        show=False,
        palette="Open Conflicts",
        help="Browse rejected / conflicting entries",
    ),
    BindingSpec(
        "next_backend",
        "right,right_square_bracket",
        "next_backend",
        "Backend",
        "main",
        show=False,
        palette="Next backend",
        help="Show the next backend",
    ),
    BindingSpec(
        "prev_backend",
        "left,left_square_bracket",
        "prev_backend",
        "Prev backend",
        "main",
        show=False,
        palette="Previous backend",
        help="Show the previous backend",
    ),
    BindingSpec(
        "filter_log",
        "slash",
        "filter_log",
        "Filter log",
        "main",
        palette="Filter sync log",
        help="Filter the sync log by record type",
    ),
    BindingSpec(
        "bug_report",
        "b",
        "bug_report",
        "Bug report",
        "main",
        show=False,
        palette="Submit a Bug",
        help="Write a support bundle: what goes in, part by part, never a secret",
    ),
    BindingSpec("bug_report_write", "w", "write", "Write", "bugreport", help="Write the bundle"),
    BindingSpec("bug_report_close", "escape", "close", "Close", "bugreport", help="Close the dialog"),
    BindingSpec("open_card", "enter", "open", "Open", "card", help="Open the focused queue"),
    BindingSpec(
        "next_page",
        "n,ctrl+pagedown",
        "next_page",
        "Next page",
        "browser",
        palette="Next page",
        help="Load the next page of entries",
    ),
    BindingSpec(
        "prev_page",
        "p,ctrl+pageup",
        "prev_page",
        "Prev page",
        "browser",
        palette="Previous page",
        help="Load the previous page",
    ),
    BindingSpec(
        "filter_entries",
        "slash",
        "filter",
        "Filter",
        "browser",
        palette="Filter entries",
        help="Filter entries (sent to the backend)",
    ),
    BindingSpec(
        "jump_to_entry",
        "g",
        "jump",
        "Go to",
        "browser",
        palette="Go to entry number",
        help="Show the page holding entry N (e.g. 500001)",
    ),
    BindingSpec(
        "reload_page", "r", "reload", "Reload", "browser", palette="Reload page", help="Reload this page"
    ),
    BindingSpec("close_browser", "escape", "close", "Back", "browser", help="Back to the dashboard"),
    BindingSpec(
        "toggle_raw",
        "v",
        "toggle_raw",
        "Raw",
        "inspector",
        palette="Show raw rejection",
        help="Show / hide the raw rejection text",
    ),
    BindingSpec("close_inspector", "escape", "close", "Back", "inspector", help="Back to the queue"),
    BindingSpec("sync_retry", "r", "retry", "Retry", "sync", help="Retry a failed sync"),
    BindingSpec(
        "sync_open_conflicts",
        "4",
        "open_conflicts",
        "Conflicts",
        "sync",
        help="After a sync that left rejected entries: close and open Conflicts",
    ),
    BindingSpec("sync_close", "escape,c", "close", "Close", "sync", help="Close the dialog"),
    BindingSpec("close_help", "escape,question_mark", "close", "Close", "help", help="Close help"),
)

SPECS: tuple[BindingSpec, ...] = BASE_SPECS + ACTION_SPECS
SPECS_BY_ID = {spec.id: spec for spec in SPECS}


def bindings_for(scope: str) -> list[Binding]:
    return [
        Binding(spec.keys, spec.action, spec.description, show=spec.show, priority=spec.priority, id=spec.id)
        for spec in SPECS
        if spec.scope == scope
    ]


def clean_keymap(keymap: Mapping[str, str] | None) -> tuple[dict[str, str], list[str]]:
    """The usable part of a user keymap, and the binding ids it names that do not exist."""
    usable: dict[str, str] = {}
    unknown: list[str] = []
    for binding_id, keys in (keymap or {}).items():
        if binding_id in SPECS_BY_ID and isinstance(keys, str) and keys.strip():
            usable[binding_id] = keys
        else:
            unknown.append(str(binding_id))
    return usable, unknown


def key_label(app: Any, key: str) -> str:
    """How a key is shown (`?` rather than `question_mark`)."""
    try:
        return app.get_key_display(Binding(key, ""))
    except Exception:
        return key


def current_keys(spec: BindingSpec, keymap: Mapping[str, str] | None) -> list[str]:
    keys = (keymap or {}).get(spec.id, spec.keys)
    return [key.strip() for key in keys.split(",") if key.strip()]


# The bindings behind each `Reason.action` of the verdict, and the words of a next step that name it
# (the keys go right after them; "details" leads to the details screen, whose own key follows).
_STEP_BINDINGS = {
    "synchronize": ("Synchronize Now", ("synchronize",)),
    "refresh": ("refresh now", ("refresh",)),
    "details": ("details", ("backend_details",)),
    "check-connection": ("check the connection", ("backend_details", "check_connection")),
    "open-outbox": ("open Outbox", ("open_outbox",)),
    "open-inbox": ("open Inbox", ("open_inbox",)),
    "open-admin": ("open Admin", ("open_admin",)),
    "open-conflicts": ("Open Conflicts", ("open_conflicts",)),
}


def step_keys(app: Any, action: str) -> list[str]:
    """The keys, as remapped, that take a verdict's step `action` ("open-conflicts": ["4"]), in order."""
    keymap = getattr(app, "keymap", None)
    keys = []
    for binding_id in _STEP_BINDINGS.get(action, ("", ()))[1]:
        spec = SPECS_BY_ID.get(binding_id)
        if spec is not None and (found := current_keys(spec, keymap)):
            keys.append(key_label(app, found[0]))
    return keys


def step_with_keys(app: Any, next_step: str, action: str) -> str:
    """A verdict's next step with the keys that do it, as remapped: "Open Conflicts (4) to read why"."""
    words = _STEP_BINDINGS.get(action, ("", ()))[0]
    keys = step_keys(app, action)
    at = next_step.lower().find(words.lower()) if words else -1
    if not keys or at < 0:  # a backend's own advice names no action of ours: leave it as it is
        return next_step
    hint = f" ({', then '.join(keys)})"
    end = at + len(words)
    return next_step[:end] + hint + next_step[end:]
