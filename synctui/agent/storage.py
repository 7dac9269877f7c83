"""A TinyDB storage that never leaves a torn file, and writes only when asked to.

TinyDB rewrites its whole file on every write, so the agent batches: updates go to memory and
`flush()` writes everything at once through a temp file, fsync and rename. A crash (kill -9, power
cut) leaves either the old file or the new one, never half of each.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import time
from pathlib import Path
from typing import Any

from tinydb.storages import Storage

log = logging.getLogger(__name__)


def write_atomically(path: Path, text: str) -> None:
    """Replace `path` with `text` so that readers see the old or the new content, nothing else."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


class AtomicJSONStorage(Storage):
    """JSON storage for TinyDB with in-memory writes and an explicit, atomic `flush()`."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._data: dict[str, dict[str, Any]] | None = None
        self.dirty = False
        self.writes = 0

    def read(self) -> dict[str, dict[str, Any]] | None:
        if self._data is None:
            self._data = self._load()
        return self._data

    def _load(self) -> dict[str, dict[str, Any]] | None:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        try:
            data = json.loads(text)
            if not isinstance(data, dict):
                raise ValueError("top level is not an object")
            return data
        except ValueError as exc:
            # Cannot happen through our own writes; a disk fault or a hand edit. Keep the evidence.
            aside = self.path.with_name(f"{self.path.name}.corrupt-{int(time.time())}")
            os.replace(self.path, aside)
            log.warning(
                "state file %s was unreadable (%s); moved to %s, starting empty", self.path, exc, aside
            )
            return None

    def write(self, data: dict[str, dict[str, Any]]) -> None:
        self._data = data
        self.dirty = True

    def flush(self) -> bool:
        """Write pending changes; True when something was written."""
        if not self.dirty or self._data is None:
            return False
        write_atomically(self.path, json.dumps(self._data, separators=(",", ":")))
        self.dirty = False
        self.writes += 1
        return True

    def close(self) -> None:
        self.flush()
