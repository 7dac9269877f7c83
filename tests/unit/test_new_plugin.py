"""`synctui new-plugin`: the project it writes, its refusals, and (slow) the round trip: installed in a
fresh venv, its own tests pass and `synctui plugins` lists its backend."""

from __future__ import annotations

import json
import site
import subprocess
import sys
from pathlib import Path

import pytest

from synctui.cli import main
from synctui.cli.new_plugin import names, write_plugin

EXPECTED = {
    "pyproject.toml",
    "README.md",
    "synctui_acme_field/__init__.py",
    "synctui_acme_field/adapter.py",
    "synctui_acme_field/options.py",
    "synctui_acme_field/plugin.py",
    "synctui_acme_field/simulator.py",
    "tests/test_conformance.py",
}


def test_it_writes_a_whole_project_with_every_placeholder_filled(tmp_path: Path) -> None:
    project, written = write_plugin("acme-field", tmp_path)
    assert project == tmp_path / "synctui-acme-field"
    assert {p.relative_to(project).as_posix() for p in written} == EXPECTED
    for path in written:
        assert "$" not in path.read_text(), f"{path.name} kept a template placeholder"
    pyproject = (project / "pyproject.toml").read_text()
    assert '[project.entry-points.synctui]\nacme-field = "synctui_acme_field.plugin"' in pyproject
    assert "class AcmeFieldBackend(Backend):" in (project / "synctui_acme_field/adapter.py").read_text()
    assert "class TestConformance(BackendConformance):" in (project / "tests/test_conformance.py").read_text()


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("Acme", "is not a plugin name"),
        ("acme field", "is not a plugin name"),
        ("acme--field", "is not a plugin name"),
        ("9acme", "is not a plugin name"),
        ("a" * 25, "at most 24 characters"),
        ("santedb", "a kind synctui already has"),
    ],
)
def test_a_bad_name_is_refused_with_what_a_name_may_be(name: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        names(name)


def test_the_cli_refuses_a_bad_name_and_an_occupied_folder(tmp_path: Path, capsys) -> None:
    assert main(["new-plugin", "Bad Name", "--dir", str(tmp_path)]) == 2
    assert "'Bad Name' is not a plugin name" in capsys.readouterr().err
    assert main(["new-plugin", "acme", "--dir", str(tmp_path)]) == 0
    assert "wrote" in capsys.readouterr().out
    adapter = tmp_path / "synctui-acme" / "synctui_acme" / "adapter.py"
    adapter.write_text("# my work\n")
    assert main(["new-plugin", "acme", "--dir", str(tmp_path)]) == 2
    assert "exists and is not empty" in capsys.readouterr().err
    assert adapter.read_text() == "# my work\n"  # nothing of the integrator's was overwritten


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_the_generated_plugin_installs_passes_its_tests_and_is_listed(tmp_path: Path) -> None:
    project, _ = write_plugin("acme-field", tmp_path)
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    venv_site = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    # synctui, its dependencies, pytest and pip of this venv, seen from the new one, so that only the
    # build backend (hatchling) is installed, from pip's configured index; addsitedir so that the
    # editable install of synctui (a .pth file) is followed too.
    (Path(venv_site) / "synctui_under_test.pth").write_text(
        f"import site; site.addsitedir({site.getsitepackages()[0]!r})\n"
    )
    for args in (["hatchling>=1.21"], ["--no-deps", "--no-build-isolation", str(project)]):
        install = subprocess.run([python, "-m", "pip", "install", *args], capture_output=True, text=True)
        assert install.returncode == 0, install.stdout[-3000:] + install.stderr[-3000:]
    tests = subprocess.run(
        [python, "-m", "pytest", "-q", "-p", "no:cacheprovider"], cwd=project, capture_output=True, text=True
    )
    assert tests.returncode == 0, tests.stdout[-3000:] + tests.stderr[-2000:]
    assert " passed" in tests.stdout and "failed" not in tests.stdout
    listed = subprocess.run(
        [python, "-m", "synctui.cli", "plugins", "--json"], cwd=tmp_path, capture_output=True, text=True
    )
    assert listed.returncode == 0, listed.stderr
    plugins = {p["name"]: p for p in json.loads(listed.stdout)}
    assert plugins["acme-field"]["kinds"] == ["acme-field"]
    assert plugins["acme-field"]["source"] == "synctui-acme-field" and plugins["acme-field"]["error"] is None
