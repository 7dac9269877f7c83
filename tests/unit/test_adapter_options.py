"""Typed adapter options: the built-ins declare them (`Backend.option_specs`), the core checks the config
against them when the agent loads it (one line naming backend and key, exit 2), `synctui plugins
--options KIND` lists them and each plugin README's table is that listing."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import synctui_hcm
import synctui_msupply
import synctui_santedb
from synctui_hcm.adapter import HCMBackend
from synctui_msupply.adapter import MSupplyBackend
from synctui_santedb.adapter import SanteDBBackend

from synctui.backend import Backend, Option, OptionError, Secret, read_options
from synctui.cli import main
from synctui.cli.plugins import options_table
from synctui.config import check_backend_options, load_config
from synctui.plugins import load_plugins

BUILT_INS: dict[str, tuple[type[Backend], Path]] = {
    "santedb": (SanteDBBackend, Path(synctui_santedb.__file__).parent),
    "msupply": (MSupplyBackend, Path(synctui_msupply.__file__).parent),
    "hcm": (HCMBackend, Path(synctui_hcm.__file__).parent),
}
REQUIRED = {"hcm": ("oplog", "oplog = '/var/lib/hcm/oplog.sqlite'\n")}


def wrong_value(spec: Option) -> str:
    """A TOML value of a type the option does not take."""
    types = spec.type if isinstance(spec.type, tuple) else (spec.type,)
    if str in types or Path in types:
        return "[1, 2]"
    return "'not-a-number'" if types[0] in (int, float) else "17"


def bad_cases() -> list[tuple[str, str, str]]:
    cases = []
    for kind, (adapter, _) in BUILT_INS.items():
        cases += [(kind, spec.name, f"{spec.name} = {wrong_value(spec)}") for spec in adapter.option_specs]
        cases += [(kind, spec.name, f"{spec.name} = -5") for spec in adapter.option_specs if spec.minimum]
        cases += [(kind, spec.name, f"{spec.name} = 'nope'") for spec in adapter.option_specs if spec.choices]
        cases.append((kind, "colour", "colour = 'blue'"))
    return cases


def write_config(tmp_path: Path, kind: str, options: str) -> Path:
    path = tmp_path / "config.toml"
    key, line = REQUIRED.get(kind, ("", ""))
    required = line if key and not options.startswith(f"{key} ") else ""
    path.write_text(
        f"[agent]\nstate_dir = 'state'\nsocket = 'run/agent.sock'\n"
        f"[[backends]]\nname = 'site-{kind}'\nkind = '{kind}'\nurl = 'http://127.0.0.1:9'\n"
        f"[backends.options]\n{required}{options}\n"
    )
    os.chmod(path, 0o600)
    return path


@pytest.mark.parametrize(("kind", "key", "line"), bad_cases(), ids=lambda v: v if "=" not in v else None)
def test_a_bad_option_stops_the_agent_with_one_line_naming_backend_and_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], kind: str, key: str, line: str
) -> None:
    code = main(["agent", "--config", str(write_config(tmp_path, kind, line))])
    err = [text for text in capsys.readouterr().err.splitlines() if text.strip()]
    assert code == 2
    assert len(err) == 1 and err[0].startswith("synctui: "), err
    assert f"(site-{kind})" in err[0] and f"options.{key} " in err[0]


def test_a_missing_required_option_is_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "config.toml"
    path.write_text("[[backends]]\nname = 'field'\nkind = 'hcm'\n")
    assert main(["agent", "--config", str(path)]) == 2
    assert "backends[0] (field): options.oplog is required" in capsys.readouterr().err


def test_options_are_typed_and_paths_relative_to_the_config_file(tmp_path: Path, monkeypatch) -> None:
    folder = tmp_path / "etc"
    folder.mkdir()
    monkeypatch.chdir(tmp_path)
    path = folder / "config.toml"
    path.write_text(
        "[[backends]]\nname = 'a'\nkind = 'msupply'\n[backends.options]\ndatabase = 'data/site.sqlite'\n"
        "site_password = 'pw'\nsync_timeout = 60\n"
        "[[backends]]\nname = 'b'\nkind = 'hcm'\n[backends.options]\noplog = '/abs/oplog.sqlite'\n"
        "batch_size = 5.0\n"
    )
    os.chmod(path, 0o600)
    config = load_config(path)
    check_backend_options(config, load_plugins().backend_class)
    a, b = config.backends
    assert a.options["database"] == folder / "data" / "site.sqlite"
    assert a.options["site_password"] == Secret("pw") and "pw" not in repr(a.options)
    assert a.options["sync_timeout"] == 60.0 and a.options["probe_v3"] is True  # the agent's key, a default
    assert b.options["oplog"] == Path("/abs/oplog.sqlite") and b.options["batch_size"] == 5


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ({"poll_seconds": float("nan")}, "options.poll_seconds must be a finite number, not nan"),
        ({"hung_min_seconds": float("inf")}, "options.hung_min_seconds must be a finite number, not inf"),
        ({"database": "~no-such-user-7c3e/site.sqlite"}, "options.database cannot expand"),
        ({"database": "a\0b"}, "options.database must be a file path"),
        ({"sync_version": 14.5}, "options.sync_version expects whole number, not float"),
        ({"probe_v3": "yes"}, "options.probe_v3 expects true/false, not str"),
    ],
)
def test_values_no_declaration_takes_are_named(given: dict[str, object], message: str) -> None:
    with pytest.raises(OptionError) as err:
        read_options(MSupplyBackend.option_specs, given)
    assert str(err.value).startswith(message)


def test_reading_options_twice_gives_the_same_values() -> None:
    specs = MSupplyBackend.option_specs
    once = read_options(specs, {"database": "/x.sqlite", "site_password": "pw", "batch_size": 7})
    assert read_options(specs, once) == once


def test_an_adapter_made_in_code_raises_the_same_config_error() -> None:
    import httpx

    backend = MSupplyBackend.__new__(MSupplyBackend)
    Backend.__init__(backend, _settings("msupply", {"poll_seconds": "soon"}), httpx.AsyncClient())
    with pytest.raises(Exception) as err:
        backend.read_options()
    rejection = err.value.rejection  # type: ignore[attr-defined]
    assert rejection.code == "CONFIG" and rejection.message.startswith("backend m: options.poll_seconds")


def _settings(kind: str, options: dict[str, object]):
    from synctui.backend import BackendSettings

    return BackendSettings(name="m", kind=kind, options=options)


@pytest.mark.parametrize("kind", list(BUILT_INS))
def test_plugins_options_lists_each_declared_option(kind: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["plugins", "--options", kind]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["option", "type", "default", "secret", "meaning"]
    specs = BUILT_INS[kind][0].option_specs
    assert [line.split()[0] for line in lines[1:]] == [spec.name for spec in specs]
    for line, spec in zip(lines[1:], specs, strict=True):
        assert line.rstrip().endswith(spec.help) and (" yes " in line) == spec.secret


def test_plugins_options_of_an_unknown_kind_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["plugins", "--options", "nosuch"]) == 2
    assert capsys.readouterr().err.strip() == "synctui: no plugin provides backend kind 'nosuch'"


@pytest.mark.parametrize("kind", list(BUILT_INS))
def test_the_readme_table_is_the_declarations(kind: str) -> None:
    adapter, folder = BUILT_INS[kind]
    readme = (folder / "README.md").read_text()
    start = readme.index(f"`synctui plugins --options {kind} --markdown` writes this table")
    table = readme[start:].split("\n", 1)[1].split("<!-- /options -->")[0].rstrip("\n").splitlines()
    assert table == options_table(adapter.option_specs)


def test_a_bundle_of_checked_options_hides_their_secrets(tmp_path: Path) -> None:
    import json

    from synctui.bundle import device

    path = write_config(tmp_path, "msupply", "site_password = 'pw-7c3e'\ndatabase = 'site.sqlite'")
    config = load_config(path)
    check_backend_options(config, load_plugins().backend_class)
    data = json.dumps(device.config_data(config))
    assert "pw-7c3e" not in data and str(tmp_path / "site.sqlite") in data
    assert "pw-7c3e" in device.secrets(config)
