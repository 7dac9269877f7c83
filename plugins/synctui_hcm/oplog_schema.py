"""The OpLog file's layout: the app's `oplog` table, synctui's side tables, the SQL that sorts rows into
queues, the row type, and opening or creating the file."""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from synctui.model import DecodeError, QueueKind, Rejection, from_data

from .wire import NOT_AWAITED_TYPES, QUEUED_OPERATIONS

Query = Callable[[str, Any], list[Any]]  # (sql, params) -> rows
Statement = tuple[str, Any]  # (sql, params); a list of params runs as executemany

OPLOG_DDL = """
CREATE TABLE IF NOT EXISTS oplog (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    entityString        TEXT    NOT NULL,
    entityType          TEXT    NOT NULL,
    operation           TEXT    NOT NULL,
    clientReferenceId   TEXT,
    serverGeneratedId   TEXT,
    createdBy           TEXT    NOT NULL,
    createdAt           INTEGER NOT NULL,
    syncedUp            INTEGER NOT NULL DEFAULT 0,
    syncedUpOn          INTEGER,
    syncedDown          INTEGER NOT NULL DEFAULT 0,
    syncedDownOn        INTEGER,
    additionalIds       TEXT    NOT NULL DEFAULT '[]',
    rowVersion          INTEGER NOT NULL DEFAULT 1,
    syncDownRetryCount  INTEGER NOT NULL DEFAULT 0,
    nonRecoverableError INTEGER NOT NULL DEFAULT 0
)
"""

STATE_DDL = """
CREATE TABLE IF NOT EXISTS synctui_oplog_state (
    oplogId      INTEGER PRIMARY KEY,
    sendCount    INTEGER NOT NULL DEFAULT 0,
    lastSentAt   INTEGER,
    lastError    TEXT,
    discardedAt  INTEGER
);
CREATE TABLE IF NOT EXISTS synctui_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""

OPLOG_COLUMNS = (
    "id", "entityString", "entityType", "operation", "clientReferenceId", "serverGeneratedId",
    "createdBy", "createdAt", "syncedUp", "syncedUpOn", "syncedDown", "syncedDownOn", "additionalIds",
    "rowVersion", "syncDownRetryCount", "nonRecoverableError",
)  # fmt: skip

OPS_SQL = ",".join(f"'{op}'" for op in QUEUED_OPERATIONS)
NOT_AWAITED_SQL = ",".join(f"'{t}'" for t in NOT_AWAITED_TYPES)
# Rows whose confirmation searches ran out without finding them (or their change) may only be late: the
# server saves what it accepted after a delay. They await one more search at the next sync (in the
# inbox), and count as conflicts only if that search misses them too (their code changes then).
LATE_CODES = frozenset({"NOT_CONFIRMED", "UPDATE_NOT_APPLIED"})
LATE_SQL = (
    "COALESCE(o.nonRecoverableError = 1 AND o.syncedUp = 1 AND o.syncedDown = 0 AND (CASE WHEN "
    "json_valid(s.lastError) THEN json_extract(s.lastError, '$.code') END) IN ("
    + ",".join(f"'{c}'" for c in sorted(LATE_CODES))
    + "), 0)"
)
# Row states as SQL over `o` (oplog) LEFT JOIN `s` (synctui_oplog_state); :max = confirmation attempts.
LIVE = f"s.discardedAt IS NULL AND o.operation IN ({OPS_SQL})"
OUTBOX_SQL = f"{LIVE} AND o.nonRecoverableError = 0 AND o.syncedUp = 0"
INBOX_SQL = (
    f"{LIVE} AND ((o.nonRecoverableError = 0 AND o.syncedUp = 1 AND o.syncedDown = 0 "
    f"AND o.syncDownRetryCount < :max AND o.entityType NOT IN ({NOT_AWAITED_SQL})) OR {LATE_SQL})"
)
CONFLICTS_SQL = (
    f"{LIVE} AND (o.nonRecoverableError = 1 "
    f"OR (o.syncedUp = 1 AND o.syncedDown = 0 AND o.syncDownRetryCount >= :max)) AND NOT {LATE_SQL}"
)
NOT_DONE_SQL = (
    f"{LIVE} AND NOT (o.syncedUp = 1 AND o.nonRecoverableError = 0 "
    f"AND (o.syncedDown = 1 OR o.entityType IN ({NOT_AWAITED_SQL})))"
)
QUEUE_SQL = {QueueKind.OUTBOX: OUTBOX_SQL, QueueKind.INBOX: INBOX_SQL, QueueKind.CONFLICTS: CONFLICTS_SQL}
FROM = "oplog o LEFT JOIN synctui_oplog_state s ON s.oplogId = o.id"


class OpLogMissing(Exception):
    """The file or its `oplog` table does not exist."""


def now_ms() -> int:
    return int(time.time() * 1000)


def to_datetime(value: Any) -> datetime | None:
    """createdAt & co. are epoch milliseconds; ISO-8601 text from an export is accepted too."""
    if value is None:
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return datetime.fromtimestamp(value / 1000, UTC)
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            return None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return None


def create_oplog(path: Path) -> None:
    """Create an empty OpLog file (for the field-worker generator, the demo and tests)."""
    conn = sqlite3.connect(path)
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute(OPLOG_DDL)
        conn.commit()
    finally:
        conn.close()


@dataclass(frozen=True)
class OpRow:
    """An OpLog row's metadata and sync state (no entity text)."""

    id: int
    entity_type: str
    operation: str
    cref: str | None
    server_id: str | None
    created_by: str
    created_at: Any
    synced_up: bool
    synced_up_on: Any
    synced_down: bool
    synced_down_on: Any
    row_version: int
    retries: int
    non_recoverable: bool
    send_count: int
    last_sent_at: int | None
    last_error: Rejection | None
    discarded: bool = False

    @property
    def key(self) -> tuple[str, str | None]:
        return (self.entity_type, self.cref)

    @property
    def late(self) -> bool:
        """Its confirmation searches ran out without finding it: it awaits one more search at the next
        sync before it counts as a conflict (see LATE_CODES)."""
        return (
            self.non_recoverable
            and self.synced_up
            and not self.synced_down
            and self.last_error is not None
            and self.last_error.code in LATE_CODES
        )

    @property
    def pending_up(self) -> bool:
        """In the outbox: live, not given up on, not synced up."""
        return (
            not self.synced_up
            and not self.non_recoverable
            and not self.discarded
            and self.operation in QUEUED_OPERATIONS
        )

    def queue(self, max_attempts: int) -> QueueKind | None:
        if self.discarded or self.operation not in QUEUED_OPERATIONS:
            return None
        if self.non_recoverable:
            return QueueKind.INBOX if self.late else QueueKind.CONFLICTS
        if not self.synced_up:
            return QueueKind.OUTBOX
        if not self.synced_down and self.entity_type not in NOT_AWAITED_TYPES:
            return QueueKind.INBOX if self.retries < max_attempts else QueueKind.CONFLICTS
        return None


