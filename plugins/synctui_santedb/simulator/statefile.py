"""Writes the simulator's state to a JSON file on every change, like a dCDR writing its database.

Written in place by default (same inode: the new bytes go over the old ones at offset 0, then the file
is truncated to the new length), because that is how a real dCDR's SQLite database changes and because
a watcher of the file path (watchfiles/inotify) keeps receiving events; an atomic `os.replace` swaps the
inode and a watch on the path itself goes silent after the first change (measured with watchfiles 1.3).
The price: a reader racing a write can see a torn document, so readers must treat a JSON error as
"changed, read again" (the file is a trigger; the HTTP API is the source of truth). `atomic=True`
(temp file + `os.replace`) is available for readers that watch the directory instead.
No fsync: latency from mutation to disk matters more than durability here. The write is synchronous in
the mutating call, so the file is updated before the HTTP response that caused the change goes out.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from pathlib import Path

from .state import SimulatorState


class StateFileWriter:
    """Listener for `SimulatorState.listeners`; `attach()` registers it and writes once."""

    def __init__(self, path: Path | str, atomic: bool = False) -> None:
        self.path = Path(path)
        self.atomic = atomic
        self.writes = 0

    def attach(self, state: SimulatorState) -> StateFileWriter:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        state.listeners.append(self)
        self(state)
        return self

    def detach(self, state: SimulatorState) -> None:
        if self in state.listeners:
            state.listeners.remove(self)

    def __call__(self, state: SimulatorState) -> None:
        data = json.dumps(state.dump(), indent=1).encode()
        if self.atomic:
            self._replace(data)
        else:
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT, 0o644)
            try:
                os.pwrite(fd, data, 0)
                os.ftruncate(fd, len(data))
            finally:
                os.close(fd)
        self.writes += 1

    def _replace(self, data: bytes) -> None:
        fd, tmp = tempfile.mkstemp(prefix=f".{self.path.name}.", suffix=".tmp", dir=self.path.parent)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.replace(tmp, self.path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
