"""Plugin loading: entry points of the "synctui" group plus modules named in config.

A plugin that fails to import, or whose registration hook raises, is recorded as broken and skipped
(with a warning) so the others keep working; SYNCTUI_STRICT_PLUGINS=1 makes it fatal instead, for
plugin authors. SYNCTUI_LOAD_PLUGINS=a,b loads only the named plugins.
"""

from __future__ import annotations

import importlib
import logging
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from typing import Any

import pluggy

from synctui import hookspecs
from synctui.backend import Backend, DemoBackend
from synctui.model import Category, PluginInfo, Rejection

log = logging.getLogger(__name__)
GROUP = "synctui"
BUILTIN_DIST = "synctui"


class PluginLoadError(Exception):
    pass


@dataclass(frozen=True)
class LazyBackend:
    """A backend registered as "module:Class": imported only when a configured backend needs it."""

    path: str
    kind: str
    plugin: str


@dataclass
class Registry:
    """What the loaded plugins provide."""

    manager: pluggy.PluginManager
    backends: dict[str, type[Backend] | LazyBackend] = field(default_factory=dict)
    plugins: list[PluginInfo] = field(default_factory=list)

    def backend_class(self, kind: str) -> type[Backend]:
        """The adapter class for `kind`; LookupError (with the reason) when there is none."""
        entry = self.backends.get(kind)
        if entry is None:
            raise LookupError(f"no plugin provides backend kind {kind!r}")
        if not isinstance(entry, LazyBackend):
            return entry
        module_name, _, attr = entry.path.partition(":")
        try:
            cls = getattr(importlib.import_module(module_name), attr)
        except Exception as exc:
            error = f"importing {entry.path} failed: {_describe(exc)}"
            self._fail(entry.plugin, error)
            raise LookupError(f"the {kind} adapter could not be loaded: {_describe(exc)}") from exc
        if not (isinstance(cls, type) and issubclass(cls, Backend)) or getattr(cls, "kind", None) != kind:
            error = f"{entry.path} is not a Backend subclass of kind {kind!r}"
            self._fail(entry.plugin, error)
            raise LookupError(error)
        self.backends[kind] = cls
        return cls

    def demos(self) -> list[DemoBackend]:
        demos: list[DemoBackend] = []
        for name, impl in self._impls("synctui_demo_backends"):
            try:
                impl(register=demos.append)
            except Exception as exc:
                self._fail(name, f"synctui_demo_backends raised {type(exc).__name__}: {exc}")
        return demos

    def explain(self, kind: str, raw: str, status: int | None) -> Rejection | None:
        """The first plugin's explanation of a backend's raw reason; an answer of category UNKNOWN
        explains nothing, so the next plugin is asked. None when no plugin knows it."""
        for name, impl in self._impls("synctui_explain_rejection"):
            try:
                answer = impl(kind=kind, raw=raw, status=status)
            except Exception:
                log.exception("plugin %s failed in synctui_explain_rejection", name)
                continue
            if isinstance(answer, Rejection) and answer.category is not Category.UNKNOWN:
                return answer
        return None

    def redact(self, data: dict[str, Any]) -> dict[str, Any]:
        for name, impl in self._impls("synctui_redact"):
            try:
                result = impl(data=data)
            except Exception:
                log.exception("plugin %s failed in synctui_redact; its redaction was skipped", name)
                continue
            if result is not None:
                data = result
        return data

    def on_snapshot(self, snapshot: Any) -> None:
        for name, impl in self._impls("synctui_on_snapshot"):
            try:
                impl(snapshot=snapshot)
            except Exception:
                log.exception("plugin %s failed in synctui_on_snapshot", name)

    def _impls(self, hook: str) -> Iterable[tuple[str, Any]]:
        caller = getattr(self.manager.hook, hook)
        for impl in reversed(caller.get_hookimpls()):
            yield impl.plugin_name, impl.function

    def _fail(self, name: str, error: str) -> None:
        if os.environ.get("SYNCTUI_STRICT_PLUGINS") == "1":
            raise PluginLoadError(f"plugin {name}: {error}")
        log.warning("plugin %s is broken and was skipped: %s", name, error)
        for i, info in enumerate(self.plugins):
            if info.name == name:
                self.plugins[i] = PluginInfo(name=name, source=info.source, kinds=info.kinds, error=error)
                return
        self.plugins.append(PluginInfo(name=name, source="?", error=error))


