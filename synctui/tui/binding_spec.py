"""One key binding of the dashboard, described once for the screens, the help and the palette."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class BindingSpec:
    id: str
    keys: str  # default keys, comma separated, Textual key names
    action: str
    description: str
    scope: str  # app, main, card, browser, inspector, sync, help
    show: bool = True
    priority: bool = False
    palette: str | None = None  # command palette title; None = not a palette command
    help: str = ""
    catalogue: str | None = None  # the synctui.actions entry it runs: offered only when the catalogue says so
