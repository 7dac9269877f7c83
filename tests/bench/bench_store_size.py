"""Size of the agent's store after 30 simulated days of one SanteDB backend at the default intervals.

No agent process and no sleeping: a simulated clock drives the real `Store` (TinyDB + atomic storage,
`History` downsampling). Every 5 s (the default refresh interval) a model of a clinic tablet produces
queue depths, recorded with `Store.record_depths` as `BackendService._set` does:

  - work hours 08:00-17:00, Monday to Saturday: a record enters the outbox every ~3 minutes;
  - the upstream sync job runs every 5 minutes: it pushes the outbox (about 2 % rejected to the
    dead-letter queue), pulls a few server changes into the inbox, which drains over the next steps,
    and moves `last_success` of the sync log rows and the job times;
  - one or two offline spells a day (30-120 min): pushes fail, `last_error` is set, the outbox grows;
  - support clears the dead-letter queue every third day; an admin change now and then;
  - the measured latency differs on every refresh, as the real adapter reports it.

The agent saves the last snapshot whenever its content (all but `taken_at`) changed, at least every
5 minutes; the adapter's latency figure differs on every refresh, so in practice at every refresh, and
every flush interval (the config default, 15 s) has something to write. Only the last snapshot is in the
file, and the file holds only what the last flush wrote, so the size does not depend on how often it was
rewritten: by default the full snapshot is built, saved and flushed (temp file, fsync, rename) once per
simulated hour and at the end, and the other flush intervals are counted. `--exact` saves and flushes at
every interval (slow). The store lives on /dev/shm when there is one (fsync is free there).

Also printed: the bound when every refresh changes a depth (history at its largest).
Target: <= 5 MB after 30 days. Nothing is asserted about time.

    python tests/bench/bench_store_size.py [--days 30] [--exact] [--quick]
"""

from __future__ import annotations

import argparse
import random
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import harness

from synctui.agent.store import Store
from synctui.config import AgentSettings
from synctui.model import (
    Capability,
    Health,
    InfoItem,
    Job,
    JobState,
    QueueKind,
    QueueStat,
    Snapshot,
    SyncLogRow,
)

TARGET_BYTES = 5_000_000
STEP = 5.0  # seconds: BackendSettings' default refresh_interval
START = datetime(2025, 3, 3, tzinfo=UTC)  # a Monday
LOG_TYPES = [
    ("Patient", "relationship[DedicatedServiceDeliveryLocation].target=…"),
    ("Act", "location=…&moodConcept=…"),
    ("SubstanceAdministration", "location=…"),
    ("QuantityObservation", "location=…"),
    ("Place", "classConcept=…"),
    ("Material", ""),
    ("ManufacturedMaterial", ""),
    ("Concept", "statusConcept.mnemonic=ACTIVE"),
    ("UserEntity", "securityUser.userName=demo"),
    ("Act", "$deletedObjects"),
    ("Entity", "$deletedObjects"),
    ("Concept", "$deletedObjects"),
]
JOBS = [
    ("upstream", "Upstream Synchronization Job", 300),
    ("security", "Security Object Synchronization", 3600),
    ("config", "Remote Configuration Refresh", 3600 * 6),
    ("cdss", "CDSS Library Refresh", 3600 * 24),
]
CAPS = frozenset(
    {
        Capability.ENTRIES,
        Capability.SYNCHRONIZE,
        Capability.CHECK_CONNECTION,
        Capability.RETRY,
        Capability.DISCARD,
        Capability.RESET,
        Capability.COUNT_REMOTES,
        Capability.COMPARE,
    }
)
HEALTHY = Health(online=True)
LABELS = {
    QueueKind.OUTBOX: "Outbox",
    QueueKind.INBOX: "Inbox",
    QueueKind.ADMIN: "Admin",
    QueueKind.CONFLICTS: "Dead letter",
}


