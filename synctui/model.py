"""The domain of synctui: what a backend looks like at one moment.

Plain dataclasses, no I/O and no Textual. Every adapter maps its backend onto these, the agent stores
and serves them, the TUI draws them (`to_data` / `from_data`, re-exported from synctui.codec, carry
them across the agent API).

Annotations here are evaluated at import (no `from __future__ import annotations`), so the codec's first
decode of a state has no annotation strings to compile.
"""

import enum
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from synctui.codec import DecodeError, from_data, to_data
from synctui.i18n import N_, Nn_, Words, count_words


class QueueKind(enum.StrEnum):
    OUTBOX = "outbox"
    INBOX = "inbox"
    ADMIN = "admin"
    CONFLICTS = "conflicts"


class Category(enum.StrEnum):
    """What kind of problem a rejection is, which decides the advice and the safe action."""

    RETRYABLE = "retryable"  # transient: network, timeout, busy server; retrying is safe
    FIX_DATA = "fix-data"  # business rule / invalid data: fix the record, then retry
    CONFLICT = "conflict"  # stale version / concurrent edit: compare, then choose a version
    GONE = "gone"  # the server no longer has the target (404 / 410)
    AUTH = "auth"  # credentials, permissions, device binding
    SERVER = "server"  # the server failed (500 and friends)
    UNKNOWN = "unknown"


# How each category is named to a person, for one entry (CATEGORY_WORDS) and counted (rejected_words):
# the one place for these words (dashboard, CLI, adapters), in the language in use (synctui.i18n).
CATEGORY_WORDS = Words(
    {
        Category.RETRYABLE: N_("temporary failure"),
        Category.FIX_DATA: N_("business rule"),
        Category.CONFLICT: N_("conflict"),
        Category.GONE: N_("not on the server"),
        Category.AUTH: N_("refused access"),
        Category.SERVER: N_("server error"),
        Category.UNKNOWN: N_("unexplained"),
    }
)


CATEGORY_COUNTS = {
    Category.RETRYABLE: Nn_("{n} temporary failure", "{n} temporary failures"),
    Category.FIX_DATA: Nn_("{n} business rule", "{n} business rules"),
    Category.CONFLICT: Nn_("{n} conflict", "{n} conflicts"),
    Category.GONE: Nn_("{n} not on the server", "{n} not on the server"),
    Category.AUTH: Nn_("{n} refused access", "{n} refused access"),
    Category.SERVER: Nn_("{n} server error", "{n} server errors"),
    Category.UNKNOWN: Nn_("{n} unexplained", "{n} unexplained"),
}


def category_count(n: int, category: Category) -> str:
    """ "2 business rules": N entries rejected for one kind of reason, in words."""
    return count_words(CATEGORY_COUNTS[category], n)


def rejected_words(n: int, category: Category, statuses: Iterable[int | None] = ()) -> str:
    """ "2 business rules (422)", "1 conflict (409, 412)": N entries rejected for one kind of reason."""
    codes = sorted({s for s in statuses if s is not None})
    shown = f" ({', '.join(str(s) for s in codes)})" if codes else ""
    return category_count(n, category) + shown


# How each queue is named when the backend gives it no name of its own (QueueStat.label).
QUEUE_NAMES = Words(
    {
        QueueKind.OUTBOX: N_("Outbox"),
        QueueKind.INBOX: N_("Inbox"),
        QueueKind.ADMIN: N_("Admin"),
        QueueKind.CONFLICTS: N_("Conflicts"),
    }
)


class JobState(enum.StrEnum):
    IDLE = "idle"
    SCHEDULED = "scheduled"
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"
    UNKNOWN = "unknown"  # the backend reported a state synctui does not know (shown as unknown)


JOB_STATE_WORDS = Words(
    {
        JobState.IDLE: N_("idle"),
        JobState.SCHEDULED: N_("scheduled"),
        JobState.RUNNING: N_("running"),
        JobState.COMPLETED: N_("completed"),
        JobState.FAILED: N_("failed"),
        JobState.CANCELLED: N_("cancelled"),
        JobState.UNKNOWN: N_("unknown"),
    }
)


