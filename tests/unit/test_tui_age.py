"""Ages on screen are floored and coarse, so that they seldom change (each change is bytes sent)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from synctui.tui.format import age, ago


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, "<10s"),
        (9, "<10s"),
        (10, "10s"),
        (19, "10s"),
        (59, "50s"),
        (60, "1m"),
        (59 * 60 + 59, "59m"),
        (3600, "1h"),
        (3600 + 9 * 60, "1h"),
        (2 * 3600 + 53 * 60, "2h 50m"),
        (26 * 3600 + 59 * 60, "1d 2h"),
        (-5, "<10s"),
    ],
)
def test_age_is_floored_in_coarse_steps(seconds: int, text: str) -> None:
    assert age(timedelta(seconds=seconds)) == text


UNIT = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def seconds_shown(text: str) -> int:
    return sum(int(part[:-1]) * UNIT[part[-1]] for part in text.lstrip("<").split())


def test_age_never_claims_more_time_than_passed_and_lags_by_less_than_a_step() -> None:
    for seconds in range(10, 3 * 86400, 13):
        shown = seconds_shown(age(timedelta(seconds=seconds)))
        step = 10 if seconds < 60 else 60 if seconds < 3600 else 600 if seconds < 86400 else 3600
        assert seconds - step < shown <= seconds, (seconds, shown)


def test_ago_words() -> None:
    now = datetime(2026, 1, 1, 12, tzinfo=UTC)
    assert ago(now - timedelta(seconds=4), now) == "just now"
    assert ago(now - timedelta(seconds=7), now) == "<10s ago"
    assert ago(now + timedelta(seconds=30), now) == "in 30s"
    assert ago(None, now) == "never"


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0, "<1m"), (10, "<1m"), (59, "<1m"), (60, "1m"), (119, "1m"), (3600 + 9 * 60, "1h"), (-30, "<1m")],
)
def test_minute_ages_say_less_than_a_minute_under_one(seconds: int, text: str) -> None:
    assert age(timedelta(seconds=seconds), minutes=True) == text


def test_minute_ago_words() -> None:
    now = datetime(2026, 1, 1, 12, tzinfo=UTC)
    assert ago(now - timedelta(seconds=4), now, minutes=True) == "<1m ago"
    assert ago(now - timedelta(seconds=75), now, minutes=True) == "1m ago"
    assert ago(now + timedelta(seconds=30), now, minutes=True) == "in <1m"
    assert ago(None, now, minutes=True) == "never"
