"""Snapshots shaped like the mSupply and HCM adapters produce them (see plugins/*/mapping.py, adapter.py)."""

from __future__ import annotations

from datetime import timedelta

from synctui_msupply.rejections import explain

from synctui.model import (
    ActionStatus,
    AgentState,
    BackendView,
    Capability,
    Category,
    Health,
    InfoItem,
    Job,
    JobState,
    QueueKind,
    QueueStat,
    Rejection,
    Snapshot,
    SyncLogRow,
    SyncProgress,
    SyncStep,
)
from tests.functional.tui_fakes import NOW, ago

MSUPPLY_CAPS = frozenset(
    {
        Capability.ENTRIES,
        Capability.SYNCHRONIZE,
        Capability.RETRY,
        Capability.CHECK_CONNECTION,
        Capability.SETTINGS,
    }
)
HCM_CAPS = frozenset(
    {
        Capability.ENTRIES,
        Capability.SYNCHRONIZE,
        Capability.RETRY,
        Capability.DISCARD,
        Capability.COMPARE,
        Capability.CHECK_CONNECTION,
        Capability.SETTINGS,
    }
)
MSUPPLY_ERRORS = {
    "auth": Rejection(
        Category.AUTH,
        "The central server rejected the site's sync password.",
        "Enter the site's sync password again in the sync settings; ask the central administrator if it "
        "was changed.",
        code="INCORRECT_PASSWORD",
    ),
    "offline": Rejection(
        Category.RETRYABLE,
        "The site could not reach the central server.",
        "Check the network and the central server URL; the site tries again at the next interval.",
        code="CONNECTION_ERROR",
        raw="error sending request for url (https://central.example/sync/v5/site): connection refused",
    ),
    "device": Rejection(
        Category.AUTH,
        "This device is not the one registered for the site: central has bound the site to another "
        "hardware id.",
        "Sync from the device registered for this site, or ask the central administrator to reset the "
        "site's hardware id.",
        status=401,
        code="HARDWARE_ID_MISMATCH",
    ),
}

# One failure of each remaining category, explained exactly as the mSupply adapter explains it.
MSUPPLY_ERRORS |= {
    "timeout": explain("INTEGRATION_TIMEOUT_REACHED", "Integration timeout reached", step="Integrate"),
    "server": explain("OTHER_LEGACY_SERVER_ERROR", "500 Internal Server Error: 4D process aborted", 500),
    "master-data": explain("CENTRAL_DATA_READ_ONLY", "push rejected: table item is central data"),
    "gone": explain("SYNC_FILE_NOT_FOUND", "sync file 7f3a not found on central", 404),
    "unknown": explain("UNKNOWN", "thread 'tokio-runtime-worker' panicked at 'called Option::unwrap()'"),
}

MSUPPLY_STEPS = [
    ("prepare_initial", "Prepare initial"),
    ("push_v6", "Push v6"),
    ("push", "Push"),
    ("pull_central", "Pull central"),
    ("pull_remote", "Pull remote"),
    ("pull_v6", "Pull v6"),
    ("integration", "Integrate"),
]


def msupply_progress(hung: bool = False) -> SyncProgress:
    started = ago(hours=3) if hung else ago(minutes=2)
    steps = [
        SyncStep("Push", total=37, done=37, started=started, finished=started + timedelta(seconds=20)),
        SyncStep("Pull central", total=1840, done=620, started=started + timedelta(seconds=21)),
    ]
    if hung:
        message = "The sync appears hung at step Pull central: it started 3 h ago and never finished or reported an error."
        return SyncProgress(steps=steps, message=message, running=True, hung=True)
    return SyncProgress(steps=steps, message="Pull central…", running=True)


def msupply_snapshot(state: str = "running") -> Snapshot:
    """state: running, hung or failed (as mapping.assess names them)."""
    progress = msupply_progress(hung=state == "hung") if state in ("running", "hung") else None
    error = MSUPPLY_ERRORS["offline"] if state == "failed" else None
    if state == "hung":
        error = Rejection(Category.RETRYABLE, progress.message, code="SYNC_APPEARS_HUNG")  # type: ignore[union-attr]
    pull_left = 1220 if state in ("running", "hung") else 0
    conflicts = 1 if error else 0
    log = [
        SyncLogRow(
            "sync",
            "Whole sync",
            filter=f"last attempt {state}",
            last_success=ago(hours=5),
            last_attempt=ago(minutes=2),
            last_error=error.message if error else None,
        )
    ]
    for key, label in MSUPPLY_STEPS:
        if key == "push":
            log.append(
                SyncLogRow(key, label, "37/37", ago(minutes=2), ago(minutes=2), local_count=37, pending=0)
            )
        elif key == "pull_central":
            log.append(
                SyncLogRow(
                    key, label, "620/1840", ago(hours=5), ago(minutes=1), local_count=620, pending=1220
                )
            )
        else:
            log.append(SyncLogRow(key, label, "not run in the last sync", last_success=ago(hours=5)))
    info = [
        InfoItem("site_name", "Site name", "clinic_hc12"),
        InfoItem("site_url", "Site URL", "https://clinic-hc12.local:8000"),
        InfoItem("store", "Store", "HC12 — Health Centre 12"),
        InfoItem("initialisation", "Initialisation", "initialised"),
        InfoItem("interval", "Sync interval", "300 s (5 min)"),
        InfoItem("batch_size", "Sync request size", "push 1024 · pull 1024 · central pull 500"),
        InfoItem("central_url", "Central server URL", "https://central.example"),
        InfoItem("role", "Role", "remote site (satellite)"),
    ]
    job_state = {"running": JobState.RUNNING}.get(state, JobState.FAILED)
    return Snapshot(
        backend="clinic",
        kind="msupply",
        queues=[
            QueueStat(QueueKind.OUTBOX, 0, label="Push queue", detail="changes waiting to go to central"),
            QueueStat(
                QueueKind.INBOX,
                pull_left,
                label="To pull",
                detail="left in the running sync" if pull_left else "known only while a sync runs",
            ),
            QueueStat(QueueKind.ADMIN, None, label="Admin", detail="mSupply has no admin queue"),
            QueueStat(
                QueueKind.CONFLICTS, conflicts, label="Sync errors", detail=error.message if error else None
            ),
        ],
        health=Health(online=state != "failed", latency_ms=85.0, server_version="2.5.0", error=error),
        log=log,
        jobs=[
            Job(
                "sync",
                "Sync with central",
                job_state,
                progress=progress.fraction if state == "running" and progress else None,
                last_start=ago(minutes=2) if state != "hung" else ago(hours=3),
                message=progress.message if progress else (error.message if error else ""),
            )
        ],
        progress=progress,
        info=info,
        taken_at=NOW,
        capabilities=MSUPPLY_CAPS,
    )


