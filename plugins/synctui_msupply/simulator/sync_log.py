"""The site's sync_log rows: one per sync, with each step's start, finish and progress, and the
FullSyncStatusNode the site's GraphQL builds from them."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

STEPS = ("prepare_initial", "push_v6", "push", "pull_central", "pull_remote", "pull_v6", "integration")
GQL_STEP = {
    "prepare_initial": "prepareInitial",
    "push_v6": "pushV6",
    "push": "push",
    "pull_central": "pullCentral",
    "pull_remote": "pullRemote",
    "pull_v6": "pullV6",
    "integration": "integration",
}


def naive(moment: datetime | None) -> str | None:
    """The wire format: naive UTC (reference §7)."""
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat() if moment else None


def new_log_row(started: datetime) -> dict[str, Any]:
    row: dict[str, Any] = {
        "id": uuid.uuid4().hex,
        "started_datetime": started,
        "finished_datetime": None,
        "duration_in_seconds": 0,
        "error_message": None,
        "error_code": None,
    }
    for step in STEPS:
        row[f"{step}_started_datetime"] = None
        row[f"{step}_finished_datetime"] = None
        if step != "prepare_initial":
            row[f"{step}_progress_total"] = None
            row[f"{step}_progress_done"] = None
    return row


def record_progress(row: dict[str, Any], step: str, remaining: int) -> None:
    """logger.rs: the first update sets total = remaining and done = 0; then done = total - remaining."""
    if row[f"{step}_progress_total"] is None:
        row[f"{step}_progress_total"] = remaining
        row[f"{step}_progress_done"] = 0
    else:
        row[f"{step}_progress_done"] = max(row[f"{step}_progress_total"] - remaining, 0)


def full_status_node(logs: list[dict[str, Any]]) -> dict[str, Any] | None:
    if not logs:
        return None
    row = logs[-1]
    node: dict[str, Any] = {
        "__typename": "FullSyncStatusNode",
        "isSyncing": row["finished_datetime"] is None and row["error_message"] is None,
        "error": None,
        "summary": status_node(row["started_datetime"], row["finished_datetime"]),
        "lastSuccessfulSync": None,
        "warningThreshold": 1,
        "errorThreshold": 3,
    }
    if row["error_message"] is not None:
        node["error"] = {
            "__typename": "SyncErrorNode",
            "variant": row["error_code"] or "UNKNOWN",
            "fullError": row["error_message"],
        }
    for step in STEPS:
        started = row[f"{step}_started_datetime"]
        if started is None:
            node[GQL_STEP[step]] = None
        elif step == "prepare_initial":
            node[GQL_STEP[step]] = status_node(started, row[f"{step}_finished_datetime"])
        else:
            node[GQL_STEP[step]] = {
                "__typename": "SyncStatusWithProgressNode",
                "started": naive(started),
                "finished": naive(row[f"{step}_finished_datetime"]),
                "total": row[f"{step}_progress_total"],
                "done": row[f"{step}_progress_done"],
            }
    for old in reversed(logs):
        if old["finished_datetime"] is not None and old["error_message"] is None:
            node["lastSuccessfulSync"] = status_node(old["started_datetime"], old["finished_datetime"])
            break
    return node


def status_node(started: datetime | None, finished: datetime | None) -> dict[str, Any]:
    duration = int((finished - started).total_seconds()) if started and finished else None
    return {
        "__typename": "SyncStatusNode",
        "started": naive(started),
        "finished": naive(finished),
        "durationInSeconds": duration,
    }
