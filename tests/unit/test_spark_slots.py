"""With --low-bandwidth a card's sparkline is resampled at the start of its slot: it moves by whole
slots, so the pushes in between leave it (and the bytes to the terminal) unchanged."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from synctui.model import DepthPoint, QueueKind
from synctui.tui.history import resample, slot_start

SPAN, WIDTH = timedelta(hours=6), 24  # slots of 15 minutes
T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


def test_slot_start_is_floored_to_the_slot_grid() -> None:
    assert slot_start(T0, WIDTH, SPAN) == T0
    assert slot_start(T0 + timedelta(minutes=14, seconds=59), WIDTH, SPAN) == T0
    assert slot_start(T0 + timedelta(minutes=15), WIDTH, SPAN) == T0 + timedelta(minutes=15)
    assert slot_start(T0 - timedelta(seconds=1), WIDTH, SPAN) == T0 - timedelta(minutes=15)


def test_resampled_at_the_slot_start_the_line_holds_between_slots() -> None:
    history = [
        DepthPoint(T0 - timedelta(hours=7), {QueueKind.OUTBOX: 1}),
        DepthPoint(T0 - timedelta(hours=2, minutes=7), {QueueKind.OUTBOX: 5}),
    ]
    lines = {
        tuple(
            resample(
                history, QueueKind.OUTBOX, slot_start(T0 + timedelta(seconds=s), WIDTH, SPAN), WIDTH, SPAN
            )
        )
        for s in range(0, 15 * 60, 5)
    }
    assert len(lines) == 1
    moving = {
        tuple(resample(history, QueueKind.OUTBOX, T0 + timedelta(seconds=s), WIDTH, SPAN))
        for s in range(0, 15 * 60, 5)
    }
    assert len(moving) > 1  # resampled at each push's own time, it moves in between
