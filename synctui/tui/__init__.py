"""The Textual dashboard. Import is lazy so `import synctui.tui` stays cheap until the app is used."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from synctui.tui.app import SyncTuiApp

__all__ = ["SyncTuiApp"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from synctui.tui import app

        return getattr(app, name)
    raise AttributeError(name)
