from __future__ import annotations

import sys
import textwrap

import pytest

from synctui.plugins import PluginLoadError, load_plugins


@pytest.fixture
def plugin_dir(tmp_path, monkeypatch):
    (tmp_path / "broken_import.py").write_text("raise ImportError('needs libfoo 2.0')\n")
    (tmp_path / "broken_register.py").write_text(
        textwrap.dedent(
            """
            from synctui.hookspecs import hookimpl

            @hookimpl
            def synctui_register_backends(register):
                raise RuntimeError("bad registration")
            """
        )
    )
    (tmp_path / "not_a_backend.py").write_text(
        textwrap.dedent(
            """
            from synctui.hookspecs import hookimpl

            @hookimpl
            def synctui_register_backends(register):
                register(dict)
            """
        )
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    yield tmp_path
    for name in ("broken_import", "broken_register", "not_a_backend"):
        sys.modules.pop(name, None)


def test_builtin_santedb_is_registered_through_its_entry_point():
    registry = load_plugins()
    assert "santedb" in registry.backends
    info = next(p for p in registry.plugins if p.name == "santedb")
    assert info.source == "built-in" and info.kinds == ["santedb"] and info.error is None


def test_broken_plugins_are_listed_and_the_others_still_load(plugin_dir, monkeypatch):
    monkeypatch.setenv("SYNCTUI_PLUGINS", "broken_import,broken_register,not_a_backend")
    registry = load_plugins()
    assert "santedb" in registry.backends
    errors = {p.name: p.error for p in registry.plugins}
    assert errors["broken_import"] == "ImportError: needs libfoo 2.0"
    assert "RuntimeError: bad registration" in errors["broken_register"]
    assert "not a synctui.backend.Backend subclass" in errors["not_a_backend"]
    assert errors["santedb"] is None


def test_strict_mode_makes_a_broken_plugin_fatal(plugin_dir, monkeypatch):
    monkeypatch.setenv("SYNCTUI_PLUGINS", "broken_import")
    monkeypatch.setenv("SYNCTUI_STRICT_PLUGINS", "1")
    with pytest.raises(PluginLoadError, match="needs libfoo"):
        load_plugins()


def test_allowlist(monkeypatch):
    monkeypatch.setenv("SYNCTUI_LOAD_PLUGINS", "santedb")
    registry = load_plugins()
    assert [p.name for p in registry.plugins] == ["santedb"]


def test_explain_rejection_hook_from_the_santedb_plugin():
    registry = load_plugins()
    rejection = registry.explain(
        "santedb", "SanteDB.Core.Exceptions.DetectedIssueException: Negative stock (422)", 422
    )
    assert rejection is not None and rejection.category == "fix-data"


def test_lazy_registration_imports_the_adapter_only_when_used(tmp_path, monkeypatch):
    (tmp_path / "lazy_plugin.py").write_text(
        textwrap.dedent(
            """
            from synctui.hookspecs import hookimpl

            @hookimpl
            def synctui_register_backends(register):
                register("lazy_adapter_missing:Nope", kind="lazy")
                register("synctui.testing:StaticBackend", kind="static")
            """
        )
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setenv("SYNCTUI_PLUGINS", "lazy_plugin")
    registry = load_plugins()
    info = next(p for p in registry.plugins if p.name == "lazy_plugin")
    assert info.kinds == ["lazy", "static"] and info.error is None  # nothing imported yet
    from synctui.testing import StaticBackend

    assert registry.backend_class("static") is StaticBackend
    with pytest.raises(LookupError, match="could not be loaded: ModuleNotFoundError"):
        registry.backend_class("lazy")
    info = next(p for p in registry.plugins if p.name == "lazy_plugin")
    assert "lazy_adapter_missing" in info.error
    sys.modules.pop("lazy_plugin", None)


def test_builtin_adapters_are_not_imported_until_needed():
    import subprocess

    code = (
        "import sys; from synctui.plugins import load_plugins; r = load_plugins(); "
        "print(sorted(m for m in sys.modules if m.endswith('.adapter') and m.startswith('synctui_')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# Each hookspec and the Registry method that calls it; that method must be called by the core.
HOOK_CALLERS = {
    "synctui_register_backends": "load_plugins",
    "synctui_demo_backends": "demos",
    "synctui_explain_rejection": "explain",
    "synctui_redact": "redact",
    "synctui_on_snapshot": "on_snapshot",
}


def test_every_hookspec_has_a_call_site_in_the_core():
    from pathlib import Path

    from synctui import hookspecs

    specs = {name for name in dir(hookspecs) if name.startswith("synctui_")}
    assert specs == set(HOOK_CALLERS), "a new hookspec needs a caller in the core (and a row here)"
    root = Path(hookspecs.__file__).parent
    plugins_py = (root / "plugins.py").read_text()
    core = [
        p.read_text()
        for p in root.rglob("*.py")
        if p not in (root / "plugins.py", root / "hookspecs.py") and "testing" not in p.parts
    ]
    for hook, caller in HOOK_CALLERS.items():
        assert f'"{hook}"' in plugins_py, f"{hook} is not called in synctui/plugins.py"
        assert any(f"{caller}(" in text for text in core), f"nothing in the core calls Registry.{caller}"


def test_the_builtin_plugins_implement_only_known_hooks():
    load_plugins().manager.check_pending()  # raises PluginValidationError naming a misspelt hook


MISSPELT = """
from synctui.hookspecs import hookimpl

@hookimpl
def synctui_explain_rejections(kind, raw, status):
    return None
"""


def test_a_misspelt_hook_is_a_warning_and_fatal_in_strict_mode(tmp_path, monkeypatch, caplog):
    (tmp_path / "misspelt_plugin.py").write_text(MISSPELT)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setenv("SYNCTUI_PLUGINS", "misspelt_plugin")
    load_plugins()
    assert "unknown hook 'synctui_explain_rejections'" in caplog.text and "never called" in caplog.text
    monkeypatch.setenv("SYNCTUI_STRICT_PLUGINS", "1")
    with pytest.raises(PluginLoadError, match="synctui_explain_rejections"):
        load_plugins()
    sys.modules.pop("misspelt_plugin", None)
