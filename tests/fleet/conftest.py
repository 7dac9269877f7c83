"""Fixtures of the fleet tests: a real Prometheus (Debian's package) in a temporary folder.

Without it the tests fail under CI=true (.ci/run installs it) and skip locally, saying why."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from .prometheus_server import MISSING, Prometheus, binaries_present, in_ci, running_prometheus


def need_prometheus() -> None:
    if binaries_present():
        return
    if in_ci():
        pytest.fail(f"{MISSING}; under CI=true the CI script must install it")
    pytest.skip(MISSING)


@pytest.fixture
def prometheus(tmp_path: Path) -> Iterator[Prometheus]:
    need_prometheus()
    with running_prometheus(tmp_path / "prometheus") as server:
        yield server
