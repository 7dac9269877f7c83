"""Queue-depth history as a sparkline (no Textual). "Stuck" is judged by synctui.verdict."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from synctui.model import DepthPoint, QueueKind
from synctui.verdict import depth_points


def resample(
    history: Sequence[DepthPoint] | None, kind: QueueKind, now: datetime, width: int, span: timedelta
) -> list[int | None]:
    """The depth at the end of each of `width` equal slots up to `now` (a step function; None = unknown)."""
    points = depth_points(history, kind)
    if not points or width <= 0:
        return []
    start = max(points[0][0], now - span)
    step = (now - start) / width if now > start else timedelta(0)
    values: list[int | None] = []
    index = -1
    for slot in range(1, width + 1):
        edge = start + step * slot
        while index + 1 < len(points) and points[index + 1][0] <= edge:
            index += 1
        values.append(points[index][1] if index >= 0 else None)
    return values


def slot_start(now: datetime, width: int, span: timedelta) -> datetime:
    """`now` floored to a slot of `resample(..., width, span)` (on a grid from the epoch): resampled at
    that time, a sparkline changes only when a whole slot has passed or the history changed."""
    slot = (span / max(width, 1)).total_seconds()
    return datetime.fromtimestamp(now.timestamp() // slot * slot, now.tzinfo)


SPARK_UNICODE = " ▁▂▃▄▅▆▇█"


def sparkline(values: Sequence[int | None], chars: str = SPARK_UNICODE) -> str:
    known = [v for v in values if v is not None]
    if not known:
        return ""
    top = max(known)
    levels = len(chars) - 1
    out = []
    for value in values:
        if value is None:
            out.append(" ")
        elif top == 0:
            out.append(chars[1])
        else:
            out.append(chars[max(1, round(value / top * levels))])
    return "".join(out)
