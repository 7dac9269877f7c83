"""E2e backends that misbehave: kind "raises" (snapshot raises) and "hangs" (snapshot never returns)."""

from __future__ import annotations

from typing import Any, ClassVar

from synctui.backend import BackendSettings
from synctui.hookspecs import hookimpl
from synctui.testing import StaticBackend

RAISES_MESSAGE = "e2e: the raises backend found its database locked"


class RaisingBackend(StaticBackend):
    kind: ClassVar[str] = "raises"

    def __init__(self, settings: BackendSettings, http: Any) -> None:
        super().__init__(settings, http)
        self.next = RuntimeError(RAISES_MESSAGE)


class HangingBackend(StaticBackend):
    kind: ClassVar[str] = "hangs"

    def __init__(self, settings: BackendSettings, http: Any) -> None:
        super().__init__(settings, http)
        self.next = "hang"


@hookimpl
def synctui_register_backends(register: Any) -> None:
    register(RaisingBackend)
    register(HangingBackend)
