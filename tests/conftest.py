from __future__ import annotations

import os

import pytest

# Tests never read the developer's own config or talk to their agent.
os.environ.pop("SYNCTUI_CONFIG", None)
# Nor speak the runner's language: what the CLI, the dashboard and every child they start say is English
# (UTF-8, for tmux), whatever the locale of the machine. A test of another language sets it itself.
for _variable in ("LANGUAGE", "LC_MESSAGES"):
    os.environ.pop(_variable, None)
os.environ.update(LC_ALL="C.UTF-8", LANG="C.UTF-8")


@pytest.fixture(autouse=True)
def _isolated_dirs(tmp_path_factory, monkeypatch):
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "config"))
    monkeypatch.setenv("XDG_STATE_HOME", str(home / "state"))
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(home / "run"))
    monkeypatch.delenv("SYNCTUI_PLUGINS", raising=False)
    monkeypatch.delenv("SYNCTUI_LOAD_PLUGINS", raising=False)
    monkeypatch.delenv("SYNCTUI_STRICT_PLUGINS", raising=False)


CHAOS_SHORT_SECONDS = 60.0  # the default chaos run: fits CI on 2 cores


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--minutes",
        type=float,
        default=None,
        help="run the chaos test (tests/e2e/test_chaos.py) for N minutes instead of its short CI run "
        f"({CHAOS_SHORT_SECONDS:g} s)",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "chaos: the chaos run; its length is the --minutes option (default: a short run)"
    )


def chaos_seconds(config: pytest.Config) -> float:
    minutes = config.getoption("--minutes")
    return CHAOS_SHORT_SECONDS if minutes is None else max(0.5, float(minutes)) * 60.0


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # The chaos test's time limit follows its length: the run, then settling, checks and teardown.
    for item in items:
        if item.get_closest_marker("chaos") is not None:
            item.add_marker(pytest.mark.timeout(chaos_seconds(config) + 300))
