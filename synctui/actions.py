"""The action catalogue: every action on a backend, declared once.

The agent's runner enforces it (capability, read-only, PIN, single-flight, idempotency, audit before
and after, refusals included); the CLI and the dashboard only read it to offer, confirm and label.
Adding an action: declare it here, implement it in the adapter (and the Backend interface), route it
in the agent's API, and offer it on at most one screen.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from synctui.model import Capability, EntryResult, QueueKind


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
    readonly_key: str | None = None  # the [agent] setting that allows it on a read-only agent
    done_word: str = "done"  # what an entry it took is called afterwards: "re-queued"
    failed_word: str = "failed"  # … and one it could not take: "still rejected"

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
        done_word="sent",
        failed_word="failed",
    ),
    ActionSpec(
        "retry",
        "Retry",
        Capability.RETRY,
        "Send the chosen rejected entries again",
        changes=True,
        queues=_CONFLICTS,
        done_word="re-queued",
        failed_word="still rejected",
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
        done_word="re-queued",
        failed_word="still rejected",
    ),
    ActionSpec(
        "discard",
        "Leave Server Version",
        Capability.DISCARD,
        "Drop the chosen rejected local changes; what the server has stays as it is (it may have no copy). Archived first",
        changes=True,
        confirm_word="DISCARD",
        pin=True,
        queues=_CONFLICTS,
        done_word="discarded (archived first)",
        failed_word="not discarded",
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
        done_word="dropped (archived first)",
        failed_word="not dropped",
    ),
    ActionSpec(
        "reset",
        "Reset",
        Capability.RESET,
        "Clear the sync markers of the chosen log rows so the next sync fetches them again; no data is deleted",
        changes=True,
        confirm_word="RESET",
        pin=True,
        done_word="reset",
        failed_word="not reset",
    ),
    ActionSpec(
        "reset-all",
        "Reset All",
        Capability.RESET,
        "Clear every sync marker so the next sync fetches everything again; no data is deleted",
        changes=True,
        confirm_word="RESET",
        pin=True,
        done_word="reset",
        failed_word="not reset",
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
        done_word="queued",
        failed_word="not queued",
    ),
    ActionSpec(
        "restore",
        "Restore",
        Capability.RESTORE,
        "Put a discarded (archived) entry back in its queue, to be sent again",
        changes=True,
        confirm_word="RESTORE",
        pin=True,
        done_word="restored",
        failed_word="not restored",
    ),
    ActionSpec(
        "change-settings",
        "Change Setting",
        Capability.SETTINGS,
        "Change a setting of the backend",
        changes=True,
        confirm_word="CHANGE",
        pin=True,
        done_word="changed",
        failed_word="not changed",
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


# Counts an agent or adapter reports, in words: {n} the number, {s} a plural s, {were} was/were.
COUNT_WORDS: dict[str, str] = {
    "queued": "{n} queued",
    "already_queued": "{n} already waiting {were} not queued again",
    "requeued": "{n} re-queued",
    "retried": "{n} re-queued",
    "still_rejected": "{n} still rejected",
    "rejected": "{n} rejected",
    "discarded": "{n} discarded",
    "dropped": "{n} dropped",
    "kept": "{n} kept",
    "archived": "{n} archived",
    "restored": "{n} restored",
    "reset": "{n} reset",
    "changed": "{n} changed",
    "sent": "{n} sent",
    "received": "{n} received",
    "confirmed": "{n} confirmed by the server",
    "unconfirmed": "{n} not confirmed",
    "awaiting": "{n} awaiting confirmation",
    "conflicts": "{n} moved to conflicts",
    "not_found": "{n} not found",
    "skipped": "{n} skipped",
    "waiting": "{n} still waiting to be sent",
    # the steps of an mSupply sync
    "pushed": "{n} record{s} sent",
    "pushed_v6": "{n} record{s} sent to the v6 server",
    "pulled_central": "{n} central record{s} received",
    "pulled_remote": "{n} record{s} of this store received",
    "pulled_v6": "{n} record{s} received from the v6 server",
    "integrated": "{n} record{s} saved on this site",
}
_ACTION_COUNT_WORDS: dict[str, dict[str, str]] = {
    "resubmit": {"queued": "queued {n} record{s} the server lacks"},
}
# Totals an adapter also reports per step: said once, by the steps, when the steps are counted.
_TOTALS_OF = {
    "sent": ("pushed", "pushed_v6"),
    "received": ("pulled_central", "pulled_remote", "pulled_v6"),
}
FAILURE_COUNTS = frozenset({"failed", "still_rejected", "rejected", "not_found", "unconfirmed", "kept"})


def counted(action_name: str, counts: Mapping[str, int], results: Sequence[EntryResult] = ()) -> str:
    """What an action did, in words ("3 re-queued, 2 still rejected"); tallied from the per-entry
    results when there are no counts; "" when there is nothing to count. Unknown keys are shown as
    they are ("key: n"): a client that prints this neutralises control characters first."""
    spec = _BY_NAME.get(action_name)
    done_word, failed_word = (spec.done_word, spec.failed_word) if spec else ("done", "failed")
    numbers = dict(counts)
    if not numbers and results:
        numbers = {"done": sum(r.ok for r in results), "failed": sum(not r.ok for r in results)}
    words = {**COUNT_WORDS, "done": "{n} " + done_word, "failed": "{n} " + failed_word}
    words.update(_ACTION_COUNT_WORDS.get(action_name, {}))
    numbers = {k: n for k, n in numbers.items() if not any(p in numbers for p in _TOTALS_OF.get(k, ()))}
    shown = [(k, n) for k, n in numbers.items() if isinstance(n, int) and n] or list(numbers.items())[:1]
    parts = []
    for key, n in shown:
        template = words.get(key, key.replace("_", " ") + ": {n}")
        parts.append(template.format(n=f"{n:,}", s="" if n == 1 else "s", were="was" if n == 1 else "were"))
    return (", " if action_name != "resubmit" else "; ").join(parts)
