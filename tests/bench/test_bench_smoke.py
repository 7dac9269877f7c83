"""The benchmarks still run: each in its --quick mode, checked only for finishing and printing its ratio.

No figure is asserted (they depend on the machine); see tests/bench/README.md for the real runs.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
RATIO_LINE = re.compile(r"^ratio (\w+) .*= \d+\.\d+ .*(PASS|MISS)", re.MULTILINE)


@pytest.mark.timeout(120)
@pytest.mark.parametrize(
    ("script", "name"),
    [
        ("bench_first_frame.py", "first_frame"),
        ("bench_change_latency.py", "change_latency"),
        ("bench_agent_idle.py", "agent_idle"),
        ("bench_store_size.py", "store_size"),
        ("bench_bundle.py", "bundle"),
        ("bench_fleet.py", "fleet"),
        ("bench_queue_browser.py", "queue_browser"),
        ("bench_agent_three.py", "agent_three"),
        ("bench_watch_wake.py", "watch_wake"),
        ("bench_terminal_bytes.py", "terminal_bytes"),
    ],
)
def test_benchmark_runs_quick(script: str, name: str) -> None:
    if script == "bench_fleet.py":
        from tests.fleet.conftest import need_prometheus

        need_prometheus()  # a real Prometheus: fails under CI=true without it, skips locally
    assert run_quick(script).group(1) == name


def run_quick(script: str, *more: str) -> re.Match[str]:
    """Runs `script --quick [more]`; its ratio line."""
    result = subprocess.run(
        [sys.executable, str(HERE / script), "--quick", *more],
        capture_output=True,
        text=True,
        timeout=110,
        cwd=HERE,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    match = RATIO_LINE.search(result.stdout)
    assert match is not None, f"no ratio line in:\n{result.stdout[-2000:]}"
    return match


@pytest.mark.timeout(120)
def test_change_latency_stages_quick() -> None:
    """`--stages` runs the agent traced and times every stage of each change."""
    output = run_quick("bench_change_latency.py", "--stages").string
    for stage in ("inotify readable", "adapter answered", "push encoded", "widgets updated", "frame"):
        assert re.search(rf"^  {stage} .*\(5 of 5 changes\)$", output, re.MULTILINE), output