@dataclass
class Tablet:
    """A clinic tablet's sync centre, advanced one refresh interval at a time."""

    rng: random.Random
    queues: dict[QueueKind, list[datetime]] = field(default_factory=lambda: {k: [] for k in LABELS})
    offline_until: datetime | None = None
    last_success: dict[int, datetime] = field(default_factory=dict)
    last_attempt: datetime | None = None
    last_error: str | None = None
    job_runs: dict[str, tuple[datetime, datetime]] = field(default_factory=dict)
    records: int = 0

    def step(self, now: datetime) -> None:
        rng = self.rng
        work = now.weekday() < 6 and 8 <= now.hour < 17
        if work and rng.random() < STEP / 180:
            self.queues[QueueKind.OUTBOX].append(now)
            self.records += 1
        if work and rng.random() < STEP / 86400 * 3:
            self.queues[QueueKind.ADMIN].append(now)
        if rng.random() < STEP / 86400 * 1.5 and self.offline_until is None:
            self.offline_until = now + timedelta(minutes=rng.uniform(30, 120))
        if self.offline_until is not None and now >= self.offline_until:
            self.offline_until = None
        inbox = self.queues[QueueKind.INBOX]
        del inbox[: rng.randint(1, 5)]  # the inbound worker inserts pulled objects
        if now.weekday() in (0, 3) and now.hour == 10 and now.minute == 0 and now.second < STEP:
            self.queues[QueueKind.CONFLICTS].clear()  # support retries / discards twice a week
        for job_id, _name, period in JOBS:
            if int(now.timestamp()) % period < STEP:
                self._run_job(job_id, now)

    def _run_job(self, job_id: str, now: datetime) -> None:
        finish = now + timedelta(seconds=self.rng.uniform(2, 40))
        self.job_runs[job_id] = (now, finish)
        if job_id != "upstream":
            return
        self.last_attempt = now
        if self.offline_until is not None:
            self.last_error = "System.Net.WebException: The remote server could not be reached"
            return
        self.last_error = None
        for kind in (QueueKind.OUTBOX, QueueKind.ADMIN):
            for _ in self.queues[kind]:
                if self.rng.random() < 0.02:
                    self.queues[QueueKind.CONFLICTS].append(now)
            self.queues[kind].clear()
        self.queues[QueueKind.INBOX].extend([now] * self.rng.choice((0, 0, 1, 2, 3, 8, 25)))
        for i in range(len(LOG_TYPES)):
            self.last_success[i] = now

    def stats(self) -> list[QueueStat]:
        return [
            QueueStat(kind=k, count=len(v), oldest=v[0] if v else None, label=LABELS[k])
            for k, v in self.queues.items()
        ]

    def snapshot(self, now: datetime, queues: list[QueueStat]) -> Snapshot:
        online = self.offline_until is None
        log = [
            SyncLogRow(
                key=f"{i:08x}-0000-4000-8000-{i:012x}",
                record_type=t,
                filter=f,
                last_success=self.last_success.get(i),
                last_attempt=self.last_attempt,
                last_error=self.last_error,
            )
            for i, (t, f) in enumerate(LOG_TYPES)
        ]
        jobs = []
        for job_id, name, period in JOBS:
            start, finish = self.job_runs.get(job_id, (None, None))
            running = start is not None and finish is not None and start <= now < finish
            jobs.append(
                Job(
                    id=job_id,
                    name=name,
                    state=JobState.RUNNING if running else JobState.COMPLETED,
                    last_start=start,
                    last_finish=None if running else finish,
                    next_run=(start + timedelta(seconds=period)) if start else None,
                )
            )
        return Snapshot(
            backend="clinic-tablet",
            kind="santedb",
            queues=queues,
            health=Health(online=online, latency_ms=round(self.rng.uniform(2, 40), 1), auth_ok=True),
            log=log,
            jobs=jobs,
            info=[
                InfoItem("profile", "API", "SanteDB 3.x dCDR (/app)"),
                InfoItem("client_id", "Client", "clinic-tablet-01"),
                InfoItem("hdsi", "Upstream HDSI", "reachable" if online else "unreachable"),
            ],
            taken_at=now,
            capabilities=CAPS,
        )


