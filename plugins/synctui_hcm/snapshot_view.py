"""The parts of an HCM snapshot built from the OpLog's figures: queue cards, sync log rows, the sync
job and the info panel."""

from __future__ import annotations

from typing import Any

from synctui.model import InfoItem, Job, JobState, QueueKind, QueueStat, SyncLogRow

from . import flight
from .oplog import to_datetime
from .options import HCMOptions


def queue_stats(counts: dict[str, Any]) -> list[QueueStat]:
    outbox, outbox_oldest = counts[QueueKind.OUTBOX]
    inbox, inbox_oldest = counts[QueueKind.INBOX]
    conflicts, conflicts_oldest = counts[QueueKind.CONFLICTS]
    blocked = counts["blocked"]
    detail = f"{counts['entities']} entities"
    if sum(blocked.values()):
        detail += f" · {sum(blocked.values())} blocked"
    return [
        QueueStat(QueueKind.OUTBOX, outbox, to_datetime(outbox_oldest), "Data unsynced", detail),
        QueueStat(QueueKind.INBOX, inbox, to_datetime(inbox_oldest), "Awaiting confirmation"),
        QueueStat(QueueKind.ADMIN, None),
        QueueStat(QueueKind.CONFLICTS, conflicts, to_datetime(conflicts_oldest), "Not confirmed / errors"),
    ]


def log_row(t: dict[str, Any], blocked: int, errors: dict[str, str]) -> SyncLogRow:
    error = errors.get(t["type"])
    if error is None and t["conflicts"]:
        error = f"{t['conflicts']} in conflicts"
    if error is None and blocked:
        error = f"{blocked} blocked behind an unconfirmed create or update"
    return SyncLogRow(
        key=t["type"],
        record_type=t["type"],
        last_success=to_datetime(t["last_confirmed"]),
        last_attempt=to_datetime(t["last_up"]),
        last_error=error,
        local_count=t["rows"],
        pending=t["pending"],
    )


def sync_job(run: flight.SharedRun | None, last: dict[str, Any] | None) -> Job:
    last = last if isinstance(last, dict) else {}
    if run is not None:
        fraction = run.progress.fraction if run.progress else None
        message = run.progress.message if run.progress else "Sync in progress"
        return Job(
            "sync",
            "Sync",
            JobState.RUNNING,
            fraction,
            to_datetime(int(run.started * 1000)),
            message=message,
        )
    if not last:
        return Job("sync", "Sync", JobState.IDLE, message="No sync run by synctui yet")
    state = JobState.COMPLETED if last.get("ok") else JobState.FAILED
    return Job(
        "sync",
        "Sync",
        state,
        1.0 if last.get("ok") else None,
        to_datetime(last.get("started")),
        to_datetime(last.get("finished")),
        message=str(last.get("message", "")),
    )


def info_items(counts: dict[str, Any], o: HCMOptions) -> list[InfoItem]:
    return [
        InfoItem("hcm_unsynced", "Data unsynced (as the HCM app counts)", str(counts["hcm_unsynced"])),
        InfoItem("entities", "Entities pending up (de-duplicated)", str(counts["entities"])),
        InfoItem("oplog", "OpLog", str(o.oplog)),
        InfoItem("tenant", "Tenant", o.tenant_id),
        InfoItem("user", "User", str(o.user_info.get("userName") or o.user_info.get("uuid") or "-")),
        InfoItem("batch", "Batch size", str(o.batch_size)),
        InfoItem("attempts", "Confirmation attempts", str(o.max_attempts)),
    ]
