"""The admin PIN: the lockout escalates, survives a restart, and the hash runs off the event loop."""

from __future__ import annotations

import asyncio
import json
import logging
import time

import pytest

from synctui.actions import action
from synctui.agent import guard as guard_module
from synctui.agent.guard import MAX_LOCKOUT_SECONDS, Guard, Refused, lockout_seconds
from synctui.pin import hash_pin

PIN = "2468"
WRONG = "1357"
DISCARD = action("discard")
HASH = hash_pin(PIN, iterations=1000)  # fast: these tests are about the counting


class Clocks:
    def __init__(self) -> None:
        self.mono = 1000.0
        self.wall = 1_800_000_000.0

    def advance(self, seconds: float) -> None:
        self.mono += seconds
        self.wall += seconds


def make_guard(tmp_path, clocks: Clocks, pin_hash: str = HASH) -> Guard:
    return Guard(
        readonly=False,
        pin_hash=pin_hash,
        clock=lambda: clocks.mono,
        wall_clock=lambda: clocks.wall,
        state_path=tmp_path / "pin-lockout.json",
    )


def status(guard: Guard, pin: str | None) -> int:
    try:
        guard.check(DISCARD, pin)
    except Refused as exc:
        return exc.status
    return 200


def fail_until_locked(guard: Guard) -> None:
    for _ in range(5):
        assert status(guard, WRONG) == 403
    assert status(guard, WRONG) == 429


def test_the_lockout_doubles_and_is_capped():
    assert [lockout_seconds(n) for n in range(1, 9)] == [60, 120, 240, 480, 960, 1920, 3600, 3600]
    assert lockout_seconds(10_000) == MAX_LOCKOUT_SECONDS


def test_each_further_lockout_lasts_twice_as_long(tmp_path):
    clocks = Clocks()
    guard = make_guard(tmp_path, clocks)
    for expected in (60, 120, 240):
        fail_until_locked(guard)
        assert guard.locked_for() == expected
        assert status(guard, PIN) == 429  # even the right PIN waits
        clocks.advance(expected - 1)
        assert status(guard, PIN) == 429
        clocks.advance(1)
    assert status(guard, PIN) == 200  # the right PIN starts over
    fail_until_locked(guard)
    assert guard.locked_for() == 60


def test_a_day_without_a_wrong_pin_starts_the_escalation_over(tmp_path):
    clocks = Clocks()
    guard = make_guard(tmp_path, clocks)
    fail_until_locked(guard)
    clocks.advance(60)
    fail_until_locked(guard)
    assert guard.locked_for() == 120
    clocks.advance(2 * 86400)
    fail_until_locked(guard)
    assert guard.locked_for() == 60


def test_the_count_and_the_lockout_survive_a_restart(tmp_path, caplog):
    clocks = Clocks()
    guard = make_guard(tmp_path, clocks)
    with caplog.at_level(logging.DEBUG):
        fail_until_locked(guard)
        clocks.advance(30)
        restarted = make_guard(tmp_path, clocks)  # a new process: a new monotonic clock origin too
        assert status(restarted, PIN) == 429
        assert restarted.locked_for() == pytest.approx(30)
        clocks.advance(30)
        for _ in range(3):
            assert status(restarted, WRONG) == 403
        again = make_guard(tmp_path, clocks)
        assert status(again, WRONG) == 403
        assert status(again, WRONG) == 403  # the 5th in a row, across two restarts
        assert again.locked_for() == 120  # and the escalation was remembered
    saved = (tmp_path / "pin-lockout.json").read_text()
    assert json.loads(saved)["lockouts"] == 2
    for text in (saved, caplog.text):  # the PIN is never written down
        assert PIN not in text and WRONG not in text


def test_a_clock_stepped_back_never_locks_longer_than_the_longest_lockout(tmp_path):
    clocks = Clocks()
    (tmp_path / "pin-lockout.json").write_text(
        json.dumps({"failures": 0, "lockouts": 3, "locked_until": clocks.wall + 10 * 365 * 86400})
    )
    assert make_guard(tmp_path, clocks).locked_for() == MAX_LOCKOUT_SECONDS


@pytest.mark.parametrize("content", [b"\xff\xfe", b"[1]", b'{"failures": "x", "locked_until": NaN}', b""])
def test_a_damaged_lockout_file_starts_a_fresh_count(tmp_path, content):
    (tmp_path / "pin-lockout.json").write_bytes(content)
    guard = make_guard(tmp_path, Clocks())
    assert guard.locked_for() == 0
    assert status(guard, PIN) == 200


def test_a_lone_surrogate_or_a_huge_pin_is_just_wrong(tmp_path):
    guard = make_guard(tmp_path, Clocks())
    assert status(guard, "\ud800") == 403
    assert status(guard, "9" * 1_000_000) == 403


async def test_the_hash_runs_off_the_event_loop(tmp_path):
    guard = make_guard(tmp_path, Clocks(), pin_hash=hash_pin(PIN))  # the real cost (~0.2 s)
    gaps: list[float] = []
    done = asyncio.Event()

    async def ticker() -> None:
        last = time.perf_counter()
        while not done.is_set():
            await asyncio.sleep(0.005)
            now = time.perf_counter()
            gaps.append(now - last)
            last = now

    task = asyncio.create_task(ticker())
    started = time.perf_counter()
    await guard.check_async(DISCARD, PIN)
    with pytest.raises(Refused):
        await guard.check_async(DISCARD, WRONG)
    elapsed = time.perf_counter() - started
    done.set()
    await task
    assert elapsed > 0.05  # the hash did run
    assert max(gaps) < 0.05, f"the event loop stalled for {max(gaps):.3f} s"


async def test_parallel_guesses_cannot_slip_past_the_count(tmp_path, monkeypatch):
    guard = make_guard(tmp_path, Clocks())
    hashed = 0
    real = guard_module.verify_pin

    def counting(pin, pin_hash):
        nonlocal hashed
        hashed += 1
        time.sleep(0.01)
        return real(pin, pin_hash)

    monkeypatch.setattr(guard_module, "verify_pin", counting)
    results = await asyncio.gather(
        *(guard.check_async(DISCARD, WRONG) for _ in range(20)), return_exceptions=True
    )
    statuses = sorted(r.status for r in results if isinstance(r, Refused))
    assert statuses == [403] * 5 + [429] * 15
    assert hashed == 5
