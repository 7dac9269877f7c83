"""What differs between dCDR generations: paths, queue names and labels, the sync job's id.

Only SanteDB 3.x is implemented; SanteDB 2.x and OpenIZ (reference §7–§8) would be other tables here plus
their own parsers in wire.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from synctui.model import QueueKind


@dataclass(frozen=True)
class Profile:
    """Paths and names of one dCDR generation."""

    name: str
    state: str
    queues: str  # GET counts
    queue: str  # GET entries / DELETE, format with q
    queue_entry: str  # GET payload, format with q, id
    retry: str
    sync_log: str
    reset_all: str
    reset_one: str  # format with key
    jobs: str
    job: str  # format with id
    job_start: str  # format with id
    hdsi: str  # format with type
    sync_job_id: str
    queue_names: dict[QueueKind, str] = field(default_factory=dict)
    labels: dict[QueueKind, str] = field(default_factory=dict)

    def queue_kind(self, name: str) -> QueueKind | None:
        for kind, wire_name in self.queue_names.items():
            if wire_name.lower() == name.lower():
                return kind
        return None


SANTEDB3 = Profile(
    name="santedb3",
    state="/app/State",
    queues="/app/Queue",
    queue="/app/Queue/{q}",
    queue_entry="/app/Queue/{q}/{id}",
    retry="/app/Queue/deadletter/$retry",
    sync_log="/app/Sync",
    reset_all="/app/Sync/$reset",
    reset_one="/app/Sync/{key}/$reset",
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
    labels={
        QueueKind.OUTBOX: "Outbox",
        QueueKind.INBOX: "Inbox",
        QueueKind.ADMIN: "Admin",
        QueueKind.CONFLICTS: "Conflicts",
    },
)

PROFILES: dict[str, Profile] = {SANTEDB3.name: SANTEDB3}
