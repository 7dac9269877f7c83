"""The action catalogue: every action on a backend, declared once.

The agent's runner enforces it (capability, read-only, PIN, single-flight, idempotency, audit before
and after, refusals included); the CLI and the dashboard only read it to offer, confirm and label.
Adding an action: declare it here, implement it in the adapter (and the Backend interface), route it
in the agent's API, and offer it on at most one screen.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import NamedTuple

from synctui.i18n import N_, Words, _, ngettext, number
from synctui.model import QUEUE_NAMES, Capability, EntryResult, QueueKind


class ActionSpec(NamedTuple):
    """One action of the catalogue: what it is called, what it needs and how carefully it runs."""

    name: str  # the catalogue id, the audit log's action and the API's word
    title: str  # what a person calls it in English ("Re-Queue Conflicted"): the agent's and the audit's word
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
    def label(self) -> str:
        """The title in the language in use ("Remettre les conflits en file"), for the screen and the CLI."""
        return _(self.title)

    @property
    def description(self) -> str:
        """`what` in the language in use."""
        return _(self.what)

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
        N_("Synchronize Now"),
        Capability.SYNCHRONIZE,
        N_("Send what is waiting and receive what is new, now"),
        changes=True,
        long_running=True,
        readonly_key="readonly_allows_sync",
        done_word=N_("sent"),
        failed_word=N_("failed"),
    ),
    ActionSpec(
        "retry",
        N_("Retry"),
        Capability.RETRY,
        N_("Send the chosen rejected entries again"),
        changes=True,
        queues=_CONFLICTS,
        done_word=N_("re-queued"),
        failed_word=N_("still rejected"),
    ),
    ActionSpec(
        "retry-all",
        N_("Re-Queue Conflicted"),
        Capability.RETRY,
        N_("Send every rejected entry again; those the server rejects again come back"),
        changes=True,
        confirm_word="RETRY",
        pin=True,
        queues=_CONFLICTS,
        done_word=N_("re-queued"),
        failed_word=N_("still rejected"),
    ),
    ActionSpec(
        "discard",
        N_("Leave Server Version"),
        Capability.DISCARD,
        N_(
            "Drop the chosen rejected local changes; what the server has stays as it is (it may have no copy). Archived first"
        ),
        changes=True,
        confirm_word="DISCARD",
        pin=True,
        queues=_CONFLICTS,
        done_word=N_("discarded (archived first)"),
        failed_word=N_("not discarded"),
    ),
    ActionSpec(
        "discard-unsent",
        N_("Drop Unsent Change"),
        Capability.DISCARD,
        N_("Drop the chosen changes before they are sent; the server never receives them. Archived first"),
        changes=True,
        confirm_word="DISCARD",
        pin=True,
        queues=frozenset({QueueKind.OUTBOX}),
        done_word=N_("dropped (archived first)"),
        failed_word=N_("not dropped"),
    ),
    ActionSpec(
        "reset",
        N_("Reset"),
        Capability.RESET,
        N_(
            "Clear the sync markers of the chosen log rows so the next sync fetches them again; no data is deleted"
        ),
        changes=True,
        confirm_word="RESET",
        pin=True,
        done_word=N_("reset"),
        failed_word=N_("not reset"),
    ),
    ActionSpec(
        "reset-all",
        N_("Reset All"),
        Capability.RESET,
        N_("Clear every sync marker so the next sync fetches everything again; no data is deleted"),
        changes=True,
        confirm_word="RESET",
        pin=True,
        done_word=N_("reset"),
        failed_word=N_("not reset"),
    ),
    ActionSpec(
        "resubmit",
        N_("Re-Submit To Server"),
        Capability.RESUBMIT,
        N_("Queue again what was created in a date range and the server lacks (may take 20-30 minutes)"),
        changes=True,
        confirm_word="RESUBMIT",
        pin=True,
        long_running=True,
        done_word=N_("queued"),
        failed_word=N_("not queued"),
    ),
    ActionSpec(
        "restore",
        N_("Restore"),
        Capability.RESTORE,
        N_("Put a discarded (archived) entry back in its queue, to be sent again"),
        changes=True,
        confirm_word="RESTORE",
        pin=True,
        done_word=N_("restored"),
        failed_word=N_("not restored"),
    ),
    ActionSpec(
        "change-settings",
        N_("Change Setting"),
        Capability.SETTINGS,
        N_("Change a setting of the backend"),
        changes=True,
        confirm_word="CHANGE",
        pin=True,
        done_word=N_("changed"),
        failed_word=N_("not changed"),
    ),
    ActionSpec(
        "count-remotes",
        N_("Count Remotes"),
        Capability.COUNT_REMOTES,
        N_("Count each record type on the server beside the local count (read-only)"),
    ),
    ActionSpec(
        "compare",
        N_("Compare With Server"),
        Capability.COMPARE,
        N_("Show the local copy of an entry beside the server's copy (read-only)"),
        queues=frozenset({QueueKind.CONFLICTS, QueueKind.OUTBOX}),
    ),
    ActionSpec(
        "check-connection",
        N_("Check Connection"),
        Capability.CHECK_CONNECTION,
        N_("Probe the server, read-only: reachable, latency, and credentials when the probe checks them"),
    ),
)

_BY_NAME = {spec.name: spec for spec in CATALOGUE}


def action(name: str) -> ActionSpec:
    """The catalogue entry `name`; KeyError names the known ones."""
    try:
        return _BY_NAME[name]
    except KeyError:
        raise KeyError(f"no action {name!r} (known: {', '.join(_BY_NAME)})") from None


def action_label(name: str) -> str:
    """What a person calls the action `name` in the language in use ("Leave Server Version" for an audit
    record's "discard"); a name the catalogue does not know as written."""
    spec = _BY_NAME.get(name)
    return spec.label if spec is not None else name


def queue_name(key: object) -> str:
    """A queue's key in a record ("conflicts": the archive's and the API's word) as a person calls the
    queue ("Conflicts"); a key synctui does not know as written."""
    try:
        return QUEUE_NAMES[QueueKind(key)]
    except ValueError:
        return str(key)


# An audit record's phase ("before", "after", "refused": the audit file's words) for a person.
AUDIT_PHASES = Words({"before": N_("asked"), "after": N_("ended"), "refused": N_("refusal")})


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


# Counts an agent or adapter reports, in words, for n of them ({n} is the number).
COUNT_WORDS: dict[str, Callable[[int], str]] = {
    "queued": lambda n: ngettext("{n} queued", "{n} queued", n),
    "already_queued": lambda n: ngettext(
        "{n} already waiting was not queued again", "{n} already waiting were not queued again", n
    ),
    "requeued": lambda n: ngettext("{n} re-queued", "{n} re-queued", n),
    "retried": lambda n: ngettext("{n} re-queued", "{n} re-queued", n),
    "still_rejected": lambda n: ngettext("{n} still rejected", "{n} still rejected", n),
    "rejected": lambda n: ngettext("{n} rejected", "{n} rejected", n),
    "discarded": lambda n: ngettext("{n} discarded", "{n} discarded", n),
    "dropped": lambda n: ngettext("{n} dropped", "{n} dropped", n),
    "kept": lambda n: ngettext("{n} kept", "{n} kept", n),
    "archived": lambda n: ngettext("{n} archived", "{n} archived", n),
    "restored": lambda n: ngettext("{n} restored", "{n} restored", n),
    "reset": lambda n: ngettext("{n} reset", "{n} reset", n),
    "changed": lambda n: ngettext("{n} changed", "{n} changed", n),
    "sent": lambda n: ngettext("{n} sent", "{n} sent", n),
    "received": lambda n: ngettext("{n} received", "{n} received", n),
    "confirmed": lambda n: ngettext("{n} confirmed by the server", "{n} confirmed by the server", n),
    "unconfirmed": lambda n: ngettext("{n} not confirmed", "{n} not confirmed", n),
    "awaiting": lambda n: ngettext("{n} awaiting confirmation", "{n} awaiting confirmation", n),
    "conflicts": lambda n: ngettext("{n} moved to conflicts", "{n} moved to conflicts", n),
    "not_found": lambda n: ngettext("{n} not found", "{n} not found", n),
    "skipped": lambda n: ngettext("{n} skipped", "{n} skipped", n),
    "waiting": lambda n: ngettext("{n} still waiting to be sent", "{n} still waiting to be sent", n),
    # the steps of an mSupply sync
    "pushed": lambda n: ngettext("{n} record sent", "{n} records sent", n),
    "pushed_v6": lambda n: ngettext(
        "{n} record sent to the v6 server", "{n} records sent to the v6 server", n
    ),
    "pulled_central": lambda n: ngettext("{n} central record received", "{n} central records received", n),
    "pulled_remote": lambda n: ngettext(
        "{n} record of this store received", "{n} records of this store received", n
    ),
    "pulled_v6": lambda n: ngettext(
        "{n} record received from the v6 server", "{n} records received from the v6 server", n
    ),
    "integrated": lambda n: ngettext("{n} record saved on this site", "{n} records saved on this site", n),
}
_ACTION_COUNT_WORDS: dict[str, dict[str, Callable[[int], str]]] = {
    "resubmit": {
        "queued": lambda n: ngettext(
            "queued {n} record the server lacks", "queued {n} records the server lacks", n
        )
    },
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
    words = {
        **COUNT_WORDS,
        "done": lambda n: "{n} " + _(done_word),
        "failed": lambda n: "{n} " + _(failed_word),
    }
    words.update(_ACTION_COUNT_WORDS.get(action_name, {}))
    numbers = {k: n for k, n in numbers.items() if not any(p in numbers for p in _TOTALS_OF.get(k, ()))}
    shown = [(k, n) for k, n in numbers.items() if isinstance(n, int) and n] or list(numbers.items())[:1]
    parts = []
    for key, n in shown:
        say = words.get(key)
        template = say(n) if say is not None else key.replace("_", " ") + ": {n}"
        parts.append(template.format(n=number(n)))
    return (", " if action_name != "resubmit" else "; ").join(parts)
