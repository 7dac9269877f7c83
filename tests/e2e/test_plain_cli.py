"""The plain dashboard as a subprocess against a real agent and the SanteDB simulator: chosen by itself on
`TERM=dumb` with stdout a pipe, it prints the verdict and the simulator's counts, and runs Synchronize
Now and Re-Queue Conflicted from lines typed on stdin."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator

import pytest

from .stack import PASSWORD, Stack, running_stack, synctui_cmd

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(120)]

QUEUE_LINE = re.compile(r"^  (Outbox|Inbox|Admin|Conflicts)\s+(\d+|n/a)\b", re.MULTILINE)
RAW = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    with running_stack() as running:
        yield running


def typed(stack: Stack, *lines: str, timeout: float = 60.0) -> subprocess.CompletedProcess[str]:
    """`synctui` (no --plain) on a dumb terminal, with `lines` typed on stdin, stdout and stderr piped."""
    return subprocess.run(
        synctui_cmd("--config", str(stack.config)),
        input="".join(line + "\n" for line in lines),
        env={**stack.env, "TERM": "dumb"},
        cwd=stack.base,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_dumb_terminal_gets_the_plain_status_with_the_simulators_counts(stack: Stack) -> None:
    result = typed(stack, "q")
    out = result.stdout
    assert result.returncode == 0, out + result.stderr
    assert "Traceback" not in result.stderr and PASSWORD not in out + result.stderr
    assert not RAW.search(out), "no escape sequence, no colour: plain lines"
    assert out.startswith("synctui, plain mode, on "), out
    assert "\nOverall: ATTENTION (clinic ATTENTION)\n" in out
    counts = stack.sim.counts()
    shown = {label.lower(): int(n) for label, n in QUEUE_LINE.findall(out) if n != "n/a"}
    assert shown == {kind: n for kind, n in counts.items() if kind in shown}
    assert shown["conflicts"] == counts["conflicts"] > 0
    assert f"    - {counts['conflicts']} entries rejected by the server" in out
    assert "\nBackend: clinic, ATTENTION\n  1  Synchronize Now\n  2  Re-Queue Conflicted" in out


def test_synchronize_now_typed_on_stdin_ends_in_the_verdict_not_data_synced(stack: Stack) -> None:
    result = typed(stack, "1", "q")
    out = result.stdout
    assert result.returncode == 0, out + result.stderr
    assert "Synchronize Now started on clinic" in out or "Joined the sync" in out, out
    conflicts = stack.sim.counts()["conflicts"]
    assert f"Sync finished — {conflicts} entries need attention" in out, out
    assert "Data Synced" not in out


def test_requeue_conflicted_typed_on_stdin_reports_what_happened_counted(stack: Stack) -> None:
    before = stack.sim.counts()["conflicts"]
    assert before > 0
    result = typed(stack, "retry", "RETRY", "q")
    out = result.stdout
    assert result.returncode == 0, out + result.stderr
    assert "Type RETRY to confirm (anything else cancels): RETRY\n" in out  # the transcript of a pipe
    line = re.search(r"^Re-Queue Conflicted on clinic: (.+)$", out, re.MULTILINE)
    assert line is not None, out
    assert "FAILED" not in line.group(1) and " ok" not in line.group(1).lower(), line.group(0)
    assert stack.sim.counts()["conflicts"] < before, "the rejected entries were sent again"
