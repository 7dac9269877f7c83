"""The device's OpLog in SQLite: one row per local save (reference §1), plus synctui's own side table.

The adapter writes only the sync-state columns of `oplog` (see README.md) and its own tables
`synctui_oplog_state` (per-row: send count, last error, discard mark) and `synctui_meta`. It never
deletes a row and never rewrites `entityString`.

The layout and the row type are in oplog_schema, the reads in oplog_reads, the writes in oplog_writes;
OpLogStore holds the connection and runs them.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from synctui.model import QueueKind, Rejection

from . import oplog_reads as reads
from . import oplog_writes as writes
from .oplog_checkpoint import BackgroundCheckpoints
from .oplog_schema import (
    CONFLICTS_SQL,
    FROM,
    INBOX_SQL,
    LIVE,
    NOT_DONE_SQL,
    OPLOG_COLUMNS,
    OPLOG_DDL,
    OUTBOX_SQL,
    QUEUE_SQL,
    ROW_SELECT,
    STATE_DDL,
    OpLogMissing,
    OpRow,
    Statement,
    create_oplog,
    decode_rejection,
    now_ms,
    open_oplog,
    to_datetime,
)

__all__ = [
    "CONFLICTS_SQL",
    "FROM",
    "INBOX_SQL",
    "LIVE",
    "NOT_DONE_SQL",
    "OPLOG_COLUMNS",
    "OPLOG_DDL",
    "OUTBOX_SQL",
    "QUEUE_SQL",
    "ROW_SELECT",
    "STATE_DDL",
    "OpLogMissing",
    "OpLogStore",
    "OpRow",
    "create_oplog",
    "decode_rejection",
    "now_ms",
    "to_datetime",
]


class OpLogStore:
    """One connection to the OpLog file. Synchronous and quick; callers keep queries paged."""

    def __init__(self, path: Path, max_attempts: int) -> None:
        self.path = path
        self.max_attempts = max_attempts
        self._conn: sqlite3.Connection | None = None
        self._checkpoints = BackgroundCheckpoints(path)
        self._checkpoint_every = 0  # > 0 inside checkpoints_in_background
        self._commits = 0

    # --- connection ---------------------------------------------------------------------------

    @property
    def conn(self) -> sqlite3.Connection:
        if self._conn is None:
            self._conn = open_oplog(self.path)
        return self._conn

    def wait_for_checkpoint(self) -> None:
        """Until the background WAL checkpoint (if one runs) is done."""
        self._checkpoints.join()

    def close(self) -> None:
        self._checkpoints.join()
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    @contextmanager
    def checkpoints_in_background(self, every: int = 32) -> Iterator[None]:
        """Many small commits in a row: checkpoint the WAL in a worker thread every `every` commits and
        once at the end instead of on this connection (see oplog_checkpoint)."""
        conn = self.conn
        before = int(conn.execute("PRAGMA wal_autocheckpoint").fetchone()[0])
        if before <= 0:  # whoever opened the file does not want automatic checkpoints: leave it so
            yield
            return
        self._checkpoints.join()
        conn.execute("PRAGMA wal_autocheckpoint=0")
        self._checkpoint_every, self._commits = every, 0
        try:
            yield
        finally:
            self._checkpoint_every = 0
            conn.execute(f"PRAGMA wal_autocheckpoint={before}")
            self._checkpoints.kick()

    def _query(self, sql: str, params: Any = ()) -> list[Any]:
        return self.conn.execute(sql, params).fetchall()

    def _write(self, statements: Iterable[Statement]) -> None:
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
        if self._checkpoint_every:
            self._commits += 1
            if self._commits >= self._checkpoint_every:
                self._commits = 0
                self._checkpoints.kick()

    # --- reading --------------------------------------------------------------------------------

    def counts(self) -> dict[str, Any]:
        """Queue sizes, oldest createdAt per queue, distinct entities pending up, HCM's own count."""
        return reads.counts(self._query, self.max_attempts)

    def per_type(self) -> list[dict[str, Any]]:
        """One dict per entity type present: rows, pending up, awaiting, conflicts, last up/confirmed."""
        return reads.per_type(self._query, self.max_attempts)

    def page(self, queue: QueueKind, offset: int, limit: int, filter: str | None) -> tuple[list[OpRow], int]:
        return reads.page(self._query, self.max_attempts, queue, offset, limit, filter)

    def blockers(self, rows: Sequence[OpRow]) -> dict[int, OpRow]:
        """For outbox rows: the older unfinished row of the same entity they wait for, if any."""
        return reads.blockers(self._query, rows)

    def get(self, row_id: int) -> tuple[OpRow, str] | None:
        return reads.get(self._query, row_id)

    def unfinished(self) -> list[OpRow]:
        """Every live row that is not confirmed yet, oldest first (metadata only): the runner's plan."""
        return reads.unfinished(self._query, self.max_attempts)

    def entity_texts(self, ids: Sequence[int]) -> dict[int, str]:
        return reads.entity_texts(self._query, ids)

    def confirmed_server_ids(self, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], tuple[str, int]]:
        """Server id and latest row version known for entities (from confirmed rows)."""
        return reads.confirmed_server_ids(self._query, keys)

    def meta(self, key: str) -> Any:
        return reads.meta(self._query, key)

    def set_meta(self, key: str, value: Any) -> None:
        self._write(writes.set_meta(key, value))

    # --- writing sync state -------------------------------------------------------------------

    def mark_sending(self, ids: Sequence[int], synced_up: Sequence[int] = ()) -> None:
        """Written before a send, so a crash or a lost answer is known to be a possible send. Rows of
        the previous batch that were accepted are marked synced up in the same transaction."""
        self._write(writes.mark_sending(ids, synced_up, now_ms()))

    def unmark_sending(self, rows: Sequence[OpRow]) -> None:
        """The send marked for these rows was never made (the run stopped first): restore the send
        count and time the rows had (`rows` as read before the mark)."""
        if rows:
            self._write(writes.unmark_sending(rows))

    def restamp_sending(self, ids: Sequence[int]) -> None:
        """A send marked a while ago goes out only now: its time is now (the resend grace counts
        from it)."""
        if ids:
            self._write(writes.restamp_sending(ids, now_ms()))

    def mark_synced_up(self, ids: Sequence[int]) -> None:
        if ids:
            self._write(writes.synced_up_statements(ids, now_ms()))

    def mark_confirmed(self, confirmations: Sequence[tuple[OpRow, str | None, int | None, list]]) -> None:
        """Rows found on the server: store its id, row version and child ids, set syncedDown (and clear a
        non-recoverable mark: a row re-checked from conflicts is found after all)."""
        self._write(writes.mark_confirmed(confirmations, now_ms()))

    def propagate(self, updates: Sequence[tuple[int, str | None, int | None]]) -> None:
        """Later rows of a confirmed entity learn its server id and row version."""
        if updates:
            self._write(writes.propagate(updates))

    def mark_missed(self, rows: Sequence[OpRow], exhausted_error: Callable[[OpRow], Rejection]) -> list[int]:
        """A confirmation search did not find these applied: one attempt more; at the maximum the row
        turns non-recoverable with `exhausted_error(row)` and stays in conflicts (never marked synced).
        Returns the exhausted ids."""
        exhausted = [(r.id, exhausted_error(r)) for r in rows if r.retries + 1 >= self.max_attempts]
        self._write(writes.mark_missed(rows, exhausted))
        return [i for i, _ in exhausted]

    def set_error(
        self, ids: Sequence[int], rejection: Rejection | None, non_recoverable: bool = False
    ) -> None:
        self._write(writes.set_error(ids, rejection, non_recoverable))

    def retry_rows(self, ids: Sequence[int]) -> None:
        """Back into the outbox; a row that may have reached the server keeps sendCount > 0 so the
        runner searches before it sends it again."""
        self._write(writes.retry_rows(ids))

    def discard_rows(self, ids: Sequence[int]) -> None:
        self._write(writes.discard_rows(ids, now_ms()))

    def undiscard_rows(self, ids: Sequence[int]) -> int:
        """Clear the discard mark; returns how many rows were discarded."""
        marked = [
            i for i in ids
            if self.conn.execute(
                "SELECT 1 FROM synctui_oplog_state WHERE oplogId = ? AND discardedAt IS NOT NULL", (i,)
            ).fetchone()
        ]  # fmt: skip
        if marked:
            self._write(
                [
                    (
                        "UPDATE synctui_oplog_state SET discardedAt = NULL WHERE oplogId = ?",
                        [(i,) for i in marked],
                    )
                ]
            )
        return len(marked)
