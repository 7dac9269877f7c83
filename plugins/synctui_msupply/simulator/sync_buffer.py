"""The site's SQLite file, reduced to its sync_buffer table: the records that failed to integrate, for
the adapter's read-only view."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from pathlib import Path
from typing import Any


def buffer_error(
    record_id: str, table: str, data: str, message: str, received: str | None, source_site_id: Any
) -> dict[str, Any]:
    """A sync_buffer row whose integration failed."""
    return {
        "record_id": record_id,
        "table_name": table,
        "action": "UPSERT",
        "data": data,
        "received_datetime": received,
        "integration_error": message,
        "source_site_id": source_site_id,
    }


def create_sync_buffer(path: Path) -> None:
    with sqlite3.connect(path) as conn:
        conn.execute(
            "CREATE TABLE IF NOT EXISTS sync_buffer (record_id TEXT PRIMARY KEY, received_datetime TEXT, "
            "integration_datetime TEXT, integration_error TEXT, table_name TEXT, action TEXT, data TEXT, "
            "source_site_id INTEGER)"
        )
    conn.close()


def write_sync_buffer(path: Path, errors: Iterable[dict[str, Any]]) -> None:
    with sqlite3.connect(path) as conn:
        conn.execute("DELETE FROM sync_buffer")
        conn.executemany(
            "INSERT INTO sync_buffer (record_id, received_datetime, integration_datetime, integration_error, "
            "table_name, action, data, source_site_id) VALUES (?, ?, NULL, ?, ?, ?, ?, ?)",
            [
                (
                    r["record_id"],
                    r["received_datetime"],
                    r["integration_error"],
                    r["table_name"],
                    r["action"],
                    r["data"],
                    r["source_site_id"],
                )
                for r in errors
            ],
        )
    conn.close()
