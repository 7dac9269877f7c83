"""`synctui status [--json]` as a subprocess, against a running agent process and against none.

The exit code is the verdict's (0 SAFE, 1 WAITING, 2 ATTENTION, 3 UNKNOWN or no agent); the simulator
starts with entries queued and in conflict, so a healthy agent answers 2 here."""

from __future__ import annotations

import json
import re
import signal
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from .stack import (
    PASSWORD,
    ProcessGroup,
    Stack,
    child_env,
    queue_counts,
    run_cli,
    running_stack,
    start_agent_process,
    wait_until,
    write_config,
)

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(60)]

EXIT_UNREACHABLE = 3
LEVEL_CODES = {"safe": 0, "waiting": 1, "attention": 2, "unknown": 3}
QUEUE_LINE = re.compile(r"^\s+(Outbox|Inbox|Admin|Conflicts)\s+(\d+|n/a)\b", re.MULTILINE)


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    """One simulator (no background traffic, so counts hold still) and one agent for this module."""
    with running_stack() as running:
        yield running


def assert_one_line_reason(stderr: str) -> None:
    assert "Traceback" not in stderr
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, f"expected one line on stderr, got:\n{stderr}"
    assert lines[0].startswith("synctui: ")


def expected_exit(counts: dict[str, int]) -> int:
    """The verdict of fresh data from the simulator: conflicts need attention, anything queued waits."""
    if counts["conflicts"]:
        return 2
    return 1 if any(counts.values()) else 0


def test_status_text_shows_verdict_queues_and_sync_log(stack: Stack) -> None:
    result = run_cli("--config", str(stack.config), "status", env=stack.env, cwd=stack.base)
    counts = stack.sim.counts()
    assert result.returncode == expected_exit(counts) == 2, result.stdout + result.stderr
    out = result.stdout
    assert out.startswith("Overall: ATTENTION (clinic ATTENTION)"), out
    assert re.search(
        r"^clinic \(santedb\)\s+online\b.*\n  ATTENTION  Needs attention: ", out, re.MULTILINE
    ), out
    assert f"    - {counts['conflicts']} entries rejected by the server" in out
    assert "      What to do: " in out
    shown = {label.lower(): int(n) for label, n in QUEUE_LINE.findall(out)}
    expected = stack.sim.counts()
    assert shown == {
        "outbox": expected["outbox"],
        "inbox": expected["inbox"],
        "admin": expected["admin"],
        "conflicts": expected["conflicts"],
    }, out
    assert "Sync log:" in out
    log_rows = out.split("Sync log:", 1)[1].splitlines()
    assert any("last success" in row for row in log_rows), out
    assert PASSWORD not in out and PASSWORD not in result.stderr
    assert "Traceback" not in result.stderr


def test_status_json_has_the_counts_and_the_verdict(stack: Stack) -> None:
    result = run_cli("--config", str(stack.config), "status", "--json", env=stack.env, cwd=stack.base)
    data = json.loads(result.stdout)
    assert result.returncode == LEVEL_CODES[data["verdict"]] == expected_exit(stack.sim.counts())
    assert data["embedded"] is False
    [view] = data["backends"]
    assert view["verdict"]["level"] == data["verdict"] == "attention"
    assert "conflicts" in [reason["code"] for reason in view["verdict"]["reasons"]]
    snapshot = view["snapshot"]
    assert snapshot["backend"] == "clinic" and snapshot["kind"] == "santedb"
    assert queue_counts(snapshot) == stack.sim.counts()
    assert snapshot["log"], "the sync log should be in the JSON"
    assert PASSWORD not in result.stdout


def test_status_without_an_agent_is_one_line_and_non_zero(e2e_dir: Path) -> None:
    env = child_env(e2e_dir)
    nowhere = write_config(
        e2e_dir / "nowhere.toml", socket_path=e2e_dir / "none" / "agent.sock", state_dir=e2e_dir / "state"
    )
    result = run_cli("--config", str(nowhere), "status", env=env, cwd=e2e_dir)
    assert result.returncode == EXIT_UNREACHABLE
    assert result.stdout == ""
    assert_one_line_reason(result.stderr)
    assert "no agent is running" in result.stderr

    # A socket file left behind with nothing listening: connection refused, still one line.
    stale = e2e_dir / "stale" / "agent.sock"
    stale.parent.mkdir()
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.bind(str(stale))
    config = write_config(e2e_dir / "stale.toml", socket_path=stale, state_dir=e2e_dir / "state")
    result = run_cli("--config", str(config), "status", "--json", env=env, cwd=e2e_dir)
    assert result.returncode == EXIT_UNREACHABLE
    assert result.stdout == ""
    assert_one_line_reason(result.stderr)


def test_status_after_the_agent_stops(stack: Stack, e2e_dir: Path, procs: ProcessGroup) -> None:
    """A second agent on the same simulator: answers, is stopped with SIGTERM, then status says so."""
    socket_path = e2e_dir / "run" / "agent.sock"
    config = write_config(
        e2e_dir / "config.toml",
        socket_path=socket_path,
        state_dir=e2e_dir / "state",
        backends=[stack.sim.backend()],
    )
    agent = start_agent_process(procs, config, socket_path)
    wait_until(lambda: not agent.backend("clinic")["stale"], 15, "the second agent's first snapshot")
    answered = run_cli("--config", str(config), "status", env=procs.env, cwd=e2e_dir)
    assert answered.returncode == expected_exit(stack.sim.counts()), answered.stdout + answered.stderr

    agent.proc.popen.send_signal(signal.SIGTERM)
    assert agent.proc.popen.wait(10) == 0, agent.proc.output()
    assert not socket_path.exists(), "the agent should remove its socket on the way out"
    assert "Traceback" not in agent.proc.stderr()

    result = run_cli("--config", str(config), "status", env=procs.env, cwd=e2e_dir)
    assert result.returncode == EXIT_UNREACHABLE
    assert_one_line_reason(result.stderr)


def test_config_option_is_accepted_after_the_subcommand(stack: Stack) -> None:
    """`synctui status --config F` (and `synctui agent --config F`): the spelling most people type.

    Every verb's parser takes the global options too (synctui/cli/__init__.py, build_parser).
    """
    result = run_cli("status", "--json", "--config", str(stack.config), env=stack.env, cwd=stack.base)
    assert result.returncode == expected_exit(stack.sim.counts()), result.stderr
    assert queue_counts(json.loads(result.stdout)["backends"][0]["snapshot"]) == stack.sim.counts()


def test_status_speaks_the_locale_when_no_lang_is_given(stack: Stack) -> None:
    """LANG decides when neither --lang nor the config's `lang` does (the tests run in English otherwise)."""
    env = {k: v for k, v in stack.env.items() if k != "LC_ALL"} | {"LANG": "fr_FR.UTF-8"}
    french = run_cli("--config", str(stack.config), "status", env=env, cwd=stack.base)
    assert french.stdout.startswith("Ensemble\xa0: ATTENTION (clinic ATTENTION)"), (
        french.stdout + french.stderr
    )
    english = run_cli("--config", str(stack.config), "status", "--lang", "en", env=env, cwd=stack.base)
    assert english.stdout.startswith("Overall: ATTENTION"), english.stdout