HCM_TYPES = [
    ("household", 40, 0, 60),
    ("individual", 120, 7, 45),
    ("household_member", 118, 0, 45),
    ("project_beneficiary", 96, 0, 30),
    ("task", 80, 2, 12),
    ("side_effect", 3, 0, 12),
    ("referral", 2, 0, 12),
    ("stock", 14, 0, 3),
    ("stock_reconciliation", 1, 0, 3),
    ("attendance", 25, 0, 200),
    ("service", 6, 0, 200),
]


def hcm_snapshot(progress: SyncProgress | None = None) -> Snapshot:
    log = [
        SyncLogRow(
            name,
            name,
            last_success=ago(minutes=minutes),
            last_attempt=ago(minutes=2),
            last_error=f"{blocked} blocked behind an unconfirmed create or update" if blocked else None,
            local_count=rows,
            pending=blocked,
        )
        for name, rows, blocked, minutes in HCM_TYPES
    ]
    return Snapshot(
        backend="hcm",
        kind="hcm",
        queues=[
            QueueStat(QueueKind.OUTBOX, 233, ago(hours=3), "Data unsynced", "212 entities · 9 blocked"),
            QueueStat(QueueKind.INBOX, 18, ago(minutes=9), "Awaiting confirmation"),
            QueueStat(QueueKind.ADMIN, None),
            QueueStat(QueueKind.CONFLICTS, 4, ago(days=2), "Not confirmed / errors"),
        ],
        health=Health(online=True, latency_ms=230.0, auth_ok=True),
        log=log,
        jobs=[
            Job("sync", "Sync", JobState.FAILED, None, ago(hours=1), ago(minutes=58), message="Sync Failed")
        ],
        progress=progress,
        info=[
            InfoItem("hcm_unsynced", "Data unsynced (as the HCM app counts)", "233"),
            InfoItem("entities", "Entities pending up (de-duplicated)", "212"),
            InfoItem("oplog", "OpLog", "/data/hcm/oplog.sqlite"),
            InfoItem("tenant", "Tenant", "mz"),
            InfoItem("batch", "Batch size", "25"),
        ],
        taken_at=NOW,
        capabilities=HCM_CAPS,
    )


def hcm_progress() -> SyncProgress:
    started = ago(seconds=40)
    return SyncProgress(
        steps=[
            SyncStep("household", 40, 40, started, ago(seconds=30)),
            SyncStep("individual", 120, 55, started),
            SyncStep("household_member", 118, 0, None),
            SyncStep("task", 80, 0, None),
        ],
        message="Sending individual (batch 3 of 5)…",
    )


def hcm_sync(final: bool) -> tuple[ActionStatus, ActionStatus | None]:
    running = ActionStatus("hcm-1", "hcm", "synchronize", "running", ago(seconds=40), progress=hcm_progress())
    if not final:
        return running, None
    reason = (
        "The server rejected the bulk request: 400 INVALID_TENANT_ID. Affected: 120 individual not sent, "
        "118 household_member not sent."
    )
    rejection = Rejection(
        Category.FIX_DATA,
        reason,
        "Check the tenant_id option against the tenant of this device's user.",
        status=400,
        code="INVALID_TENANT_ID",
    )
    failed = ActionStatus(
        "hcm-1",
        "hcm",
        "synchronize",
        "failed",
        ago(seconds=40),
        NOW,
        ok=False,
        message=f"Sync Failed: {reason}",
        rejection=rejection,
        counts={"sent": 40, "confirmed": 40, "conflicts": 0},
    )
    return running, failed


def msupply_failed_sync(kind: str) -> tuple[ActionStatus, ActionStatus]:
    running = ActionStatus("ms-1", "clinic", "synchronize", "running", ago(seconds=3))
    failed = ActionStatus(
        "ms-1",
        "clinic",
        "synchronize",
        "failed",
        ago(seconds=3),
        NOW,
        ok=False,
        rejection=MSUPPLY_ERRORS[kind],
    )
    return running, failed


def state_of(*snapshots: Snapshot, **changes) -> AgentState:
    return AgentState(backends=[BackendView(snapshot=s) for s in snapshots], revision=1, **changes)
