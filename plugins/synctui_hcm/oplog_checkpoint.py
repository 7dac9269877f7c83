"""WAL checkpoints off the event loop while the runner commits batch after batch.

SQLite checkpoints automatically on the committing connection once the WAL holds 1000 pages; each
checkpoint copies pages back into the database file and syncs it, ~10 ms that would stall the sync on
the event loop. During a sync-up the store turns that off on its own connection and has a short-lived
second connection checkpoint (PASSIVE: it never blocks readers or the writer) in a worker thread every
32 commits and once at the end. A checkpoint is housekeeping: if it fails or the process dies during it,
SQLite's WAL recovery makes that harmless and a later checkpoint does the work.
"""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path


class BackgroundCheckpoints:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._thread: threading.Thread | None = None

    def kick(self) -> None:
        """Start a checkpoint unless one is running."""
        if self._thread is not None and self._thread.is_alive():
            return
        self._thread = threading.Thread(target=self._checkpoint, name="synctui-hcm-checkpoint", daemon=True)
        self._thread.start()

    def join(self) -> None:
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def _checkpoint(self) -> None:
        try:
            conn = sqlite3.connect(self.path, timeout=1.0, isolation_level=None, check_same_thread=False)
            try:
                conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
            finally:
                conn.close()
        except sqlite3.Error:
            pass  # see the module docstring
