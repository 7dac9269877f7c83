"""pluggy hook specifications of synctui (project name "synctui").

A plugin is a module with functions marked `@hookimpl`, exposed through the "synctui" entry-point
group. The built-in adapters register through the same hooks.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pluggy

from synctui.backend import DemoBackend
from synctui.model import Rejection, Snapshot

hookspec = pluggy.HookspecMarker("synctui")
hookimpl = pluggy.HookimplMarker("synctui")


@hookspec
def synctui_register_backends(register: Callable[..., None]) -> None:
    """Call `register(BackendClass)` for every backend kind the plugin provides, or
    `register("package.module:BackendClass", kind="name")` so that the adapter is imported only when
    a configured backend uses it (an on-device agent then pays only for the backends it watches)."""


@hookspec
def synctui_demo_backends(register: Callable[[DemoBackend], None]) -> None:
    """Call `register(demo)` with a simulated backend for `synctui demo`."""


@hookspec(firstresult=True)
def synctui_explain_rejection(kind: str, raw: str, status: int | None) -> Rejection | None:
    """Turn a backend's raw reason into a Rejection, or return None to let others try.

    The agent asks for every rejection an adapter served as category UNKNOWN (entries and entry
    details), so a site plugin can explain its own business rules for any backend kind. An answer of
    category UNKNOWN explains nothing: the next plugin is asked."""


@hookspec
def synctui_redact(data: dict[str, Any]) -> dict[str, Any] | None:
    """Strip secrets or personal data from something about to be exported; return the new dict
    or None to leave it as it is. A support bundle calls it for each of its files with
    {"part": "payloads", "file": "payloads/clinic.json", "content": <JSON data, or the text>}."""


@hookspec
def synctui_on_snapshot(snapshot: Snapshot) -> None:
    """Observe every fresh snapshot (alerting, logging). Must be quick; errors are logged."""
