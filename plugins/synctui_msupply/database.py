"""Read-only view of the site's SQLite `sync_buffer`: the records that failed to integrate.

The GraphQL API does not list integration errors, so when `options.database` points at the site's
database file the adapter reads them (reference §6 step 8, §10). It opens the file read-only
(`mode=ro`), never writes, and runs the blocking query in a thread.
"""

from __future__ import annotations

import asyncio
import sqlite3
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from synctui.backend import BackendError
from synctui.model import Category, Rejection

from .wire import ParseError, parse_time


@dataclass(frozen=True)
class BufferError:
    record_id: str
    table_name: str
    action: str
    data: str
    received: datetime | None
    integration_error: str
    source_site_id: int | None


_COLUMNS = "record_id, table_name, action, data, received_datetime, integration_error, source_site_id"


def _connect(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=2.0)


def _row(row: tuple) -> BufferError:
    try:
        received = parse_time(row[4], "received_datetime") if isinstance(row[4], str) else None
    except ParseError:
        received = None
    return BufferError(
        record_id=str(row[0]),
        table_name=str(row[1]),
        action=str(row[2]),
        data=row[3] if isinstance(row[3], str) else "",
        received=received,
        integration_error=str(row[5]),
        source_site_id=row[6] if isinstance(row[6], int) else None,
    )


def _read(path: Path, offset: int, limit: int, record_id: str | None) -> tuple[int, list[BufferError]]:
    conn = _connect(path)
    try:
        where = "integration_error IS NOT NULL AND integration_error != ''"
        total = conn.execute(f"SELECT count(*) FROM sync_buffer WHERE {where}").fetchone()[0]
        if record_id is not None:
            rows = conn.execute(
                f"SELECT {_COLUMNS} FROM sync_buffer WHERE {where} AND record_id = ?", (record_id,)
            ).fetchall()
        else:
            rows = conn.execute(
                f"SELECT {_COLUMNS} FROM sync_buffer WHERE {where} "
                "ORDER BY received_datetime, record_id LIMIT ? OFFSET ?",
                (limit, offset),
            ).fetchall()
        return int(total), [_row(r) for r in rows]
    finally:
        conn.close()


async def integration_errors(
    path: Path, offset: int = 0, limit: int = 0, record_id: str | None = None
) -> tuple[int, list[BufferError]]:
    try:
        return await asyncio.to_thread(_read, path, offset, limit, record_id)
    except sqlite3.Error as exc:
        raise BackendError(
            Rejection(
                category=Category.FIX_DATA,
                message=f"Cannot read the site database {path.name}: {exc}.",
                advice="Check options.database: it must be the Open mSupply site's SQLite file, readable by synctui.",
                code="DATABASE_UNREADABLE",
                raw=str(exc),
            )
        ) from None


async def error_count(path: Path | None) -> tuple[int | None, str | None]:
    """How many records fail to integrate, or None and why it is not known (no database, unreadable)."""
    if path is None:
        return None, None
    try:
        total, _ = await integration_errors(path, limit=0)
    except BackendError as exc:
        return None, exc.rejection.message
    return total, None
