"""The agent's state on disk: last snapshot per backend, depth history, audit log.

Snapshots and history live in one small TinyDB file written in batches (`flush`); the audit log is a
rotated JSON-lines journal beside it.
"""

from __future__ import annotations

import logging
from datetime import datetime
from pathlib import Path
from typing import Any

from tinydb import Query, TinyDB

from synctui.agent.history import History
from synctui.agent.journal import Journal
from synctui.agent.storage import AtomicJSONStorage
from synctui.model import DecodeError, Snapshot, from_data, to_data

log = logging.getLogger(__name__)
SCHEMA = 1


class Store:
    def __init__(self, state_dir: Path) -> None:
        self.dir = state_dir
        state_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.db = TinyDB(state_dir / "state.json", storage=AtomicJSONStorage)
        self.storage: AtomicJSONStorage = self.db.storage  # type: ignore[assignment]
        self._snapshots = self.db.table("snapshots")
        self._history = self.db.table("history")
        self.audit = Journal(state_dir / "audit.jsonl")
        self.archive = Journal(state_dir / "archive.jsonl", max_bytes=5_000_000, keep=None)
        self.histories: dict[str, History] = {}
        self._unsaved_history: set[str] = set()

    def last_snapshot(self, backend: str) -> Snapshot | None:
        doc = self._snapshots.get(Query().backend == backend)
        if not doc or doc.get("schema") != SCHEMA:
            return None
        try:
            return from_data(Snapshot, doc["data"])
        except (DecodeError, KeyError) as exc:
            log.warning("stored snapshot of %s is unreadable (%s); ignoring it", backend, exc)
            return None

    def save_snapshot(self, snapshot: Snapshot) -> None:
        doc = {"backend": snapshot.backend, "schema": SCHEMA, "data": to_data(snapshot)}
        self._snapshots.upsert(doc, Query().backend == snapshot.backend)

    def history(self, backend: str) -> History:
        if backend not in self.histories:
            doc = self._history.get(Query().backend == backend)
            self.histories[backend] = History(doc.get("points") if doc else None)
        return self.histories[backend]

    def record_depths(self, snapshot: Snapshot, at: datetime | None = None) -> bool:
        history = self.history(snapshot.backend)
        changed = history.add(snapshot.queues, at or snapshot.taken_at)
        if changed:
            self._unsaved_history.add(snapshot.backend)
        return changed

    def flush(self) -> bool:
        """Write everything pending in one atomic rewrite of the state file."""
        for backend in sorted(self._unsaved_history):
            points = self.histories[backend].points
            self._history.upsert({"backend": backend, "points": points}, Query().backend == backend)
        self._unsaved_history.clear()
        return self.storage.flush()

    def close(self) -> None:
        self.flush()
        self.db.close()

    def audit_record(self, record: dict[str, Any]) -> None:
        self.audit.append(record)

    @property
    def size_bytes(self) -> int:
        return sum(p.stat().st_size for p in self.dir.glob("*") if p.is_file())
