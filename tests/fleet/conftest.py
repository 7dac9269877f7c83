"""Fixtures of the fleet tests: a real Prometheus (Debian's package) in a temporary folder.

Without it the tests fail under CI=true (.ci/run installs it) and skip locally, saying why."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.stack import wait_until

from .generator import push_fleet
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


FLEET_SIZE = 30


@pytest.fixture(scope="module")
def generated_fleet(tmp_path_factory) -> Iterator[tuple[Prometheus, float]]:
    """A real Prometheus holding FLEET_SIZE generated devices × 3 backends, written at time `now`
    (whole seconds, so that screens drawn with a clock at `now` read the same ages every run)."""
    need_prometheus()
    now = float(int(time.time()))
    with running_prometheus(tmp_path_factory.mktemp("fleet") / "prometheus") as server:
        push_fleet(server.write_url, FLEET_SIZE, now)

        def recorded() -> bool:
            answer = server.query("count(synctui_device:verdict:max)")
            return bool(answer) and int(answer[0]["value"][1]) == FLEET_SIZE

        wait_until(recorded, 30, "the recording rules over the generated fleet")
        yield server, now
