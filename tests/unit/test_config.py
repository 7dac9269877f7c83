from __future__ import annotations

import os
from datetime import timedelta

import pytest

from synctui.config import load_config
from synctui.config_values import ConfigError


def write(tmp_path, text, mode=0o600, name="config.toml"):
    path = tmp_path / name
    path.write_text(text)
    os.chmod(path, mode)
    return path


FULL = """
theme = "sunlight"
[agent]
socket = "run/agent.sock"
state_dir = "state"
[keymap]
synchronize = "s,f5"
[[backends]]
name = "clinic-tablet"
kind = "santedb"
url = "http://127.0.0.1:9200"
username = "operator"
password_env = "CLINIC_PASSWORD"
refresh_interval = 10
warning_after = "12h"
error_after = "2d"
[backends.options]
database = "/var/lib/santedb/SanteDB.sqlite"
"""


def test_full_example(tmp_path, monkeypatch):
    monkeypatch.setenv("CLINIC_PASSWORD", "pa55")
    config = load_config(write(tmp_path, FULL))
    assert config.agent.socket == tmp_path / "run" / "agent.sock"  # relative to the config file
    (backend,) = config.backends
    assert backend.secret.reveal() == "pa55"
    assert "pa55" not in repr(backend) and "pa55" not in f"{backend.secret}"
    assert backend.refresh_interval == 10
    assert backend.thresholds.warning == timedelta(hours=12)
    assert backend.thresholds.error == timedelta(days=2)
    assert backend.options["database"].endswith("SanteDB.sqlite")
    assert config.keymap == {"synchronize": "s,f5"}
    assert config.theme == "sunlight"


def test_missing_file_gives_defaults_unless_required(tmp_path):
    assert load_config(tmp_path / "nope.toml").backends == []
    with pytest.raises(ConfigError, match="not found"):
        load_config(tmp_path / "nope.toml", required=True)


def test_inline_password_in_a_file_others_can_read_is_refused(tmp_path):
    text = '[[backends]]\nname="a"\nkind="santedb"\npassword="hunter2"\n'
    path = write(tmp_path, text, mode=0o644)
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert "other users can read" in str(err.value) and "chmod 600" in str(err.value)
    assert "hunter2" not in str(err.value)
    os.chmod(path, 0o600)
    assert load_config(path).backends[0].secret.reveal() == "hunter2"


def test_password_file_must_be_private(tmp_path):
    secret = write(tmp_path, "s3cret\n", mode=0o640, name="pw")
    path = write(tmp_path, f'[[backends]]\nname="a"\nkind="santedb"\npassword_file="{secret}"\n', mode=0o644)
    with pytest.raises(ConfigError, match="other users can read it"):
        load_config(path)
    os.chmod(secret, 0o600)
    assert load_config(path).backends[0].secret.reveal() == "s3cret"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[[backends]]\nname='a'\n", "kind is required"),
        ("[[backends]]\nname='a b'\nkind='x'\n", "name must be"),
        ("[[backends]]\nname='a'\nkind='x'\nrefresh_interval='fast'\n", "seconds or a duration such as"),
        ("[[backends]]\nname='a'\nkind='x'\nrefresh_interval=0.1\n", "from 0.5 to 86400"),
        ("[[backends]]\nname='a'\nkind='x'\nwarning_after='soon'\n", "expected a duration"),
        ("[[backends]]\nname='a'\nkind='x'\nwarning_after='3d'\nerror_after='1d'\n", "must not be shorter"),
        ("[[backends]]\nname='a'\nkind='x'\npasword='x'\n", "unknown key(s) pasword"),
        ("[[backends]]\nname='a'\nkind='x'\n[[backends]]\nname='a'\nkind='y'\n", "must be unique"),
        ("[[backends]]\nname='a'\nkind='x'\npassword_env='NOT_SET_ANYWHERE'\n", "is not set"),
        ("[agent]\ntcp='127.0.0.1:9000'\n", "tcp needs a token"),
        ("backends = 3\n", "array of tables"),
        ("this is not toml", "not valid TOML"),
    ],
)
def test_bad_config_gets_a_clear_message(tmp_path, text, message):
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        load_config(write(tmp_path, text))


@pytest.mark.parametrize(
    ("line", "attribute", "seconds"),
    [
        ("warning_after = '20s'", "warning", 20.0),
        ("refresh_interval = '20s'", "refresh_interval", 20.0),
        ("timeout = '1m30s'", "timeout", 90.0),
        ("refresh_interval = 20", "refresh_interval", 20.0),
    ],
)
def test_durations_accept_seconds_as_text(tmp_path, line, attribute, seconds):
    (backend,) = load_config(write(tmp_path, f"[[backends]]\nname='a'\nkind='x'\n{line}\n")).backends
    value = getattr(backend.thresholds, attribute, None) or getattr(backend, attribute)
    assert (value.total_seconds() if isinstance(value, timedelta) else value) == seconds