ROW_SELECT = (
    "o.id, o.entityType, o.operation, o.clientReferenceId, o.serverGeneratedId, o.createdBy, o.createdAt, "
    "o.syncedUp, o.syncedUpOn, o.syncedDown, o.syncedDownOn, o.rowVersion, o.syncDownRetryCount, "
    "o.nonRecoverableError, COALESCE(s.sendCount, 0), s.lastSentAt, s.lastError, s.discardedAt"
)


def decode_rejection(text: str | None) -> Rejection | None:
    if not text:
        return None
    try:
        return from_data(Rejection, json.loads(text))
    except (ValueError, DecodeError):
        return None


_OPROW_FIELDS = tuple(OpRow.__dataclass_fields__)
_new_object = object.__new__


def op_row(r: Sequence[Any]) -> OpRow:
    # The runner reads every unfinished row before each pass (10,000s): fill the frozen dataclass's
    # __dict__ directly instead of going through its __init__ (one object.__setattr__ per field).
    row = _new_object(OpRow)
    row.__dict__.update(
        zip(
            _OPROW_FIELDS,
            (
                r[0],
                str(r[1]),
                str(r[2]),
                r[3],
                r[4],
                str(r[5]),
                r[6],
                bool(r[7]),
                r[8],
                bool(r[9]),
                r[10],
                int(r[11] or 1),
                int(r[12] or 0),
                bool(r[13]),
                int(r[14] or 0),
                r[15],
                decode_rejection(r[16]) if r[16] else None,
                r[17] is not None,
            ),
            strict=True,
        )
    )
    return row


def open_oplog(path: Path) -> sqlite3.Connection:
    """Open an existing OpLog, check its columns and add synctui's tables. Raises OpLogMissing."""
    if not path.is_file():
        raise OpLogMissing(f"no OpLog file at {path}")
    conn = sqlite3.connect(path, timeout=5.0, isolation_level=None, check_same_thread=False)
    try:
        has = conn.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name='oplog'").fetchone()
        if not has:
            raise OpLogMissing(f"{path} has no table named oplog")
        columns = {row[1] for row in conn.execute("PRAGMA table_info(oplog)")}
        missing = [c for c in OPLOG_COLUMNS if c not in columns]
        if missing:
            raise OpLogMissing(f"the oplog table of {path} lacks columns: {', '.join(missing)}")
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        # The connection lives as long as the agent: SQLite's default 2 MB page cache would fill with
        # the OpLog's pages as it grows. Counts and pages come through indexes; the OS caches the file.
        conn.execute("PRAGMA cache_size=-512")
        conn.executescript(STATE_DDL)
    except sqlite3.DatabaseError as exc:
        conn.close()
        raise OpLogMissing(f"{path} is not a readable SQLite OpLog ({exc})") from None
    except OpLogMissing:
        conn.close()
        raise
    return conn
