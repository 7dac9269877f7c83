"""The sync-state writes to the OpLog, as SQL statements the store runs in one transaction each.

Only the sync-state columns of `oplog` and synctui's own tables are written; a row is never deleted and
its `entityString` never rewritten.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from synctui.model import Rejection, to_data

from .oplog_schema import OpRow, Statement

_ENSURE = "INSERT OR IGNORE INTO synctui_oplog_state (oplogId) VALUES (?)"


def set_meta(key: str, value: Any) -> list[Statement]:
    return [("INSERT OR REPLACE INTO synctui_meta (key, value) VALUES (?, ?)", (key, json.dumps(value)))]


def mark_sending(ids: Sequence[int], synced_up: Sequence[int], ts: int) -> list[Statement]:
    return [
        *synced_up_statements(synced_up, ts),
        (
            "INSERT INTO synctui_oplog_state (oplogId, sendCount, lastSentAt) VALUES (?, 1, ?) "
            "ON CONFLICT (oplogId) DO UPDATE SET sendCount = sendCount + 1, lastSentAt = excluded.lastSentAt",
            [(i, ts) for i in ids],
        ),
    ]


def unmark_sending(rows: Sequence[OpRow]) -> list[Statement]:
    """Back to the send state these rows had before a mark_sending whose send was never made."""
    return [
        (
            "UPDATE synctui_oplog_state SET sendCount = ?, lastSentAt = ? WHERE oplogId = ?",
            [(r.send_count, r.last_sent_at, r.id) for r in rows],
        )
    ]


def restamp_sending(ids: Sequence[int], ts: int) -> list[Statement]:
    return [("UPDATE synctui_oplog_state SET lastSentAt = ? WHERE oplogId = ?", [(ts, i) for i in ids])]


def synced_up_statements(ids: Sequence[int], ts: int) -> list[Statement]:
    # executemany on the primary key: much cheaper than `id IN (...)` lists for rows spread over the file
    if not ids:
        return []
    return [
        ("UPDATE oplog SET syncedUp = 1, syncedUpOn = ? WHERE id = ?", [(ts, i) for i in ids]),
        (
            "UPDATE synctui_oplog_state SET lastError = NULL WHERE oplogId = ? AND lastError IS NOT NULL",
            [(i,) for i in ids],
        ),
    ]


def mark_confirmed(
    confirmations: Sequence[tuple[OpRow, str | None, int | None, list]], ts: int
) -> list[Statement]:
    return [
        (
            "UPDATE oplog SET syncedUp = 1, syncedUpOn = COALESCE(syncedUpOn, ?), syncedDown = 1, "
            "nonRecoverableError = 0, syncedDownOn = ?, serverGeneratedId = COALESCE(?, serverGeneratedId), "
            "rowVersion = COALESCE(?, rowVersion), additionalIds = ? WHERE id = ?",
            [(ts, ts, sid, version, json.dumps(extra), row.id) for row, sid, version, extra in confirmations],
        ),
        (
            "UPDATE synctui_oplog_state SET lastError = NULL WHERE oplogId = ?",
            [(row.id,) for row, *_ in confirmations],
        ),
    ]


def propagate(updates: Sequence[tuple[int, str | None, int | None]]) -> list[Statement]:
    return [
        (
            "UPDATE oplog SET serverGeneratedId = COALESCE(?, serverGeneratedId), "
            "rowVersion = COALESCE(?, rowVersion) WHERE id = ?",
            [(sid, version, row_id) for row_id, sid, version in updates],
        )
    ]


def mark_missed(rows: Sequence[OpRow], exhausted: Sequence[tuple[int, Rejection]]) -> list[Statement]:
    """One confirmation miss more for `rows`; the `exhausted` ones turn non-recoverable with their error."""
    return [
        (
            "UPDATE oplog SET syncDownRetryCount = syncDownRetryCount + 1 WHERE id = ?",
            [(r.id,) for r in rows],
        ),
        ("UPDATE oplog SET nonRecoverableError = 1 WHERE id = ?", [(i,) for i, _ in exhausted]),
        (_ENSURE, [(i,) for i, _ in exhausted]),
        (
            "UPDATE synctui_oplog_state SET lastError = ? WHERE oplogId = ?",
            [(json.dumps(to_data(error)), i) for i, error in exhausted],
        ),
    ]


def set_error(ids: Sequence[int], rejection: Rejection | None, non_recoverable: bool) -> list[Statement]:
    text = json.dumps(to_data(rejection)) if rejection else None
    statements: list[Statement] = [
        (_ENSURE, [(i,) for i in ids]),
        ("UPDATE synctui_oplog_state SET lastError = ? WHERE oplogId = ?", [(text, i) for i in ids]),
    ]
    if non_recoverable:
        statements.append(("UPDATE oplog SET nonRecoverableError = 1 WHERE id = ?", [(i,) for i in ids]))
    return statements


def retry_rows(ids: Sequence[int]) -> list[Statement]:
    return [
        (_ENSURE, [(i,) for i in ids]),
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


def discard_rows(ids: Sequence[int], ts: int) -> list[Statement]:
    return [
        (_ENSURE, [(i,) for i in ids]),
        ("UPDATE synctui_oplog_state SET discardedAt = ? WHERE oplogId = ?", [(ts, i) for i in ids]),
    ]
