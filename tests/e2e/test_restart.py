"""Nothing is lost across an agent restart: the last known counts come back, marked stale."""

from __future__ import annotations

import json
import signal

import pytest

from .stack import (
    ProcessGroup,
    build_stack,
    queue_counts,
    run_cli,
    start_agent_process,
    wait_until,
)

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(60)]


def test_restarted_agent_shows_last_known_counts_while_backend_is_gone(procs: ProcessGroup) -> None:
    stack = build_stack(procs.cwd, procs)
    wait_until(lambda: not stack.agent.backend("clinic")["stale"], 15, "a first fresh snapshot")
    known = stack.sim.counts()
    wait_until(lambda: queue_counts(stack.agent.backend("clinic")) == known, 10, "the simulator's counts")

    stack.agent.proc.popen.send_signal(signal.SIGTERM)
    assert stack.agent.proc.popen.wait(10) == 0, stack.agent.proc.output()
    assert stack.sim.proc.stop() is not None  # the backend is gone for good

    agent = start_agent_process(procs, stack.config, stack.agent.socket)
    snapshot = wait_until(
        lambda: (s := agent.backend("clinic"))["health"]["error"] and s, 15, "the restarted agent to try"
    )
    assert snapshot["stale"] is True
    assert queue_counts(snapshot) == known, "the last known counts must survive the restart"
    assert "\n" not in snapshot["health"]["error"]["message"]

    result = run_cli("--config", str(stack.config), "status", "--json", env=procs.env, cwd=procs.cwd)
    assert result.returncode == 3, result.stderr  # last known data, not refreshed: UNKNOWN, never safe
    assert json.loads(result.stdout)["verdict"] == "unknown"
    [view] = json.loads(result.stdout)["backends"]
    assert view["snapshot"]["stale"] is True
    assert queue_counts(view["snapshot"]) == known
