"""Key bindings: each is declared, with an id, in the BINDINGS of the screen (or widget, or the app)
that owns it; the user's `[keymap]` (binding id → keys) remaps them through Textual's one
`App.set_keymap`. Here: the binding with what the help and the palette say about it, and the keys a
binding has now.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from textual.binding import Binding


@dataclass(frozen=True, kw_only=True)
class DashboardBinding(Binding):
    """A Textual binding (give it an `id`: the keymap names it by that) with its help line."""

    palette: str | None = None  # command palette title; None = not a palette command
    help: str = ""
    catalogue: str | None = None  # the synctui.actions entry it runs: offered only when the catalogue says so
    needs_device: bool = False  # asks the device through the agent: not offered where none can be reached


def usable_keymap(keymap: Mapping[str, str] | None) -> dict[str, str]:
    """The entries of a user keymap that name keys (a binding id → "keys, comma separated")."""
    return {
        str(binding_id): keys
        for binding_id, keys in (keymap or {}).items()
        if isinstance(keys, str) and keys.strip()
    }


def unusable_ids(keymap: Mapping[str, str], known: Collection[str]) -> list[str]:
    """The ids of a user keymap that name no binding in `known`, or no keys."""
    usable = usable_keymap(keymap)
    return sorted(
        str(binding_id) for binding_id in keymap if binding_id not in known or binding_id not in usable
    )


def key_label(app: Any, key: str) -> str:
    """How a key is shown (`?` rather than `question_mark`)."""
    try:
        return app.get_key_display(Binding(key, ""))
    except Exception:
        return key


def current_keys(binding: Binding, keymap: Mapping[str, str] | None) -> list[str]:
    """The keys `binding` has now: the user's keymap, else its own."""
    keys = (keymap or {}).get(binding.id or "", binding.key)
    return [key.strip() for key in keys.split(",") if key.strip()]
