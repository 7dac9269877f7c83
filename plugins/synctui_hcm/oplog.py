"""The device's OpLog in SQLite: one row per local save (reference §1), plus synctui's own side table.

The adapter writes only the sync-state columns of `oplog` (see README.md) and its own tables
`synctui_oplog_state` (per-row: send count, last error, discard mark) and `synctui_meta`. It never
deletes a row and never rewrites `entityString`.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from synctui.model import DecodeError, QueueKind, Rejection, from_data, to_data
from synctui_hcm.wire import QUEUED_OPERATIONS

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

_OPS = ",".join(f"'{op}'" for op in QUEUED_OPERATIONS)
# Row states as SQL over `o` (oplog) LEFT JOIN `s` (synctui_oplog_state); :max = confirmation attempts.
LIVE = f"s.discardedAt IS NULL AND o.operation IN ({_OPS})"
OUTBOX_SQL = f"{LIVE} AND o.nonRecoverableError = 0 AND o.syncedUp = 0"
INBOX_SQL = (
    f"{LIVE} AND o.nonRecoverableError = 0 AND o.syncedUp = 1 AND o.syncedDown = 0 "
    "AND o.syncDownRetryCount < :max"
)
CONFLICTS_SQL = (
    f"{LIVE} AND (o.nonRecoverableError = 1 "
    "OR (o.syncedUp = 1 AND o.syncedDown = 0 AND o.syncDownRetryCount >= :max))"
)
NOT_DONE_SQL = f"{LIVE} AND NOT (o.syncedUp = 1 AND o.syncedDown = 1 AND o.nonRecoverableError = 0)"
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

    def queue(self, max_attempts: int) -> QueueKind | None:
        if self.discarded or self.operation not in QUEUED_OPERATIONS:
            return None
        if self.non_recoverable:
            return QueueKind.CONFLICTS
        if not self.synced_up:
            return QueueKind.OUTBOX
        if not self.synced_down:
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


def _row(r: Sequence[Any]) -> OpRow:
    return OpRow(
        id=r[0],
        entity_type=str(r[1]),
        operation=str(r[2]),
        cref=r[3],
        server_id=r[4],
        created_by=str(r[5]),
        created_at=r[6],
        synced_up=bool(r[7]),
        synced_up_on=r[8],
        synced_down=bool(r[9]),
        synced_down_on=r[10],
        row_version=int(r[11] or 1),
        retries=int(r[12] or 0),
        non_recoverable=bool(r[13]),
        send_count=int(r[14] or 0),
        last_sent_at=r[15],
        last_error=decode_rejection(r[16]),
        discarded=r[17] is not None,
    )


class OpLogStore:
    """One connection to the OpLog file. Synchronous and quick; callers keep queries paged."""

    def __init__(self, path: Path, max_attempts: int) -> None:
        self.path = path
        self.max_attempts = max_attempts
        self._conn: sqlite3.Connection | None = None

    # --- connection ---------------------------------------------------------------------------

    @property
    def conn(self) -> sqlite3.Connection:
        if self._conn is None:
            self._conn = self._open()
        return self._conn

    def _open(self) -> sqlite3.Connection:
        if not self.path.is_file():
            raise OpLogMissing(f"no OpLog file at {self.path}")
        conn = sqlite3.connect(self.path, timeout=5.0, isolation_level=None, check_same_thread=False)
        try:
            has = conn.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name='oplog'").fetchone()
            if not has:
                raise OpLogMissing(f"{self.path} has no table named oplog")
            columns = {row[1] for row in conn.execute("PRAGMA table_info(oplog)")}
            missing = [c for c in OPLOG_COLUMNS if c not in columns]
            if missing:
                raise OpLogMissing(f"the oplog table of {self.path} lacks columns: {', '.join(missing)}")
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.executescript(STATE_DDL)
        except sqlite3.DatabaseError as exc:
            conn.close()
            raise OpLogMissing(f"{self.path} is not a readable SQLite OpLog ({exc})") from None
        except OpLogMissing:
            conn.close()
            raise
        return conn

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def _query(self, sql: str, params: Any = ()) -> list[Any]:
        return self.conn.execute(sql, params).fetchall()

    def _write(self, statements: Iterable[tuple[str, Any]]) -> None:
        conn = self.conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            for sql, params in statements:
                if isinstance(params, list):
                    conn.executemany(sql, params)
                else:
                    conn.execute(sql, params)
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    # --- reading --------------------------------------------------------------------------------

    def counts(self) -> dict[str, Any]:
        """Queue sizes, oldest createdAt per queue, distinct entities pending up, HCM's own count."""
        p = {"max": self.max_attempts}
        out: dict[str, Any] = {}
        for kind, where in QUEUE_SQL.items():
            count, oldest = self._query(f"SELECT COUNT(*), MIN(o.createdAt) FROM {FROM} WHERE {where}", p)[0]
            out[kind] = (count, oldest)
        out["entities"] = self._query(
            f"SELECT COUNT(*) FROM (SELECT DISTINCT o.entityType, o.clientReferenceId FROM {FROM} "
            f"WHERE {OUTBOX_SQL})",
            p,
        )[0][0]
        out["blocked"] = dict(
            self._query(
                f"SELECT entityType, COUNT(*) FROM (SELECT o.entityType, o.syncedUp, o.nonRecoverableError, "
                f"ROW_NUMBER() OVER (PARTITION BY o.entityType, o.clientReferenceId ORDER BY o.createdAt, o.id) "
                f"AS rn FROM {FROM} WHERE {NOT_DONE_SQL} AND o.clientReferenceId IS NOT NULL) "
                "WHERE rn > 1 AND syncedUp = 0 AND nonRecoverableError = 0 GROUP BY entityType",
                p,
            )
        )
        # What the HCM home card shows: rows not synced up + rows awaiting confirmation, as the app
        # counts them (non-recoverable rows it has dumped are not in it).
        out["hcm_unsynced"] = self._query(
            "SELECT COUNT(*) FROM oplog WHERE (syncedUp = 0 OR (syncedUp = 1 AND syncedDown = 0)) "
            "AND NOT (nonRecoverableError = 1 AND syncedDown = 1) "
            f"AND operation IN ({_OPS})"
        )[0][0]
        return out

    def per_type(self) -> list[dict[str, Any]]:
        """One dict per entity type present: rows, pending up, awaiting, conflicts, last up/confirmed."""
        rows = self._query(
            f"SELECT o.entityType, COUNT(*), "
            f"SUM(CASE WHEN {OUTBOX_SQL} THEN 1 ELSE 0 END), "
            f"SUM(CASE WHEN {INBOX_SQL} THEN 1 ELSE 0 END), "
            f"SUM(CASE WHEN {CONFLICTS_SQL} THEN 1 ELSE 0 END), "
            "MAX(o.syncedUpOn), MAX(CASE WHEN o.nonRecoverableError = 0 THEN o.syncedDownOn END), "
            "MAX(s.lastSentAt) "
            f"FROM {FROM} WHERE o.operation IN ({_OPS}) GROUP BY o.entityType",
            {"max": self.max_attempts},
        )
        return [
            {
                "type": r[0],
                "rows": r[1],
                "pending": r[2] or 0,
                "awaiting": r[3] or 0,
                "conflicts": r[4] or 0,
                "last_up": max((v for v in (r[5], r[7]) if v is not None), default=None),
                "last_confirmed": r[6],
            }
            for r in rows
        ]

    def page(self, queue: QueueKind, offset: int, limit: int, filter: str | None) -> tuple[list[OpRow], int]:
        where = QUEUE_SQL.get(queue)
        if where is None:
            return [], 0
        params: dict[str, Any] = {"max": self.max_attempts, "limit": limit, "offset": offset}
        if filter:
            where += (
                " AND (o.entityType LIKE :f OR o.operation LIKE :f OR o.clientReferenceId LIKE :f "
                "OR CAST(o.id AS TEXT) = :exact)"
            )
            params["f"] = f"%{filter}%"
            params["exact"] = filter
        total = self._query(f"SELECT COUNT(*) FROM {FROM} WHERE {where}", params)[0][0]
        rows = self._query(
            f"SELECT {ROW_SELECT} FROM {FROM} WHERE {where} ORDER BY o.createdAt, o.id "
            "LIMIT :limit OFFSET :offset",
            params,
        )
        return [_row(r) for r in rows], total

    def blockers(self, rows: Sequence[OpRow]) -> dict[int, OpRow]:
        """For outbox rows: the older unfinished row of the same entity they wait for, if any."""
        keys = {(r.entity_type, r.cref) for r in rows if r.cref is not None}
        if not keys:
            return {}
        crefs = sorted({c for _, c in keys})
        marks = ",".join("?" * len(crefs))
        older = self._query(
            f"SELECT {ROW_SELECT} FROM {FROM} WHERE {NOT_DONE_SQL} "
            f"AND o.clientReferenceId IN ({marks}) ORDER BY o.createdAt, o.id",
            [*crefs],
        )
        first: dict[tuple[str, str | None], OpRow] = {}
        for r in map(_row, older):
            first.setdefault(r.key, r)
        return {r.id: first[r.key] for r in rows if r.key in first and first[r.key].id != r.id}

    def get(self, row_id: int) -> tuple[OpRow, str] | None:
        found = self._query(f"SELECT {ROW_SELECT}, o.entityString FROM {FROM} WHERE o.id = ?", (row_id,))
        if not found:
            return None
        return _row(found[0]), str(found[0][-1])

    def unfinished(self) -> list[OpRow]:
        """Every live row that is not confirmed yet, oldest first (metadata only): the runner's plan."""
        rows = self._query(
            f"SELECT {ROW_SELECT} FROM {FROM} WHERE {NOT_DONE_SQL} ORDER BY o.createdAt, o.id",
            {"max": self.max_attempts},
        )
        return [_row(r) for r in rows]

    def entity_texts(self, ids: Sequence[int]) -> dict[int, str]:
        out: dict[int, str] = {}
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            marks = ",".join("?" * len(chunk))
            for row_id, text in self._query(
                f"SELECT id, entityString FROM oplog WHERE id IN ({marks})", chunk
            ):
                out[row_id] = text
        return out

    def confirmed_server_ids(self, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], tuple[str, int]]:
        """Server id and latest row version known for entities (from confirmed rows)."""
        wanted = set(keys)
        if not wanted:
            return {}
        crefs = sorted({c for _, c in wanted})
        out: dict[tuple[str, str], tuple[str, int]] = {}
        for start in range(0, len(crefs), 500):
            chunk = crefs[start : start + 500]
            marks = ",".join("?" * len(chunk))
            for etype, cref, sid, version in self._query(
                "SELECT entityType, clientReferenceId, serverGeneratedId, rowVersion FROM oplog "
                f"WHERE serverGeneratedId IS NOT NULL AND clientReferenceId IN ({marks}) "
                "ORDER BY createdAt, id",
                chunk,
            ):
                if (etype, cref) in wanted:
                    out[(etype, cref)] = (sid, int(version or 1))
        return out

    def meta(self, key: str) -> Any:
        found = self._query("SELECT value FROM synctui_meta WHERE key = ?", (key,))
        if not found:
            return None
        try:
            return json.loads(found[0][0])
        except ValueError:
            return None

    def set_meta(self, key: str, value: Any) -> None:
        self._write(
            [("INSERT OR REPLACE INTO synctui_meta (key, value) VALUES (?, ?)", (key, json.dumps(value)))]
        )

    # --- writing sync state -------------------------------------------------------------------

    _ENSURE = "INSERT OR IGNORE INTO synctui_oplog_state (oplogId) VALUES (?)"

    def mark_sending(self, ids: Sequence[int], synced_up: Sequence[int] = ()) -> None:
        """Written before a send, so a crash or a lost answer is known to be a possible send. Rows of
        the previous batch that were accepted are marked synced up in the same transaction."""
        ts = now_ms()
        self._write(
            [
                *self._synced_up_statements(synced_up, ts),
                (
                    "INSERT INTO synctui_oplog_state (oplogId, sendCount, lastSentAt) VALUES (?, 1, ?) "
                    "ON CONFLICT (oplogId) DO UPDATE SET sendCount = sendCount + 1, lastSentAt = excluded.lastSentAt",
                    [(i, ts) for i in ids],
                ),
            ]
        )

    def mark_synced_up(self, ids: Sequence[int]) -> None:
        if ids:
            self._write(self._synced_up_statements(ids, now_ms()))

    @staticmethod
    def _synced_up_statements(ids: Sequence[int], ts: int) -> list[tuple[str, Any]]:
        statements: list[tuple[str, Any]] = []
        for start in range(0, len(ids), 500):
            chunk = list(ids[start : start + 500])
            marks = ",".join("?" * len(chunk))
            statements.append(
                (f"UPDATE oplog SET syncedUp = 1, syncedUpOn = ? WHERE id IN ({marks})", (ts, *chunk))
            )
            statements.append(
                (
                    f"UPDATE synctui_oplog_state SET lastError = NULL WHERE lastError IS NOT NULL "
                    f"AND oplogId IN ({marks})",
                    tuple(chunk),
                )
            )
        return statements

    def mark_confirmed(self, confirmations: Sequence[tuple[OpRow, str | None, int | None, list]]) -> None:
        """Rows found on the server: store its id, row version and child ids, set syncedDown."""
        ts = now_ms()
        self._write(
            [
                (
                    "UPDATE oplog SET syncedUp = 1, syncedUpOn = COALESCE(syncedUpOn, ?), syncedDown = 1, "
                    "syncedDownOn = ?, serverGeneratedId = COALESCE(?, serverGeneratedId), "
                    "rowVersion = COALESCE(?, rowVersion), additionalIds = ? WHERE id = ?",
                    [
                        (ts, ts, sid, version, json.dumps(extra), row.id)
                        for row, sid, version, extra in confirmations
                    ],
                ),
                (
                    "UPDATE synctui_oplog_state SET lastError = NULL WHERE oplogId = ?",
                    [(row.id,) for row, *_ in confirmations],
                ),
            ]
        )

    def propagate(self, updates: Sequence[tuple[int, str | None, int | None]]) -> None:
        """Later rows of a confirmed entity learn its server id and row version."""
        if updates:
            self._write(
                [
                    (
                        "UPDATE oplog SET serverGeneratedId = COALESCE(?, serverGeneratedId), "
                        "rowVersion = COALESCE(?, rowVersion) WHERE id = ?",
                        [(sid, version, row_id) for row_id, sid, version in updates],
                    )
                ]
            )

    def mark_missed(self, rows: Sequence[OpRow], exhausted_error: Rejection) -> list[int]:
        """A confirmation search did not find these: one attempt more; at the maximum the row turns
        non-recoverable and stays in conflicts (never marked synced). Returns the exhausted ids."""
        exhausted = [r.id for r in rows if r.retries + 1 >= self.max_attempts]
        text = json.dumps(to_data(exhausted_error))
        self._write(
            [
                (
                    "UPDATE oplog SET syncDownRetryCount = syncDownRetryCount + 1 WHERE id = ?",
                    [(r.id,) for r in rows],
                ),
                ("UPDATE oplog SET nonRecoverableError = 1 WHERE id = ?", [(i,) for i in exhausted]),
                (self._ENSURE, [(i,) for i in exhausted]),
                (
                    "UPDATE synctui_oplog_state SET lastError = ? WHERE oplogId = ?",
                    [(text, i) for i in exhausted],
                ),
            ]
        )
        return exhausted

    def set_error(
        self, ids: Sequence[int], rejection: Rejection | None, non_recoverable: bool = False
    ) -> None:
        text = json.dumps(to_data(rejection)) if rejection else None
        statements: list[tuple[str, Any]] = [
            (self._ENSURE, [(i,) for i in ids]),
            ("UPDATE synctui_oplog_state SET lastError = ? WHERE oplogId = ?", [(text, i) for i in ids]),
        ]
        if non_recoverable:
            statements.append(("UPDATE oplog SET nonRecoverableError = 1 WHERE id = ?", [(i,) for i in ids]))
        self._write(statements)

    def retry_rows(self, ids: Sequence[int]) -> None:
        """Back into the outbox; a row that may have reached the server keeps sendCount > 0 so the
        runner searches before it sends it again."""
        self._write(
            [
                (self._ENSURE, [(i,) for i in ids]),
                (
                    "UPDATE synctui_oplog_state SET lastError = NULL, lastSentAt = NULL, "
                    "sendCount = CASE WHEN (SELECT syncedUp FROM oplog WHERE id = oplogId) = 1 "
                    "THEN MAX(sendCount, 1) ELSE sendCount END WHERE oplogId = ?",
                    [(i,) for i in ids],
                ),
                (
                    "UPDATE oplog SET nonRecoverableError = 0, syncDownRetryCount = 0, syncedUp = 0, "
                    "syncedUpOn = NULL, syncedDown = 0, syncedDownOn = NULL WHERE id = ?",
                    [(i,) for i in ids],
                ),
            ]
        )

    def discard_rows(self, ids: Sequence[int]) -> None:
        ts = now_ms()
        self._write(
            [
                (self._ENSURE, [(i,) for i in ids]),
                ("UPDATE synctui_oplog_state SET discardedAt = ? WHERE oplogId = ?", [(ts, i) for i in ids]),
            ]
        )
