"""Reads of the OpLog: queue counts, per-type figures, pages of rows, blockers, entity texts and meta.
Each takes the store's query function; none writes."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

from synctui.model import QueueKind

from .oplog_schema import (
    CONFLICTS_SQL,
    FROM,
    INBOX_SQL,
    NOT_AWAITED_SQL,
    NOT_DONE_SQL,
    OPS_SQL,
    OUTBOX_SQL,
    QUEUE_SQL,
    ROW_SELECT,
    OpRow,
    Query,
    op_row,
)
from .wire import COUNTED_TYPES

COUNTED_SQL = ",".join(f"'{t}'" for t in COUNTED_TYPES)


def counts(query: Query, max_attempts: int) -> dict[str, Any]:
    """Queue sizes, oldest createdAt per queue, distinct entities pending up, HCM's own count."""
    p = {"max": max_attempts}
    out: dict[str, Any] = {}
    for kind, where in QUEUE_SQL.items():
        count, oldest = query(f"SELECT COUNT(*), MIN(o.createdAt) FROM {FROM} WHERE {where}", p)[0]
        out[kind] = (count, oldest)
    out["entities"] = query(
        f"SELECT COUNT(*) FROM (SELECT DISTINCT o.entityType, o.clientReferenceId FROM {FROM} "
        f"WHERE {OUTBOX_SQL})",
        p,
    )[0][0]
    out["blocked"] = dict(
        query(
            f"SELECT entityType, COUNT(*) FROM (SELECT o.entityType, o.syncedUp, o.nonRecoverableError, "
            f"ROW_NUMBER() OVER (PARTITION BY o.entityType, o.clientReferenceId ORDER BY o.createdAt, o.id) "
            f"AS rn FROM {FROM} WHERE {NOT_DONE_SQL} AND o.clientReferenceId IS NOT NULL) "
            "WHERE rn > 1 AND syncedUp = 0 AND nonRecoverableError = 0 GROUP BY entityType",
            p,
        )
    )
    # What the HCM home card shows: rows of the counted types not synced up + those awaiting
    # confirmation (types the app awaits), as the app counts them (rows it has dumped are not in it).
    out["hcm_unsynced"] = query(
        f"SELECT COUNT(*) FROM oplog WHERE operation IN ({OPS_SQL}) AND entityType IN ({COUNTED_SQL}) "
        "AND NOT (nonRecoverableError = 1 AND syncedDown = 1) AND (syncedUp = 0 OR (syncedDown = 0 "
        f"AND entityType NOT IN ({NOT_AWAITED_SQL})))",
        (),
    )[0][0]
    return out


def per_type(query: Query, max_attempts: int) -> list[dict[str, Any]]:
    """One dict per entity type present: rows, pending up, awaiting, conflicts, last up/confirmed."""
    rows = query(
        f"SELECT o.entityType, COUNT(*), "
        f"SUM(CASE WHEN {OUTBOX_SQL} THEN 1 ELSE 0 END), "
        f"SUM(CASE WHEN {INBOX_SQL} THEN 1 ELSE 0 END), "
        f"SUM(CASE WHEN {CONFLICTS_SQL} THEN 1 ELSE 0 END), "
        "MAX(o.syncedUpOn), MAX(CASE WHEN o.nonRecoverableError = 0 THEN o.syncedDownOn END), "
        "MAX(s.lastSentAt) "
        f"FROM {FROM} WHERE o.operation IN ({OPS_SQL}) GROUP BY o.entityType",
        {"max": max_attempts},
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


def page(
    query: Query, max_attempts: int, queue: QueueKind, offset: int, limit: int, filter: str | None
) -> tuple[list[OpRow], int]:
    where = QUEUE_SQL.get(queue)
    if where is None:
        return [], 0
    params: dict[str, Any] = {"max": max_attempts, "limit": limit, "offset": offset}
    if filter:
        where += (
            " AND (o.entityType LIKE :f OR o.operation LIKE :f OR o.clientReferenceId LIKE :f "
            "OR CAST(o.id AS TEXT) = :exact)"
        )
        params["f"] = f"%{filter}%"
        params["exact"] = filter
    total = query(f"SELECT COUNT(*) FROM {FROM} WHERE {where}", params)[0][0]
    rows = query(
        f"SELECT {ROW_SELECT} FROM {FROM} WHERE {where} ORDER BY o.createdAt, o.id "
        "LIMIT :limit OFFSET :offset",
        params,
    )
    return [op_row(r) for r in rows], total


def blockers(query: Query, rows: Sequence[OpRow]) -> dict[int, OpRow]:
    """For outbox rows: the older unfinished row of the same entity they wait for, if any."""
    keys = {(r.entity_type, r.cref) for r in rows if r.cref is not None}
    if not keys:
        return {}
    crefs = sorted({c for _, c in keys})
    marks = ",".join("?" * len(crefs))
    older = query(
        f"SELECT {ROW_SELECT} FROM {FROM} WHERE {NOT_DONE_SQL} "
        f"AND o.clientReferenceId IN ({marks}) ORDER BY o.createdAt, o.id",
        [*crefs],
    )
    first: dict[tuple[str, str | None], OpRow] = {}
    for r in map(op_row, older):
        first.setdefault(r.key, r)
    return {r.id: first[r.key] for r in rows if r.key in first and first[r.key].id != r.id}


def get(query: Query, row_id: int) -> tuple[OpRow, str] | None:
    found = query(f"SELECT {ROW_SELECT}, o.entityString FROM {FROM} WHERE o.id = ?", (row_id,))
    if not found:
        return None
    return op_row(found[0]), str(found[0][-1])


def unfinished(query: Query, max_attempts: int) -> list[OpRow]:
    """Every live row that is not confirmed yet, oldest first (metadata only): the runner's plan."""
    rows = query(
        f"SELECT {ROW_SELECT} FROM {FROM} WHERE {NOT_DONE_SQL} ORDER BY o.createdAt, o.id",
        {"max": max_attempts},
    )
    return [op_row(r) for r in rows]


def entity_texts(query: Query, ids: Sequence[int]) -> dict[int, str]:
    out: dict[int, str] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        marks = ",".join("?" * len(chunk))
        for row_id, text in query(f"SELECT id, entityString FROM oplog WHERE id IN ({marks})", chunk):
            out[row_id] = text
    return out


def confirmed_server_ids(
    query: Query, keys: Iterable[tuple[str, str]]
) -> dict[tuple[str, str], tuple[str, int]]:
    """Server id and latest row version known for entities (from confirmed rows)."""
    wanted = set(keys)
    if not wanted:
        return {}
    crefs = sorted({c for _, c in wanted})
    out: dict[tuple[str, str], tuple[str, int]] = {}
    for start in range(0, len(crefs), 500):
        chunk = crefs[start : start + 500]
        marks = ",".join("?" * len(chunk))
        for etype, cref, sid, version in query(
            "SELECT entityType, clientReferenceId, serverGeneratedId, rowVersion FROM oplog "
            f"WHERE serverGeneratedId IS NOT NULL AND clientReferenceId IN ({marks}) "
            "ORDER BY createdAt, id",
            chunk,
        ):
            if (etype, cref) in wanted:
                out[(etype, cref)] = (sid, int(version or 1))
    return out


def meta(query: Query, key: str) -> Any:
    found = query("SELECT value FROM synctui_meta WHERE key = ?", (key,))
    if not found:
        return None
    try:
        return json.loads(found[0][0])
    except ValueError:
        return None
