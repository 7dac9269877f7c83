"""The agent gives freed heap pages back to the system (glibc), at most once a minute."""

from __future__ import annotations

import sys

import pytest

from synctui.agent.memory import FreeMemory

linux_glibc = pytest.mark.skipif(
    not sys.platform.startswith("linux") or not FreeMemory().available, reason="glibc only"
)


def _rss_kb() -> int:
    with open("/proc/self/status") as f:
        return int(next(line for line in f if line.startswith("VmRSS:")).split()[1])


@linux_glibc
def test_a_trim_returns_the_free_pages_a_burst_left_in_the_heap():
    memory = FreeMemory(every=0)
    memory.fix_thresholds()
    # A burst: many mid-sized blocks in the heap, then all but every 64th freed: holes, not a free top.
    blocks = [bytearray(4000) for _ in range(20_000)]
    keep = blocks[::64]
    del blocks
    before = _rss_kb()
    memory.release()
    after = _rss_kb()
    assert before - after > 20_000, f"RSS {before} kB before the trim, {after} kB after"
    assert keep  # the survivors are still there


@linux_glibc
def test_trims_are_rate_limited():
    memory = FreeMemory(every=3600)
    calls = []
    memory._libc = type("Libc", (), {"malloc_trim": lambda self, pad: calls.append(pad)})()
    memory.release()
    assert calls == []  # the first is due an interval after start
    memory._trimmed_at -= 3600
    memory.release()
    memory.release()
    assert calls == [0]


def test_without_glibc_nothing_is_called(monkeypatch):
    monkeypatch.setattr(sys, "platform", "darwin")
    memory = FreeMemory(every=0)
    assert not memory.available
    memory.fix_thresholds()
    memory.release()