class Capability(enum.StrEnum):
    """The optional parts of the Backend interface; the TUI hides what a backend lacks."""

    ENTRIES = "entries"
    SYNCHRONIZE = "synchronize"
    RETRY = "retry"
    DISCARD = "discard"
    COMPARE = "compare"
    COUNT_REMOTES = "count_remotes"
    RESET = "reset"
    RESUBMIT = "resubmit"
    CHECK_CONNECTION = "check_connection"
    SETTINGS = "settings"
    RESTORE = "restore"  # put a discarded (archived) entry back in its queue


@dataclass(frozen=True)
class Rejection:
    """Why the backend refused something, explained for a person."""

    category: Category
    message: str  # one human line
    advice: str = ""  # what to do about it
    status: int | None = None  # HTTP status when known
    code: str | None = None  # backend code, e.g. DUPLICATE_ENTITY, or an exception type
    raw: str = ""  # the full original text, shown only on demand


@dataclass(frozen=True)
class QueueStat:
    """One queue card. `count is None` means the backend has no such queue (shown as n/a, never 0),
    unless `known` is False: then the queue exists but its count is not known (yet), and `detail`
    may say why. Unknown is never shown as 0 or n/a."""

    kind: QueueKind
    count: int | None
    oldest: datetime | None = None  # creation time of the oldest entry, what makes "stuck" visible
    label: str | None = None  # the backend's own name for it, e.g. "Data unsynced"
    detail: str | None = None  # a second line, e.g. "212 entities"
    known: bool = True


@dataclass(frozen=True)
class QueueEntry:
    """One queued item as listed; the payload is fetched on demand with `Backend.entry`."""

    id: str
    queue: QueueKind
    record_type: str
    operation: str
    created: datetime | None = None
    attempts: int = 0
    rejection: Rejection | None = None
    correlation: str | None = None  # client reference id / object key
    original_queue: QueueKind | None = None  # for conflicts: where it came from


@dataclass(frozen=True)
class EntryPage:
    """One page of a queue's entries, as `Backend.entries` returns it; `total` is the queue's whole length."""

    entries: list[QueueEntry]
    offset: int
    limit: int
    total: int | None = None  # None when the backend cannot say


@dataclass(frozen=True)
class EntryDetail:
    """One entry with its payload, as `Backend.entry` returns it."""

    entry: QueueEntry
    payload: str  # as the backend stores it, JSON or XML text
    content_type: str = "application/json"
    truncated: bool = False  # the payload was cut; the full text needs another request


@dataclass(frozen=True)
class SyncLogRow:
    """One row of the sync log: a record type (and filter) with its last successful and last tried sync."""

    key: str
    record_type: str
    filter: str = ""
    last_success: datetime | None = None
    last_attempt: datetime | None = None
    last_error: str | None = None
    local_count: int | None = None
    remote_count: int | None = None  # filled by Count Remotes
    pending: int | None = None  # records of this type still to send, where the backend knows


@dataclass(frozen=True)
class Job:
    """A background job of the backend (a sync, a purge, a scheduled task) as the backend reports it."""

    id: str
    name: str
    state: JobState
    progress: float | None = None  # 0..1 or None when the backend does not report it
    last_start: datetime | None = None
    last_finish: datetime | None = None
    next_run: datetime | None = None
    message: str = ""
    can_cancel: bool = False


@dataclass(frozen=True)
class SyncStep:
    """One step of a running sync ("Send outbox"), with its progress where the backend counts it."""

    name: str
    total: int | None = None
    done: int | None = None
    started: datetime | None = None
    finished: datetime | None = None
    failed: bool = False  # the step the sync failed or hangs at: started, never finished, not running


@dataclass(frozen=True)
class SyncProgress:
    """A running (or just finished) sync, step by step."""

    steps: list[SyncStep] = field(default_factory=list)
    message: str = ""
    running: bool = True
    hung: bool = False  # started long ago, no finish and no error

    @property
    def fraction(self) -> float | None:
        totals = [(s.done or 0, s.total) for s in self.steps if s.total]
        if not totals:
            if self.steps and all(s.finished for s in self.steps):
                return 1.0
            return None
        done = sum(min(d, t) for d, t in totals)
        return done / sum(t for _, t in totals)


