"""Checks of what a plugin declares rather than answers: its adapter class (kind, capabilities, option
declarations) and its hooks (every name known, the adapter registered, synctui_explain_rejection and
synctui_redact answering sanely). Each raises `ConformanceError` with what is wrong; the conformance
suite (synctui.testing.conformance) calls them."""

from __future__ import annotations

import json
from types import ModuleType
from typing import Any

import pluggy

from synctui import hookspecs
from synctui.backend import AGENT_OPTIONS, Backend, Option, OptionError
from synctui.model import Capability, Rejection
from synctui.testing.checks import ConformanceError
from synctui.testing.faults import HOSTILE

OTHER_KIND = "conformance-other-kind"


def check_adapter_class(adapter: type[Backend], backend: Backend) -> None:
    """`adapter` is a Backend subclass with a kind, and its instance `backend` claims Capability values."""
    if not (isinstance(adapter, type) and issubclass(adapter, Backend)):
        raise ConformanceError(f"{adapter!r} is not a synctui.backend.Backend subclass")
    if not isinstance(getattr(adapter, "kind", None), str) or not adapter.kind:
        raise ConformanceError(f"{adapter.__name__}.kind must be a non-empty string")
    caps = backend.capabilities
    if not isinstance(caps, frozenset) or not all(isinstance(c, Capability) for c in caps):
        raise ConformanceError(f"{adapter.__name__}.capabilities must be a frozenset of Capability")


def check_option_specs(adapter: type[Backend]) -> None:
    """Unique names that are not the agent's, one-line help, defaults their own checks accept."""
    specs = adapter.option_specs
    if not isinstance(specs, tuple) or not all(isinstance(s, Option) for s in specs):
        raise ConformanceError(f"{adapter.__name__}.option_specs must be a tuple of synctui.backend.Option")
    names = [spec.name for spec in specs]
    if len(set(names)) != len(names) or AGENT_OPTIONS & set(names):
        raise ConformanceError(f"{adapter.__name__}.option_specs: names must be unique, not the agent's")
    for spec in specs:
        if not spec.help or "|" in spec.help or "\n" in spec.help:
            raise ConformanceError(f"option {spec.name}: `help` must be one line, without '|'")
        if spec.default is not None:
            try:
                spec.check(spec.default, None)
            except OptionError as exc:
                raise ConformanceError(f"option {spec.name}: its default is refused: {exc}") from None


def hook_manager(plugin: ModuleType) -> pluggy.PluginManager:
    """A plugin manager holding only `plugin`, as synctui's own would load it."""
    manager = pluggy.PluginManager("synctui")
    manager.add_hookspecs(hookspecs)
    manager.register(plugin)
    return manager


def check_registers(manager: pluggy.PluginManager, adapter: type[Backend]) -> None:
    """Every hook the plugin implements has a spec, and synctui_register_backends registers `adapter`."""
    try:
        manager.check_pending()
    except pluggy.PluginValidationError as exc:
        raise ConformanceError(f"{adapter.kind}: a hook of the plugin has no spec (a typo?): {exc}") from exc
    registered: list[tuple[Any, str | None]] = []
    manager.hook.synctui_register_backends(register=lambda cls, kind=None: registered.append((cls, kind)))
    for cls, kind in registered:
        if cls is adapter or (isinstance(cls, str) and kind == adapter.kind):
            return
    raise ConformanceError(f"{adapter.kind}: synctui_register_backends does not register {adapter.__name__}")


def check_explain_rejection(hook: Any, kind: str) -> None:
    """The hook explains only its own kind's reasons, never raises, and answers one line even for
    hostile text."""
    if hook(kind=OTHER_KIND, raw="HTTP 409 Conflict", status=409) is not None:
        raise ConformanceError(f"{kind}: synctui_explain_rejection explained another kind's reason")
    for raw in ("", "}{ not what you expect", *HOSTILE):
        for status in (None, 400, 409, 500):
            try:
                answer = hook(kind=kind, raw=raw, status=status)
            except Exception as exc:
                raise ConformanceError(
                    f"{kind}: synctui_explain_rejection raised {type(exc).__name__} on {raw[:40]!r}"
                ) from exc
            if answer is None:
                continue
            if not isinstance(answer, Rejection):
                raise ConformanceError(f"{kind}: synctui_explain_rejection returned {answer!r:.80}")
            if not answer.message.strip() or "\n" in answer.message:
                raise ConformanceError(
                    f"{kind}: synctui_explain_rejection's message is not one line: "
                    f"{answer.message[:80]!r} (for {raw[:40]!r})"
                )


def check_redact(hook: Any, kind: str) -> None:
    """Each answer to an audit record is a dict (or None) that stays JSON."""
    record = {"backend": "b", "action": "retry", "target": ["1"], "params": {}, "result": {"ok": True}}
    for answer in hook(data=dict(record)):
        if answer is not None and not isinstance(answer, dict):
            raise ConformanceError(f"{kind}: synctui_redact returned {type(answer).__name__}")
        json.dumps(answer)  # what is exported must stay JSON
