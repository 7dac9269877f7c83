"""Append-only JSON-lines files, rotated by size: the audit log and the archive of discarded entries.

What only grows does not belong in TinyDB (which rewrites its whole file on each write). Each record
is one line written with a single `write` on an O_APPEND descriptor and fsynced, so a crash loses at
most the line being written, and a torn last line is skipped when reading.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any


class Journal:
    def __init__(self, path: Path, *, max_bytes: int = 1_000_000, keep: int | None = 10) -> None:
        """`keep=None` never deletes rotated files (the archive: nothing discarded is ever lost)."""
        self.path = path
        self.max_bytes = max_bytes
        self.keep = keep
        path.parent.mkdir(parents=True, exist_ok=True)

    def append(self, record: dict[str, Any]) -> None:
        line = json.dumps(record, separators=(",", ":"), ensure_ascii=False, default=str) + "\n"
        self._rotate_if_needed(len(line.encode()))
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, line.encode())
            os.fsync(fd)
        finally:
            os.close(fd)

    def _rotate_if_needed(self, incoming: int) -> None:
        try:
            size = self.path.stat().st_size
        except FileNotFoundError:
            return
        if size + incoming <= self.max_bytes:
            return
        rotated = self._rotated()
        for n, p in reversed(rotated):
            if self.keep is not None and n >= self.keep:
                p.unlink(missing_ok=True)
            else:
                os.replace(p, self._name(n + 1))
        os.replace(self.path, self._name(1))

    def _name(self, n: int) -> Path:
        return self.path.with_name(f"{self.path.name}.{n}")

    def _rotated(self) -> list[tuple[int, Path]]:
        found = []
        for p in self.path.parent.glob(f"{self.path.name}.*"):
            suffix = p.name.rsplit(".", 1)[-1]
            if suffix.isdigit():
                found.append((int(suffix), p))
        return sorted(found)

    def read(self, limit: int | None = None) -> list[dict[str, Any]]:
        """Newest last; with `limit`, only the newest `limit` records."""
        records: list[dict[str, Any]] = []
        files = [p for _, p in reversed(self._rotated())] + [self.path]
        for p in files:
            records.extend(_lines(p))
        return records[-limit:] if limit else records


def _lines(path: Path) -> Iterator[dict[str, Any]]:
    try:
        handle = path.open(encoding="utf-8")
    except FileNotFoundError:
        return
    with handle:
        for line in handle:
            try:
                record = json.loads(line)
            except ValueError:
                continue  # a torn last line after a crash
            if isinstance(record, dict):
                yield record