@dataclass(frozen=True)
class Health:
    """`online`: the device can reach its server, as far as the backend knows (a dCDR that answers but
    is cut off from its central server is offline). The agent failing to reach the backend itself
    shows as `Snapshot.stale` with `online=False` and the reason in `error`."""

    online: bool
    latency_ms: float | None = None
    auth_ok: bool | None = None
    server_version: str | None = None
    error: Rejection | None = None


@dataclass(frozen=True)
class Thresholds:
    """Age of the last successful sync that turns a log row amber (warning) or red (error), and how long
    a non-empty queue may stay unchanged before it is stuck (seed 000: "for several minutes")."""

    warning: timedelta = timedelta(days=1)
    error: timedelta = timedelta(days=3)
    stuck_after: timedelta = timedelta(minutes=10)

    def level(self, last_success: datetime | None, now: datetime) -> str:
        if last_success is None:
            return "error"
        age = now - last_success
        if age >= self.error:
            return "error"
        if age >= self.warning:
            return "warning"
        return "ok"


@dataclass(frozen=True)
class InfoItem:
    """A fact about the backend shown in its details panel (site id, store, sync interval, ...)."""

    key: str
    label: str
    value: str


@dataclass(frozen=True)
class Snapshot:
    """One backend at one moment. `stale` is set by the agent when it could not refresh."""

    backend: str
    kind: str
    queues: list[QueueStat]
    health: Health
    log: list[SyncLogRow] = field(default_factory=list)
    jobs: list[Job] = field(default_factory=list)
    progress: SyncProgress | None = None
    info: list[InfoItem] = field(default_factory=list)
    taken_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    stale: bool = False
    thresholds: Thresholds = field(default_factory=Thresholds)
    capabilities: frozenset[Capability] = frozenset()

    def queue(self, kind: QueueKind) -> QueueStat:
        for stat in self.queues:
            if stat.kind == kind:
                return stat
        return QueueStat(kind=kind, count=None)


@dataclass(frozen=True)
class EntryResult:
    """What an action did to one entry: `ok`, or why not (`message`, `rejection`)."""

    id: str
    ok: bool
    message: str = ""
    rejection: Rejection | None = None


@dataclass(frozen=True)
class ActionResult:
    """What an action did, counted. `ok` is True only when everything asked for was done;
    `counts` says how many of what (e.g. {"queued": 4, "already_queued": 8}) when the action is not
    per entry. The message never claims more than the counts show."""

    ok: bool
    message: str
    results: list[EntryResult] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class SyncResult:
    """How a Synchronize Now ended: `ok` only when it finished without error, `counts` what it moved."""

    ok: bool
    message: str
    rejection: Rejection | None = None
    counts: dict[str, int] = field(default_factory=dict)  # e.g. {"sent": 12, "failed": 2}


@dataclass(frozen=True)
class Comparison:
    """Local vs server copy of one entry. `server is None` means it could not be fetched (see reason)."""

    id: str
    local: str
    server: str | None
    reason: str = ""


@dataclass(frozen=True)
class Setting:
    """One setting of the backend, shown on the settings screen; `editable` ones can be changed there."""

    key: str
    label: str
    value: str
    editable: bool = False
    help: str = ""


# --- The verdict (made by synctui.verdict.judge) ---------------------------------------------------


class Level(enum.StrEnum):
    """The verdict on a backend (synctui.verdict); values are the monitoring-plugins exit codes' order."""

    SAFE = "safe"
    WAITING = "waiting"
    ATTENTION = "attention"
    UNKNOWN = "unknown"

    @property
    def exit_code(self) -> int:
        return _EXIT[self]

    @property
    def rank(self) -> int:
        return _EXIT[self]


_EXIT = {Level.SAFE: 0, Level.WAITING: 1, Level.ATTENTION: 2, Level.UNKNOWN: 3}


