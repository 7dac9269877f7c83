"""`synctui sync` and the change verbs as subprocesses against a real agent and the SanteDB simulator:
a sync that leaves conflicts is not "Data Synced", and read-only changes nothing."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from .stack import PASSWORD, Stack, run_cli, running_stack

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(90)]


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    with running_stack() as running:
        yield running


def audit(stack: Stack) -> list[dict]:
    result = run_cli("--config", str(stack.config), "audit", "--json", env=stack.env, cwd=stack.base)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.mark.parametrize(
    "argv",
    [
        ["queue", "retry", "clinic", "--all", "--yes"],
        ["reset", "clinic", "--all", "--yes"],
        ["sync", "clinic"],
    ],
    ids=["retry-all", "reset-all", "synchronize"],
)
def test_readonly_changes_nothing(stack: Stack, argv: list[str]) -> None:
    """Regression: `--readonly queue retry B --all --yes` and `--readonly reset` carried out the change."""
    counts, records = stack.sim.counts(), audit(stack)
    result = run_cli("--config", str(stack.config), "--readonly", *argv, env=stack.env, cwd=stack.base)
    assert result.returncode == 4, result.stdout + result.stderr
    assert result.stdout == "" and "refused: read-only" in result.stderr
    assert "Traceback" not in result.stderr
    assert stack.sim.counts() == counts
    assert audit(stack) == records, "nothing reached the agent"


def test_a_sync_that_leaves_conflicts_is_not_data_synced(stack: Stack) -> None:
    """Regression: `synctui sync B` printed "Data Synced" and exited 0 with entries in Conflicts."""
    assert stack.sim.counts()["conflicts"] > 0, "the simulator starts with rejected entries"
    result = run_cli(
        "--config", str(stack.config), "sync", "clinic", env=stack.env, cwd=stack.base, timeout=60
    )
    out = result.stdout
    assert "Traceback" not in result.stderr and PASSWORD not in out + result.stderr
    assert "Synchronize Now started on clinic" in result.stderr or "Joined the sync" in result.stderr
    assert "Data Synced" not in out, out
    conflicts = stack.sim.counts()["conflicts"]
    assert conflicts > 0, "the simulator keeps rejected entries through a sync"
    assert result.returncode == 2, out + result.stderr
    assert out.startswith(f"Sync finished — {conflicts} entries need attention"), out
    assert f"  - {conflicts} entries rejected by the server" in out
