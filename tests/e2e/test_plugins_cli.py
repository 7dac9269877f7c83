"""`synctui plugins` as a subprocess: built-ins, broken plugins named in SYNCTUI_PLUGINS, strict mode."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from .stack import child_env, run_cli

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(60)]

IMPORT_ERROR = "synctui_e2e_import_error"
HOOK_RAISES = "synctui_e2e_hook_raises"
BROKEN = f"{IMPORT_ERROR},{HOOK_RAISES}"


def plugin_line(out: str, name: str) -> str:
    match = re.search(rf"^{re.escape(name)}\s.*$", out, re.MULTILINE)
    assert match, f"{name} is not listed:\n{out}"
    return match.group(0)


def test_santedb_is_listed_as_built_in(e2e_dir: Path) -> None:
    # Every installed plugin: santedb is there, built in, whatever state the others are in.
    result = run_cli("plugins", env=child_env(e2e_dir), cwd=e2e_dir)
    assert "Traceback" not in result.stderr
    line = plugin_line(result.stdout, "santedb")
    assert re.search(r"\bbuilt-in\b.*backends: santedb\b.*\bok$", line), line

    # Only santedb: nothing broken, so exit 0.
    result = run_cli("plugins", env=child_env(e2e_dir, SYNCTUI_LOAD_PLUGINS="santedb"), cwd=e2e_dir)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip().splitlines() == [plugin_line(result.stdout, "santedb")]


def test_broken_plugins_are_listed_with_their_errors(e2e_dir: Path) -> None:
    env = child_env(e2e_dir, SYNCTUI_PLUGINS=BROKEN)
    result = run_cli("plugins", env=env, cwd=e2e_dir)
    assert result.returncode != 0, "broken plugins must make `synctui plugins` fail"
    out = result.stdout
    assert plugin_line(out, "santedb").endswith("ok")
    assert "BROKEN: ImportError: synctui_e2e_import_error needs the 'frobnicate' library" in plugin_line(
        out, IMPORT_ERROR
    )
    assert (
        "BROKEN: registering backends failed: RuntimeError: e2e: the hook_raises plugin could not read"
        in plugin_line(out, HOOK_RAISES)
    )
    assert "Traceback" not in out + result.stderr

    as_json = run_cli("plugins", "--json", env=env, cwd=e2e_dir)
    assert as_json.returncode == result.returncode
    infos = {info["name"]: info for info in json.loads(as_json.stdout)}
    assert infos["santedb"]["error"] is None and infos["santedb"]["kinds"] == ["santedb"]
    assert infos[IMPORT_ERROR]["error"].startswith("ImportError: ")
    assert infos[HOOK_RAISES]["error"].startswith("registering backends failed: RuntimeError: ")


@pytest.mark.parametrize(
    ("module", "error"),
    [
        (IMPORT_ERROR, "ImportError: synctui_e2e_import_error needs the 'frobnicate' library"),
        (HOOK_RAISES, "registering backends failed: RuntimeError: e2e: the hook_raises plugin"),
    ],
)
def test_strict_plugins_make_a_broken_plugin_fatal(e2e_dir: Path, module: str, error: str) -> None:
    env = child_env(e2e_dir, SYNCTUI_PLUGINS=module, SYNCTUI_STRICT_PLUGINS="1")
    result = run_cli("plugins", env=env, cwd=e2e_dir)
    assert result.returncode != 0
    assert f"synctui: plugin {module}: {error}" in result.stderr, result.stderr
    assert "Traceback" not in result.stderr
    assert "santedb" not in result.stdout, "strict mode stops before listing anything"


def test_a_broken_plugin_named_in_config_and_environment_is_listed_once(e2e_dir: Path) -> None:
    """The same module in [agent] plugins and SYNCTUI_PLUGINS is one plugin.

    synctui/plugins.py load_plugins skips a duplicate only when the first try registered it
    (`manager.has_plugin(name)`); a module that failed to import is imported again and listed twice.
    """
    config = e2e_dir / "config.toml"
    config.write_text(f'[agent]\nplugins = ["{IMPORT_ERROR}"]\n', encoding="utf-8")
    env = child_env(e2e_dir, SYNCTUI_PLUGINS=IMPORT_ERROR, SYNCTUI_LOAD_PLUGINS=f"santedb,{IMPORT_ERROR}")
    result = run_cli("--config", str(config), "plugins", "--json", env=env, cwd=e2e_dir)
    names = [info["name"] for info in json.loads(result.stdout)]
    assert sorted(names) == sorted(["santedb", IMPORT_ERROR]), names
