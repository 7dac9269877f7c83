"""DESIGN.md's import rules, checked on the source (not just on what happens to be imported)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CORE_LIGHT = [
    "synctui/model.py",
    "synctui/verdict.py",
    "synctui/actions.py",
    "synctui/backend.py",
    "synctui/hookspecs.py",
]
PLUGIN_ALLOWED = {"synctui.model", "synctui.backend", "synctui.hookspecs", "synctui.testing"}


def imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def under(*parts: str) -> list[Path]:
    return sorted((ROOT.joinpath(*parts)).rglob("*.py"))


def offending(paths: list[Path], bad) -> list[str]:
    return [f"{p.relative_to(ROOT)}: {name}" for p in paths for name in sorted(imports(p)) if bad(name)]


def test_model_verdict_actions_backend_hookspecs_import_neither_textual_nor_the_agent():
    paths = [ROOT / p for p in CORE_LIGHT]
    assert offending(paths, lambda n: n.startswith(("textual", "synctui.agent", "synctui.tui"))) == []


def test_the_agent_never_imports_textual():
    assert offending(under("synctui", "agent"), lambda n: n.startswith(("textual", "synctui.tui"))) == []


def test_plugins_import_only_the_public_interface():
    def bad(name: str) -> bool:
        if not name.startswith("synctui.") and name != "synctui":
            return False
        return not any(name == ok or name.startswith(ok + ".") for ok in PLUGIN_ALLOWED)

    assert offending(under("plugins"), bad) == []


def test_the_tui_never_imports_a_plugin_or_the_agent():
    assert offending(under("synctui", "tui"), lambda n: n.startswith(("synctui_", "synctui.agent"))) == []


@pytest.mark.parametrize(
    "module",
    [
        "synctui.model",
        "synctui.verdict",
        "synctui.actions",
        "synctui.backend",
        "synctui.hookspecs",
        "synctui.agent.run",
    ],
)
def test_light_modules_do_not_pull_in_textual_at_runtime(module):
    import subprocess
    import sys

    code = f"import sys, {module}; print('textual' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


WIRE_LIBRARIES = ("google.protobuf", "cramjam")


def test_only_the_remote_write_module_imports_the_push_wire_libraries():
    allowed = {ROOT / "synctui" / "agent" / "remote_write.py"}
    paths = [p for p in under("synctui") if p not in allowed]
    assert offending(paths, lambda n: n.startswith(WIRE_LIBRARIES)) == []


def test_an_agent_that_does_not_push_loads_no_wire_library():
    import subprocess
    import sys

    code = (
        "import sys, synctui.agent.run, synctui.agent.metrics, synctui.agent.push_buffer, synctui.config; "
        f"print(any(m.startswith({WIRE_LIBRARIES!r}) for m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
