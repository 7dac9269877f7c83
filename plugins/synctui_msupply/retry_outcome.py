"""The outcome of a retry: mSupply retries by running a sync, so each entry asked for is judged by what
that sync did (and, with the site's database, whether the record still fails to integrate)."""

from __future__ import annotations

from datetime import UTC
from pathlib import Path

from synctui.backend import BackendError
from synctui.model import ActionResult, EntryResult, SyncResult

from . import conflicts, database
from .wire import SyncStatus


def clock(status: SyncStatus | None) -> str:
    started = status.summary.started if status and status.summary else None
    return f"{started.astimezone(UTC):%H:%M} UTC" if started else "an unknown time"


async def after_sync(
    wanted: list[str], result: SyncResult, status: SyncStatus | None, db: Path | None
) -> ActionResult:
    """What a retry's sync did for each entry asked for, counted."""
    when = clock(status)
    if not result.ok:
        code = result.rejection.code if result.rejection else None
        reason = result.rejection.message if result.rejection else result.message
        why, key = {
            "SYNC_NOT_STARTED": ("not retried: the site did not start a sync", "not_retried"),
            "SYNC_APPEARS_HUNG": (f"not retried: the sync started at {when} appears hung", "not_retried"),
            "SYNC_STILL_RUNNING": (
                f"not known yet: the sync started at {when} is still running",
                "unknown",
            ),
            "LOST_CONTACT": ("not known: synctui lost contact with the site", "unknown"),
        }.get(code or "", (f"retried, but the sync failed again: {reason}", "still_failing"))
        message = why[0].upper() + why[1:]
        if key != "still_failing":
            message += f" ({reason})"
        return ActionResult(
            False,
            message + ".",
            [EntryResult(id, False, why, result.rejection) for id in wanted],
            counts={"retried": 0, key: len(wanted)},
        )
    finished = f"the sync started at {when} finished without an error"
    results = [await _entry_after_sync(id, finished, db) for id in wanted]
    errors, _ = await database.error_count(db)
    counts = {"retried": sum(r.ok for r in results), "still_failing": sum(not r.ok for r in results)}
    message = f"Retried: {finished}"
    if wanted:
        message += f"; {counts['retried']} of {len(wanted)} entries cleared"
    if errors is not None:
        counts["rejected"] = errors
        fail = "record still fails" if errors == 1 else "records still fail"
        message += f"; {errors} {fail} to integrate" if errors else "; no integration errors"
    else:
        message += "; records that fail to integrate are not known (set options.database to see them)"
    ok = all(r.ok for r in results) and (bool(wanted) or not errors)  # all: none left failing
    return ActionResult(ok, message + ".", results, counts=counts)


async def _entry_after_sync(id: str, finished: str, db: Path | None) -> EntryResult:
    if id == conflicts.SYNC_ENTRY_ID:
        return EntryResult(id, True, f"retried: {finished}")
    if id.startswith(conflicts.BUFFER_PREFIX) and db:
        record_id = id[len(conflicts.BUFFER_PREFIX) :]
        try:
            _, rows = await database.integration_errors(db, record_id=record_id)
        except BackendError as exc:
            return EntryResult(
                id, False, f"{finished}; whether it integrates now is not known", exc.rejection
            )
        if rows:
            rejection = conflicts.integration_rejection(rows[0])
            return EntryResult(id, False, f"retried: {finished}, but it still fails to integrate", rejection)
        return EntryResult(id, True, f"retried: {finished}; it no longer fails to integrate")
    return EntryResult(id, False, f"{finished}; whether this entry went through is not known")
