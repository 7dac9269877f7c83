"""Support bundle of a device with three backends (SanteDB, Open mSupply, HCM) and 1,000 conflicted
entries: the time `synctui bug-report` takes to collect, clean, draw the screenshots and write the
default parts, and the size of the .tar.gz. Target: under 2 MB, in under 3 s.

The agent is an in-memory `AgentClient` (the bundle reader's own, serving a made-up device), so the
figure is the bundle's own work, not the agent's paging over its socket. Screenshots are drawn at
80×24 (the technician's terminal) and 120×40. Also printed: the same bundle with the payloads.

    python tests/bench/bench_bundle.py [--conflicts 1000] [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import harness

from synctui.backend import BackendSettings, Secret
from synctui.bundle.build import Sources, prepare
from synctui.bundle.client import BundleClient
from synctui.bundle.contents import Contents
from synctui.bundle.parts import DEFAULT_PARTS
from synctui.bundle.write import write
from synctui.config import AgentSettings, Config
from synctui.model import (
    AgentState,
    BackendView,
    Capability,
    Category,
    EntryDetail,
    EntryPage,
    Health,
    Job,
    JobState,
    QueueEntry,
    QueueKind,
    QueueStat,
    Rejection,
    Snapshot,
    SyncLogRow,
)
from synctui.plugins import load_plugins

TARGET_SECONDS = 3.0
TARGET_BYTES = 2_000_000
NOW = datetime(2025, 3, 10, 9, 42, tzinfo=UTC)
KINDS = (("clinic-tablet", "santedb"), ("pharmacy-site", "msupply"), ("hcm-device", "hcm"))


def rejection(i: int) -> Rejection:
    return Rejection(
        Category.CONFLICT,
        f"The server has a newer version of Patient/{i:08d}: it was changed at the same time elsewhere",
        advice="Compare it with the server copy, then retry it or keep the server version.",
        status=409,
        code="PreconditionFailedException",
        raw=json.dumps(
            {
                "$type": "RestServiceFault",
                "type": "PreconditionFailedException",
                "message": f"Object Patient/{i:08d} version 1 is not the current version (current is 2)",
                "detail": "the record was updated concurrently on another device",
            }
        ),
    )


def device(conflicts: int) -> Contents:
    views, entries, pages, details = [], {}, {}, {}
    per_backend = [conflicts - 2 * (conflicts // 3), conflicts // 3, conflicts // 3]
    for (name, kind), count in zip(KINDS, per_backend, strict=True):
        conflicted = [
            QueueEntry(
                f"{name}-{i}",
                QueueKind.CONFLICTS,
                "Patient",
                "Update",
                NOW - timedelta(minutes=i),
                attempts=3,
                rejection=rejection(i),
                correlation=f"{i:08d}-0000-4000-8000-000000000000",
                original_queue=QueueKind.OUTBOX,
            )
            for i in range(count)
        ]
        outbox = [
            QueueEntry(f"{name}-out-{i}", QueueKind.OUTBOX, "Encounter", "Create", NOW) for i in range(40)
        ]
        entries[name] = conflicted
        pages[name, QueueKind.OUTBOX] = EntryPage(outbox, 0, 50, 40)
        pages[name, QueueKind.CONFLICTS] = EntryPage(conflicted[:50], 0, 50, count)
        details[name] = {
            e.id: EntryDetail(e, json.dumps({"resourceType": "Patient", "id": e.id, "gender": "female"}))
            for e in conflicted
        }
        snapshot = Snapshot(
            backend=name,
            kind=kind,
            queues=[
                QueueStat(QueueKind.OUTBOX, 40, oldest=NOW - timedelta(hours=3)),
                QueueStat(QueueKind.INBOX, 0),
                QueueStat(QueueKind.ADMIN, 0),
                QueueStat(QueueKind.CONFLICTS, count, oldest=NOW - timedelta(days=2)),
            ],
            health=Health(online=True, latency_ms=120.0),
            log=[
                SyncLogRow(f"k{i}", f"Record type {i}", last_success=NOW - timedelta(hours=i))
                for i in range(12)
            ],
            jobs=[Job(f"j{i}", f"Job {i}", JobState.COMPLETED, last_finish=NOW) for i in range(4)],
            taken_at=NOW,
            capabilities=frozenset(Capability),
        )
        views.append(BackendView(snapshot=snapshot))
    state = AgentState(backends=views, version="0.1.0", revision=1)
    contents = Contents(NOW, "bench", False, state, pages=pages, conflicts=entries, details=details, audit=[])
    contents.conflicts_total = {name: len(found) for name, found in entries.items()}
    return contents


async def one_bundle(contents: Contents, folder: Path, *, payloads: bool) -> tuple[float, float, int]:
    """(wall seconds, CPU seconds of this process, bytes written)."""
    config = Config(
        agent=AgentSettings(socket=folder / "agent.sock", state_dir=folder),
        backends=[
            BackendSettings(n, k, url=f"https://{n}.example", secret=Secret("bench-pw")) for n, k in KINDS
        ],
    )
    sources = Sources(config, load_plugins(), "bench", NOW, theme="dark", terminal=(80, 24))
    include = set(DEFAULT_PARTS) | ({"payloads"} if payloads else set())
    started, cpu = time.perf_counter(), time.process_time()
    prepared = await prepare(
        BundleClient(contents, "bench", opened=False), sources, payloads=payloads, pseudonymise=False
    )
    written = write(prepared, include, folder / "bundle.tar.gz")
    return time.perf_counter() - started, time.process_time() - cpu, written.size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conflicts", type=int, default=1000)
    parser.add_argument(
        "--quick", action="store_true", help="100 conflicts, one run, no payloads run (the smoke test)"
    )
    args = parser.parse_args()
    conflicts = 100 if args.quick else args.conflicts
    contents = device(conflicts)
    folder = Path(tempfile.mkdtemp(prefix="synctui-bench-bundle-"))
    try:
        runs = [
            asyncio.run(one_bundle(contents, folder, payloads=False)) for _ in range(1 if args.quick else 3)
        ]
        seconds = harness.median([t for t, _, _ in runs])
        size = runs[-1][2]
        with_payloads = None if args.quick else asyncio.run(one_bundle(contents, folder, payloads=True))
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    print(f"runs, wall (CPU) s: {', '.join(f'{t:.2f} ({cpu:.2f})' for t, cpu, _ in runs)}")
    if with_payloads is not None:
        wall, cpu, size_with = with_payloads
        print(f"with payloads: {wall:.2f} s ({cpu:.2f} CPU), {size_with / 1e6:.3f} MB")
    ratio = max(seconds / TARGET_SECONDS, size / TARGET_BYTES)
    print(
        f"ratio bundle max(time/3s,size/2MB) = {ratio:.4f} ({seconds:.2f} s median, {size / 1e6:.3f} MB, "
        f"{conflicts} conflicts on 3 backends, target < 3 s and < 2 MB) {harness.verdict(ratio < 1)}"
    )


if __name__ == "__main__":
    main()
