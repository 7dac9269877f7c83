"""synctui hcm backend plugin: the DIGIT HCM OpLog adapter, its demo device and its error explainer."""

from __future__ import annotations

from collections.abc import Callable

from synctui.backend import DemoBackend
from synctui.hookspecs import hookimpl
from synctui.model import Rejection


@hookimpl
def synctui_register_backends(register: Callable[..., None]) -> None:
    register("synctui_hcm.adapter:HCMBackend", kind="hcm")


@hookimpl
def synctui_demo_backends(register: Callable[[DemoBackend], None]) -> None:
    from .demo import HCMDemo

    register(HCMDemo())


@hookimpl
def synctui_explain_rejection(kind: str, raw: str, status: int | None) -> Rejection | None:
    if kind != "hcm":
        return None
    from .rejections import explain_raw

    return explain_raw(raw, status)
