"""Fixtures of the end-to-end tests: a private temporary folder, the processes started in it (always
stopped in teardown), and a private tmux server. The machinery is in stack.py and tmux_pane.py."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from .stack import ProcessGroup, child_env, short_temp_dir
from .tmux_pane import Tmux


@pytest.fixture
def e2e_dir() -> Iterator[Path]:
    with short_temp_dir() as path:
        yield path


@pytest.fixture
def procs(e2e_dir: Path) -> Iterator[ProcessGroup]:
    group = ProcessGroup(child_env(e2e_dir), e2e_dir)
    try:
        yield group
    finally:
        group.stop_all()


@pytest.fixture
def tmux(procs: ProcessGroup) -> Iterator[Tmux]:
    if shutil.which("tmux") is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(
                "tmux is not installed, and CI=true: the CI script must install tmux (apt-get install tmux)"
            )
        pytest.skip("tmux is not installed (these tests drive the real dashboard inside tmux)")
    tmux_dir = procs.cwd / "tmux"
    tmux_dir.mkdir(mode=0o700)
    # -L gives a private server; TMUX_TMPDIR keeps its socket file inside our temporary folder too.
    mux = Tmux({**procs.env, "TMUX_TMPDIR": str(tmux_dir)}, tmux_dir / "exit-status")
    try:
        yield mux
    finally:
        mux.kill_server()
