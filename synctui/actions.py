"""The action catalogue: every action on a backend, declared once.

The agent's runner enforces it (capability, read-only, PIN, single-flight, idempotency, audit before
and after, refusals included); the CLI and the dashboard only read it to offer, confirm and label.
Adding an action: declare it here, implement it in the adapter (and the Backend interface), route it
in the agent's API, and offer it on at most one screen.
"""

from __future__ import annotations

from dataclasses import dataclass

from synctui.model import Capability, QueueKind


@dataclass(frozen=True)
class ActionSpec:
    name: str  # the catalogue id, the audit log's action and the API's word
    title: str  # what a person calls it ("Re-Queue Conflicted")
    capability: Capability  # the backend must claim it
    what: str  # one sentence: what it does, for help, confirmations and `synctui actions`
    changes: bool = False  # changes the device or the server: audited, refused when read-only
    confirm_word: str | None = None  # cannot be undone by a sync: the word a person types
    pin: bool = False  # needs the admin PIN when one is configured
    long_running: bool = False  # runs in the background with progress; one at a time per backend
    queues: frozenset[QueueKind] = frozenset()  # entry actions: the queues whose entries it takes
    rejected_only: bool = False  # entry actions: only entries the server rejected
    readonly_key: str | None = None  # the [agent] setting that allows it on a read-only agent

    @property
    def destructive(self) -> bool:
        return self.confirm_word is not None

    @property
    def single_flight(self) -> str | None:
        """Actions with the same key run one at a time per backend: "long" (a second request for the
        same action joins the running one, another is refused), "change" (waits its turn)."""
        if self.long_running:
            return "long"
        return "change" if self.changes else None

    def applies_to(self, queue: QueueKind) -> bool:
        return not self.queues or queue in self.queues

    def allowed_readonly(self, *, readonly_allows_sync: bool = False) -> bool:
        if not self.changes:
            return True
        return self.readonly_key == "readonly_allows_sync" and readonly_allows_sync


_CONFLICTS = frozenset({QueueKind.CONFLICTS})

CATALOGUE: tuple[ActionSpec, ...] = (
    ActionSpec(
        "synchronize",
        "Synchronize Now",
        Capability.SYNCHRONIZE,
        "Send what is waiting and receive what is new, now",
        changes=True,
        long_running=True,
        readonly_key="readonly_allows_sync",
    ),
    ActionSpec(
        "retry",
        "Retry",
        Capability.RETRY,
        "Send the chosen rejected entries again",
        changes=True,
        queues=_CONFLICTS,
        rejected_only=True,
    ),
    ActionSpec(
        "retry-all",
        "Re-Queue Conflicted",
        Capability.RETRY,
        "Send every rejected entry again; those the server rejects again come back",
        changes=True,
        confirm_word="RETRY",
        pin=True,
        queues=_CONFLICTS,
        rejected_only=True,
    ),
    ActionSpec(
        "discard",
        "Leave Server Version",
        Capability.DISCARD,
        "Drop the chosen rejected local changes; the server keeps what it has. Archived first",
        changes=True,
        confirm_word="DISCARD",
        pin=True,
        queues=_CONFLICTS,
        rejected_only=True,
    ),
    ActionSpec(
        "discard-unsent",
        "Drop Unsent Change",
        Capability.DISCARD,
        "Drop the chosen changes before they are sent; the server never receives them. Archived first",
        changes=True,
        confirm_word="DISCARD",
        pin=True,
        queues=frozenset({QueueKind.OUTBOX}),
    ),
    ActionSpec(
        "reset",
        "Reset",
        Capability.RESET,
        "Clear the sync markers of the chosen log rows so the next sync fetches them again; no data is deleted",
        changes=True,
        confirm_word="RESET",
        pin=True,
    ),
    ActionSpec(
        "reset-all",
        "Reset All",
        Capability.RESET,
        "Clear every sync marker so the next sync fetches everything again; no data is deleted",
        changes=True,
        confirm_word="RESET",
        pin=True,
    ),
    ActionSpec(
        "resubmit",
        "Re-Submit To Server",
        Capability.RESUBMIT,
        "Queue again what was created in a date range and the server lacks (may take 20-30 minutes)",
        changes=True,
        confirm_word="RESUBMIT",
        pin=True,
        long_running=True,
    ),
    ActionSpec(
        "restore",
        "Restore",
        Capability.RESTORE,
        "Put a discarded (archived) entry back in its queue, to be sent again",
        changes=True,
        confirm_word="RESTORE",
        pin=True,
    ),
    ActionSpec(
        "change-settings",
        "Change Setting",
        Capability.SETTINGS,
        "Change a setting of the backend",
        changes=True,
        confirm_word="CHANGE",
        pin=True,
    ),
    ActionSpec(
        "count-remotes",
        "Count Remotes",
        Capability.COUNT_REMOTES,
        "Count each record type on the server beside the local count (read-only)",
    ),
    ActionSpec(
        "compare",
        "Compare With Server",
        Capability.COMPARE,
        "Show the local copy of an entry beside the server's copy (read-only)",
        queues=frozenset({QueueKind.CONFLICTS, QueueKind.OUTBOX}),
    ),
    ActionSpec(
        "check-connection",
        "Check Connection",
        Capability.CHECK_CONNECTION,
        "Probe the server, read-only: reachable, latency, and credentials when the probe checks them",
    ),
)

_BY_NAME = {spec.name: spec for spec in CATALOGUE}


def action(name: str) -> ActionSpec:
    """The catalogue entry `name`; KeyError names the known ones."""
    try:
        return _BY_NAME[name]
    except KeyError:
        raise KeyError(f"no action {name!r} (known: {', '.join(_BY_NAME)})") from None


def discard_action(queue: QueueKind) -> ActionSpec:
    """Discarding from Conflicts leaves the server's version; from the Outbox it drops an unsent change."""
    return action("discard-unsent" if queue == QueueKind.OUTBOX else "discard")


def offered(
    spec: ActionSpec,
    capabilities: frozenset[Capability],
    *,
    readonly: bool,
    readonly_allows_sync: bool = False,
    queue: QueueKind | None = None,
) -> bool:
    """Whether a client should offer `spec` on a backend with these capabilities (the agent decides)."""
    if spec.capability not in capabilities:
        return False
    if readonly and not spec.allowed_readonly(readonly_allows_sync=readonly_allows_sync):
        return False
    return queue is None or spec.applies_to(queue)