def load_plugins(extra_modules: Iterable[str] = ()) -> Registry:
    manager = pluggy.PluginManager(GROUP)
    manager.add_hookspecs(hookspecs)
    registry = Registry(manager=manager)
    allow = _allowlist()
    candidates: list[tuple[str, str, Any]] = []  # (name, source, loader)
    for ep in sorted(entry_points(group=GROUP), key=lambda e: e.name):
        dist = ep.dist.name if ep.dist else "?"
        source = "built-in" if dist == BUILTIN_DIST else dist
        candidates.append((ep.name, source, ep.load))
    env_modules = [m for m in os.environ.get("SYNCTUI_PLUGINS", "").split(",") if m.strip()]
    for module in (m.strip() for m in [*extra_modules, *env_modules]):
        candidates.append((module, "config", lambda m=module: importlib.import_module(m)))

    seen: set[str] = set()
    for name, source, loader in candidates:
        if (allow is not None and name not in allow) or name in seen:
            continue
        seen.add(name)
        try:
            module = loader()
            manager.register(module, name=name)
        except Exception as exc:  # a plugin that fails to import must not stop the others
            registry.plugins.append(PluginInfo(name=name, source=source, error=_describe(exc)))
            registry._fail(name, _describe(exc))
            continue
        registry.plugins.append(PluginInfo(name=name, source=source))
    _check_hook_names(manager)

    for name, impl in list(registry._impls("synctui_register_backends")):
        kinds: list[str] = []

        def register(
            cls: type[Backend] | str, kind: str | None = None, _kinds: list[str] = kinds, _name: str = name
        ) -> None:
            entry: type[Backend] | LazyBackend
            if isinstance(cls, str):
                if not kind or ":" not in cls:
                    raise TypeError('a lazy registration is register("package.module:Class", kind="...")')
                entry = LazyBackend(cls, kind, _name)
            else:
                if not (isinstance(cls, type) and issubclass(cls, Backend)):
                    raise TypeError(f"{cls!r} is not a synctui.backend.Backend subclass")
                kind = getattr(cls, "kind", None)
                if not isinstance(kind, str) or not kind:
                    raise TypeError(f"{cls.__name__} has no `kind`")
                entry = cls
            if kind in registry.backends and registry.backends[kind] != entry:
                raise ValueError(f"backend kind {kind!r} is already registered by another plugin")
            registry.backends[kind] = entry
            _kinds.append(kind)

        try:
            impl(register=register)
        except Exception as exc:
            registry._fail(name, f"registering backends failed: {_describe(exc)}")
            continue
        for i, info in enumerate(registry.plugins):
            if info.name == name:
                registry.plugins[i] = PluginInfo(name=name, source=info.source, kinds=kinds, error=info.error)
    return registry


def _check_hook_names(manager: pluggy.PluginManager) -> None:
    """A hook implementation whose name matches no hookspec (a typo) is never called: say so."""
    try:
        manager.check_pending()
    except pluggy.PluginValidationError as exc:
        if os.environ.get("SYNCTUI_STRICT_PLUGINS") == "1":
            raise PluginLoadError(str(exc)) from None
        log.warning("%s; it is never called", exc)


def _allowlist() -> set[str] | None:
    raw = os.environ.get("SYNCTUI_LOAD_PLUGINS")
    if raw is None:
        return None
    return {n.strip() for n in raw.split(",") if n.strip()}


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"
