"""An e2e plugin that imports fine but whose registration hook raises."""

from __future__ import annotations

from typing import Any

from synctui.hookspecs import hookimpl


@hookimpl
def synctui_register_backends(register: Any) -> None:
    raise RuntimeError("e2e: the hook_raises plugin could not read its licence file")
