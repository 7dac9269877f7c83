"""The agent's state on disk: last snapshot per backend, depth history, audit log.

Snapshots and history live in one small TinyDB file written in batches (`flush`); the audit log is a
rotated JSON-lines journal beside it.
"""

from __future__ import annotations

import contextlib
import logging
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from tinydb import Query, TinyDB

from synctui.agent.history import History
from synctui.agent.journal import Journal, KiB, MiB
from synctui.agent.storage import AtomicJSONStorage, remove_orphan_temp_files
from synctui.model import DecodeError, Snapshot, from_data, to_data

log = logging.getLogger(__name__)
SCHEMA = 1


class Store:
    def __init__(self, state_dir: Path) -> None:
        self.dir = state_dir
        state_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        remove_orphan_temp_files(state_dir)
        self.db = TinyDB(state_dir / "state.json", storage=AtomicJSONStorage)
        self.storage: AtomicJSONStorage = self.db.storage  # type: ignore[assignment]
        self._snapshots = self.db.table("snapshots")
        self._history = self.db.table("history")
        self._drop_unusable_documents()
        # One audit record stays small whatever a request held (long fields are shortened); an
        # archive record is kept whole or refused (the discard it protects is then refused too).
        self.audit = Journal(
            state_dir / "audit.jsonl", max_record=64 * KiB, oversize="shorten", label="the audit log"
        )
        self.archive = Journal(
            state_dir / "archive.jsonl",
            max_bytes=5_000_000,
            keep=None,
            max_record=16 * MiB,
            oversize="refuse",
            label="the archive",
        )
        self.histories: dict[str, History] = {}
        self._unsaved_history: set[str] = set()

    def _drop_unusable_documents(self) -> None:
        """A document of the wrong type (a hand edit, an older or newer version) is dropped with a
        warning; it would otherwise linger beside the one the agent writes."""
        checks = ((self._snapshots, _snapshot_doc_ok), (self._history, _history_doc_ok))
        for table, ok in checks:
            bad = [doc.doc_id for doc in table.all() if not ok(doc)]
            if bad:
                table.remove(doc_ids=bad)
                log.warning(
                    "state file: dropped %d unusable document(s) of table %r; they are rebuilt",
                    len(bad),
                    table.name,
                )

    def last_snapshot(self, backend: str) -> Snapshot | None:
        doc = self._snapshots.get(Query().backend == backend)
        if not doc or doc.get("schema") != SCHEMA:
            return None
        try:
            return from_data(Snapshot, doc["data"])
        except (DecodeError, KeyError, TypeError, ValueError, AttributeError, RecursionError) as exc:
            log.warning("stored snapshot of %s is unreadable (%s); ignoring it", backend, exc)
            return None

    def save_snapshot(self, snapshot: Snapshot) -> None:
        doc = {"backend": snapshot.backend, "schema": SCHEMA, "data": to_data(snapshot)}
        self._snapshots.upsert(doc, Query().backend == snapshot.backend)

    def history(self, backend: str) -> History:
        if backend not in self.histories:
            doc = self._history.get(Query().backend == backend)
            points = doc.get("points") if doc else None
            history = History(points if isinstance(points, list) else None)
            history.mark_gap(int(time.time()))  # what happened while the agent was down is not known
            self.histories[backend] = history
        return self.histories[backend]

    def record_depths(self, snapshot: Snapshot, at: datetime | None = None) -> bool:
        history = self.history(snapshot.backend)
        changed = history.add(snapshot.queues, at or snapshot.taken_at)
        if changed:
            self._unsaved_history.add(snapshot.backend)
        return changed

    @property
    def pending(self) -> bool:
        """Something waits to be written by `flush`."""
        return bool(self._unsaved_history) or self.storage.dirty

    def flush(self) -> bool:
        """Write everything pending in one atomic rewrite of the state file."""
        for backend in sorted(self._unsaved_history):
            points = self.histories[backend].points
            self._history.upsert({"backend": backend, "points": points}, Query().backend == backend)
        self._unsaved_history.clear()
        return self.storage.flush()

    def close(self) -> None:
        with contextlib.suppress(OSError):  # said once by the storage's close, just below
            self.flush()
        self.db.close()

    def audit_record(self, record: dict[str, Any]) -> None:
        self.audit.append(record)

    @property
    def size_bytes(self) -> int:
        return sum(p.stat().st_size for p in self.dir.glob("*") if p.is_file())


def _snapshot_doc_ok(doc: dict[str, Any]) -> bool:
    return isinstance(doc.get("backend"), str) and isinstance(doc.get("data"), dict)


def _history_doc_ok(doc: dict[str, Any]) -> bool:
    return isinstance(doc.get("backend"), str) and isinstance(doc.get("points"), list)
