"""synctui msupply backend plugin: the Open mSupply site adapter and its demo."""

from __future__ import annotations

from collections.abc import Callable

from synctui.backend import DemoBackend
from synctui.hookspecs import hookimpl
from synctui.model import Rejection

from .rejections import explain, normalise_code


@hookimpl
def synctui_register_backends(register: Callable[..., None]) -> None:
    register("synctui_msupply.adapter:MSupplyBackend", kind="msupply")


@hookimpl
def synctui_demo_backends(register: Callable[[DemoBackend], None]) -> None:
    from .demo import MSupplyDemo  # the simulator loads only when a demo is asked for

    register(MSupplyDemo())


@hookimpl
def synctui_explain_rejection(kind: str, raw: str, status: int | None) -> Rejection | None:
    """mSupply error codes or texts in plain words; None for other kinds or text it does not know."""
    if kind != "msupply" or not raw:
        return None
    code = raw.strip() if normalise_code(raw.strip()) != "UNKNOWN" else None
    rejection = explain(code, raw, status)
    return None if rejection.code == "UNKNOWN" else rejection