@dataclass(frozen=True)
class Reason:
    """One reason behind a verdict, with the step that helps (in words, and as an action for a client)."""

    level: Level  # how bad this reason alone is
    code: str  # stable, for scripts: "conflicts", "stuck", "log-too-old", "refresh-failing", ...
    line: str  # one human line
    next_step: str = ""  # what to do, in words (no key, no command: each client adds its own hint)
    # what to do, for a client to name its key or command: "synchronize", "refresh", "details",
    # "check-connection" or "open-<queue>"; "" when nothing synctui offers helps
    action: str = ""


@dataclass(frozen=True)
class Verdict:
    """Whether everything recorded on a backend is safely on its server: the level and why."""

    level: Level
    reasons: list[Reason] = field(default_factory=list)
    summary: str = ""  # one line for the banner, the status line and the end of a sync

    @property
    def safe(self) -> bool:
        return self.level is Level.SAFE

    def has(self, code: str) -> bool:
        return any(r.code == code for r in self.reasons)


# --- What the agent serves ------------------------------------------------------------------------


@dataclass(frozen=True)
class DepthPoint:
    """Queue depths at one moment; the history keeps a point only when a depth changed."""

    at: datetime
    counts: dict[QueueKind, int]


@dataclass(frozen=True)
class ActionStatus:
    """An action the agent runs for a backend (single-flight: a second request joins it)."""

    id: str  # idempotency key
    backend: str
    action: str  # "synchronize", "retry", ...
    state: str  # "running", "done", "failed"
    started: datetime
    finished: datetime | None = None
    progress: SyncProgress | None = None
    ok: bool | None = None
    message: str = ""
    rejection: Rejection | None = None
    counts: dict[str, int] = field(default_factory=dict)
    joined: bool = False  # this request joined a run already in progress instead of starting one


@dataclass(frozen=True)
class RejectedCount:
    """How many entries of the Conflicts queue the adapter explains the same way (category and HTTP
    status, `status` None when the backend gives none)."""

    category: Category
    count: int
    status: int | None = None


@dataclass(frozen=True)
class BackendView:
    """One backend as the agent serves it: its snapshot, depth history, running action and verdict."""

    snapshot: Snapshot
    history: list[DepthPoint] = field(default_factory=list)
    action: ActionStatus | None = None
    next_refresh: datetime | None = None
    verdict: Verdict | None = None  # as the agent judged it when it served this view
    # the Conflicts queue by reason, as the agent last read it; None when not read (or not listable)
    rejected: list[RejectedCount] | None = None
    sync_schedule: Job | None = None  # the agent's background sync (its next run), where one is set


@dataclass(frozen=True)
class PluginInfo:
    """A plugin the agent loaded, or tried to: `error` says why it failed."""

    name: str
    source: str  # "built-in", the distribution that provides it, or "config"
    kinds: list[str] = field(default_factory=list)
    error: str | None = None  # why it failed to load


@dataclass(frozen=True)
class AgentState:
    """Everything the dashboard draws, pushed by the agent on every change."""

    backends: list[BackendView]
    embedded: bool = False
    readonly: bool = False  # the agent refuses every change (hide them)
    pin_required: bool = False  # destructive changes need the admin PIN
    readonly_allows_sync: bool = False  # a read-only agent still runs Synchronize Now ([agent] setting)
    version: str = ""
    started: datetime | None = None
    plugins: list[PluginInfo] = field(default_factory=list)
    revision: int = 0  # grows with every change; the push stream resumes from it

    def view(self, backend: str) -> BackendView | None:
        for view in self.backends:
            if view.snapshot.backend == backend:
                return view
        return None


__all__ = [
    "ActionResult",
    "ActionStatus",
    "AgentState",
    "BackendView",
    "Capability",
    "Category",
    "Comparison",
    "DecodeError",
    "DepthPoint",
    "EntryDetail",
    "EntryPage",
    "EntryResult",
    "Health",
    "InfoItem",
    "Job",
    "JobState",
    "Level",
    "PluginInfo",
    "QueueEntry",
    "QueueKind",
    "QueueStat",
    "Reason",
    "RejectedCount",
    "Rejection",
    "Setting",
    "Snapshot",
    "SyncLogRow",
    "SyncProgress",
    "SyncResult",
    "SyncStep",
    "Thresholds",
    "Verdict",
    "from_data",
    "to_data",
]
