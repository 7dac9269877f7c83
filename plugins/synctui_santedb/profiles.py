"""What differs between dCDR generations: paths, queue names, labels, how each action is called and which
actions exist at all (reference §2 for SanteDB 3.x, §7 for SanteDB 2.x, §8 for OpenIZ).

Plain tables only; the parsers of each generation's JSON live in wire.py (3.x), wire_v2.py (2.x) and
wire_openiz.py (OpenIZ), and `DcdrClient.dialect` picks them by `Profile.name`. A path may carry a query
(`?_queue={q}`): the request's own params are merged into it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from synctui.model import Capability, QueueKind

BASE_CAPABILITIES = frozenset(
    {
        Capability.ENTRIES,
        Capability.SYNCHRONIZE,
        Capability.CHECK_CONNECTION,
        Capability.RETRY,
        Capability.DISCARD,
    }
)

LABELS = {
    QueueKind.OUTBOX: "Outbox",
    QueueKind.INBOX: "Inbox",
    QueueKind.ADMIN: "Admin",
    QueueKind.CONFLICTS: "Conflicts",
}
LEGACY_QUEUES = {
    QueueKind.OUTBOX: "outbound",
    QueueKind.INBOX: "inbound",
    QueueKind.ADMIN: "admin",
    QueueKind.CONFLICTS: "dead",
}


@dataclass(frozen=True)
class Call:
    """One HTTP call: method and path template ({q}, {id}, {key}, {type})."""

    method: str
    path: str


@dataclass(frozen=True)
class Profile:
    """Paths and names of one dCDR generation. `None` means the generation has no such endpoint."""

    name: str
    title: str  # shown in the snapshot's info panel
    capabilities: frozenset[Capability]
    token: str  # POST form login
    token_client_fields: bool  # the login form carries client_id and scope
    queue: str  # GET entries, format with q
    queue_entry: str  # GET payload (or the entry with its payload), format with q, id
    entry_lookup: str  # how entry(id) finds its metadata: "filter" (?id=), "scan" (pages), "inline" (_id)
    delete: Call  # format with q, id
    retry_one: Call  # format with id
    queue_names: dict[QueueKind, str]
    labels: dict[QueueKind, str] = field(default_factory=lambda: dict(LABELS))
    list_params: dict[str, str] = field(default_factory=dict)  # sent with every listing
    retry_all: Call | None = None  # None: retry every dead entry one by one
    retry_parameters: bool = False  # retry calls carry a ParameterCollection (id=<int> / all=true)
    state: str | None = None  # GET {online, hdsi, ami}
    queues: str | None = None  # GET counts; None: each queue's listing says its size
    sync_log: str | None = None
    reset_all: Call | None = None
    reset_one: Call | None = None  # format with key (3.x) or type (2.x: resets a resource type)
    sync_start: Call | None = None  # "Synchronize Now" without a job (2.x, OpenIZ)
    resubmit: Call | None = None  # "Re-Submit To Server" by creation date (OpenIZ)
    jobs: str | None = None
    job: str | None = None  # format with id
    job_start: str | None = None  # format with id
    hdsi: str | None = None  # format with type
    sync_job_id: str = ""

    def queue_kind(self, name: str) -> QueueKind | None:
        for kind, wire_name in self.queue_names.items():
            if wire_name.lower() == name.lower():
                return kind
        return None


SANTEDB3 = Profile(
    name="santedb3",
    title="SanteDB 3.x dCDR (/app)",
    capabilities=BASE_CAPABILITIES | {Capability.RESET, Capability.COUNT_REMOTES, Capability.COMPARE},
    token="/auth/oauth2_token",
    token_client_fields=True,
    state="/app/State",
    queues="/app/Queue",
    queue="/app/Queue/{q}",
    queue_entry="/app/Queue/{q}/{id}",
    list_params={"_includeTotal": "true"},
    entry_lookup="filter",
    delete=Call("DELETE", "/app/Queue/{q}/{id}"),
    retry_one=Call("POST", "/app/Queue/deadletter/$retry"),  # ParameterCollection id=<int>
    retry_all=Call("POST", "/app/Queue/deadletter/$retry"),  # ParameterCollection all=true
    retry_parameters=True,
    sync_log="/app/Sync",
    reset_all=Call("POST", "/app/Sync/$reset"),
    reset_one=Call("POST", "/app/Sync/{key}/$reset"),
    jobs="/ami/JobInfo",
    job="/ami/JobInfo/{id}",
    job_start="/ami/JobInfo/{id}/$start",
    hdsi="/hdsi/{type}",
    sync_job_id="E511689A-98E1-47CD-8933-6A8CEF8AE014",
    queue_names={
        QueueKind.OUTBOX: "out",
        QueueKind.INBOX: "in",
        QueueKind.ADMIN: "admin",
        QueueKind.CONFLICTS: "deadletter",
    },
)

SANTEDB2 = Profile(
    name="santedb2",
    title="SanteDB 2.x disconnected client (/app)",
    capabilities=BASE_CAPABILITIES | {Capability.RESET},
    token="/auth/oauth2_token",
    token_client_fields=True,
    queues="/app/Queue",
    queue="/app/Queue/{q}",
    queue_entry="/app/Queue/{q}/{id}",
    entry_lookup="scan",
    delete=Call("DELETE", "/app/Queue/{q}/confirm/{id}"),
    retry_one=Call("POST", "/app/Queue/dead/{id}"),
    retry_all=Call("POST", "/app/Queue"),
    sync_log="/app/Sync",
    reset_all=Call("DELETE", "/app/Queue"),
    reset_one=Call("DELETE", "/app/Queue/{type}"),
    sync_start=Call("POST", "/app/Sync"),
    queue_names=LEGACY_QUEUES,
)

OPENIZ = Profile(
    name="openiz",
    title="OpenIZ disconnected client (/__app)",
    capabilities=BASE_CAPABILITIES | {Capability.RESUBMIT},
    token="/__auth/authenticate",
    token_client_fields=False,
    queue="/__app/queue?_queue={q}",
    queue_entry="/__app/queue?_queue={q}&_id={id}",
    entry_lookup="inline",
    delete=Call("DELETE", "/__app/queue?_id={id}&_queue={q}"),
    retry_one=Call("PUT", "/__app/queue?_id={id}"),
    sync_start=Call("POST", "/__app/queue"),
    resubmit=Call("PUT", "/__app/data/sync"),
    queue_names=LEGACY_QUEUES,
)

PROFILES: dict[str, Profile] = {p.name: p for p in (SANTEDB3, SANTEDB2, OPENIZ)}