def simulate(state_dir: Path, days: float, *, exact: bool, worst: bool, seed: int) -> dict[str, float]:
    """Run `days` of refreshes through the real store; returns figures."""
    flush_every = AgentSettings(socket=state_dir / "x", state_dir=state_dir).flush_interval
    store = Store(state_dir)
    tablet = Tablet(random.Random(seed))
    steps = int(days * 86400 / STEP)
    per_flush = max(1, round(flush_every / STEP))
    write_every = 1 if exact else round(3600 / flush_every)
    intervals = dirty_intervals = unwritten = 0
    written = 0.0
    pending = False
    started = time.perf_counter()
    for i in range(1, steps + 1):
        now = START + timedelta(seconds=i * STEP)
        tablet.step(now)
        queues = tablet.stats()
        if worst:  # every refresh a different outbox depth
            queues[0] = replace(queues[0], count=i % 97)
        pending = (
            store.record_depths(Snapshot("clinic-tablet", "santedb", queues, HEALTHY, taken_at=now))
            or pending
        )
        pending = True  # the snapshot changed (latency at least): BackendService._set saves it
        if i % per_flush:
            continue
        intervals += 1
        dirty_intervals += pending
        unwritten += pending
        pending = False
        if intervals % write_every == 0 or i == steps:
            store.save_snapshot(tablet.snapshot(now, queues))
            store.flush()
            written += unwritten * (state_dir / "state.json").stat().st_size
            unwritten = 0
    store.close()
    files = {p.name: p.stat().st_size for p in state_dir.iterdir() if p.is_file()}
    return {
        "size": store.size_bytes,
        "files": files,  # type: ignore[dict-item]
        "points": len(store.history("clinic-tablet").points),
        "steps": steps,
        "intervals": intervals,
        "dirty": dirty_intervals,
        "written": written,
        "records": tablet.records,
        "seconds": time.perf_counter() - started,
    }


def scratch_dir() -> Path:
    base = "/dev/shm" if Path("/dev/shm").is_dir() else None
    return Path(tempfile.mkdtemp(prefix="synctui-store-", dir=base))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--days", type=float, default=30.0)
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--exact", action="store_true", help="really write at every flush interval")
    parser.add_argument("--quick", action="store_true", help="1 simulated day (smoke test)")
    args = parser.parse_args(argv)
    if args.quick:
        args.days = 1.0

    figures = {}
    for worst in (False, True):
        folder = scratch_dir()
        try:
            figures[worst] = simulate(folder, args.days, exact=args.exact, worst=worst, seed=args.seed)
        finally:
            shutil.rmtree(folder, ignore_errors=True)
    real, bound = figures[False], figures[True]
    size = real["size"]
    print(
        f"{args.days:g} simulated days, refresh every {STEP:g} s ({real['steps']:,} snapshots), "
        f"{real['records']:,} records entered; simulated in {real['seconds']:.1f} s"
    )
    print("files: " + ", ".join(f"{name} {b / 1024:.1f} KiB" for name, b in real["files"].items()))
    print(f"history points kept: {real['points']:,}")
    print(
        f"flush intervals that write: {real['dirty']:,} of {real['intervals']:,} "
        f"(each rewrites the whole file: ~{real['written'] / 1e9:.2f} GB written over the run)"
    )
    print(
        f"bound (a depth changes at every refresh): {bound['size'] / 1024:.1f} KiB, "
        f"{bound['points']:,} history points"
    )
    ratio = size / TARGET_BYTES
    print(
        f"ratio store_size size/5MB = {ratio:.4f} ({size / 1e6:.3f} MB after {args.days:g} days, "
        f"target <= 5 MB) {harness.verdict(ratio <= 1)}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
