"""The on-disk buffer of samples not yet accepted by the remote-write receiver.

One file per take (every push interval), named `<sequence>-<time ms>-<samples>.rw`, holding the
compressed request body: written atomically (temporary file, fsync, rename), read back in sequence
order, removed only once the receiver accepted it, so replay is in order and no sample is sent twice
by us. Bounded by size and age: past either cap the oldest files go first, and the samples they held
are counted (`dropped_samples`), never silently lost. No wire library is needed here.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

log = logging.getLogger(__name__)
NAME_RE = re.compile(r"^(\d{12})-(\d{1,16})-(\d{1,9})\.rw$")


@dataclass(frozen=True)
class Segment:
    path: Path
    sequence: int
    timestamp_ms: int  # when its samples were taken
    samples: int
    size: int


class PushBuffer:
    def __init__(self, folder: Path, *, max_bytes: int, max_age: timedelta) -> None:
        self.folder = folder
        self.max_bytes = max_bytes
        self.max_age = max_age
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.segments: list[Segment] = sorted(self._scan(), key=lambda s: s.sequence)
        self.dropped_samples = 0  # since the agent started: over a cap, or refused by the receiver
        self.dropped_reason: dict[str, int] = {}

    def _scan(self) -> list[Segment]:
        found = []
        for path in self.folder.iterdir():
            match = NAME_RE.match(path.name)
            if match is None:
                if path.name.endswith(".tmp"):  # a write cut short by a crash: never renamed, never sent
                    with contextlib.suppress(OSError):
                        path.unlink()
                continue
            seq, ts, samples = (int(g) for g in match.groups())
            found.append(Segment(path, seq, ts, samples, path.stat().st_size))
        return found

    @property
    def samples(self) -> int:
        return sum(s.samples for s in self.segments)

    @property
    def size(self) -> int:
        return sum(s.size for s in self.segments)

    def append(self, body: bytes, timestamp_ms: int, samples: int) -> Segment:
        sequence = self.segments[-1].sequence + 1 if self.segments else 1
        path = self.folder / f"{sequence:012d}-{timestamp_ms}-{samples}.rw"
        tmp = path.with_suffix(".tmp")
        with tmp.open("wb") as file:
            file.write(body)
            file.flush()
            os.fsync(file.fileno())
        tmp.replace(path)
        segment = Segment(path, sequence, timestamp_ms, samples, len(body))
        self.segments.append(segment)
        self.enforce_caps()
        return segment

    def enforce_caps(self, now_ms: int | None = None) -> None:
        now_ms = int(time.time() * 1000) if now_ms is None else now_ms
        oldest_kept = now_ms - int(self.max_age.total_seconds() * 1000)
        while self.segments and self.segments[0].timestamp_ms < oldest_kept:
            self.drop(self.segments[:1], "older than buffer_max_age")
        total = self.size
        while len(self.segments) > 1 and total > self.max_bytes:
            total -= self.segments[0].size
            self.drop(self.segments[:1], "over buffer_max_mb")

    def oldest(self, max_bytes: int) -> list[Segment]:
        """The oldest segments, in order, up to `max_bytes` of bodies (at least one)."""
        batch: list[Segment] = []
        total = 0
        for segment in self.segments:
            if batch and total + segment.size > max_bytes:
                break
            batch.append(segment)
            total += segment.size
        return batch

    def read(self, segment: Segment) -> bytes:
        return segment.path.read_bytes()

    def remove(self, segments: list[Segment]) -> None:
        """Forget segments the receiver accepted."""
        gone = {s.sequence for s in segments}
        self.segments = [s for s in self.segments if s.sequence not in gone]
        for segment in segments:
            with contextlib.suppress(FileNotFoundError):
                segment.path.unlink()

    def drop(self, segments: list[Segment], why: str) -> None:
        """Remove segments whose samples will never be sent, counted and logged."""
        count = sum(s.samples for s in segments)
        self.remove(segments)
        self.dropped_samples += count
        self.dropped_reason[why] = self.dropped_reason.get(why, 0) + count
        log.warning("push buffer: dropped %d sample(s), %s", count, why)
