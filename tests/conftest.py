from __future__ import annotations

import os

import pytest

# Tests never read the developer's own config or talk to their agent.
os.environ.pop("SYNCTUI_CONFIG", None)


@pytest.fixture(autouse=True)
def _isolated_dirs(tmp_path_factory, monkeypatch):
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "config"))
    monkeypatch.setenv("XDG_STATE_HOME", str(home / "state"))
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(home / "run"))
    monkeypatch.delenv("SYNCTUI_PLUGINS", raising=False)
    monkeypatch.delenv("SYNCTUI_LOAD_PLUGINS", raising=False)
    monkeypatch.delenv("SYNCTUI_STRICT_PLUGINS", raising=False)
