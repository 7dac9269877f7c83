"""synctui santedb backend plugin: the SanteDB dCDR 3.x adapter, its rejection explainer and its demo."""

from __future__ import annotations

from collections.abc import Callable

from synctui.backend import DemoBackend
from synctui.hookspecs import hookimpl
from synctui.model import Rejection

from .rejections import parse_reason


@hookimpl
def synctui_register_backends(register: Callable[..., None]) -> None:
    register("synctui_santedb.adapter:SanteDBBackend", kind="santedb")


@hookimpl
def synctui_explain_rejection(kind: str, raw: str, status: int | None) -> Rejection | None:
    if kind != "santedb" or not isinstance(raw, str):
        return None
    return parse_reason(raw, status)


@hookimpl
def synctui_demo_backends(register: Callable[[DemoBackend], None]) -> None:
    # Imported here so this plugin loads even where the demo (and its simulator) is not installed.
    from synctui_santedb.demo import SanteDBDemo

    register(SanteDBDemo())
