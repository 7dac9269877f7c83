"""Sync-up of 10,000 OpLog rows: synctui's HCM runner vs a plain httpx loop posting the same batches.

All talk to the HCM simulator running in its own process on loopback (no faults, no persistence delay),
with one shared httpx.AsyncClient. What is timed:

- runner: `SyncRunner.sync_up` on a fresh copy of the OpLog: read the unfinished rows, plan, read and
  check the entities, mark every row as possibly sent before its request (committed), post, record the
  accepted rows as synced up, progress per entity type, and the wait for its last WAL checkpoint (run
  in a background thread: a real run goes on meanwhile, timing it is conservative). Opening the file
  and `store.close()` are not timed.
- plain (reads): the least any real sync-up does, as a plain loop: one SELECT of the rows not synced up
  (entityType, entityString, FIFO order), json.loads of each, group by type in the app's order, slice
  into batches, post them one after the other with httpx `json=`. No bookkeeping, no writes. This is
  the baseline of the target: runner / plain (reads) <= 1.2.
- plain (prebuilt): the same posts with the batches decoded and built before the timer starts (the
  posting alone). Shown for reference: it leaves out work any sync-up must do.

Runs alternate (runner, plain reads, plain prebuilt, runner, ...) after one warm-up round that is not
counted; each ratio is taken round by round and the median, min and max are printed. Nothing is
asserted about absolute time.

    python tests/bench/bench_hcm_sync_up.py [--rows 10000] [--pairs 5] [--batch 100]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import httpx
from synctui_hcm.oplog import OpLogStore, create_oplog
from synctui_hcm.options import parse_options
from synctui_hcm.runner import Outcome, SyncRunner
from synctui_hcm.simulator import FieldWorker
from synctui_hcm.wire import DEFAULT_WIRES, bulk_body, order_index, request_info

from synctui.backend import BackendSettings, Secret

TOKEN = "sim-token"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_template(path: Path, rows: int) -> int:
    """An OpLog with `rows` create rows of registrations (households, individuals, members...)."""
    create_oplog(path)
    worker = FieldWorker(path, seed=1)
    written = 0
    while written < rows:
        batch = worker.household_rows(members=2)[: rows - written]
        worker.write(batch)
        written += len(batch)
    worker.close()
    return written


async def run_runner(oplog: Path, url: str, http: httpx.AsyncClient, batch: int) -> float:
    settings = BackendSettings(
        name="bench", kind="hcm", url=url, secret=Secret(TOKEN),
        options={"oplog": str(oplog), "batch_size": batch, "pause_seconds": 0},
    )  # fmt: skip
    opts = parse_options(settings)
    store = OpLogStore(oplog, opts.max_attempts)
    runner = SyncRunner(store, opts, http, url, settings.secret)
    outcome = Outcome()
    started = time.perf_counter()
    await runner.sync_up(outcome)
    store.wait_for_checkpoint()
    elapsed = time.perf_counter() - started
    store.close()
    assert not outcome.failures, outcome.failures[:1]
    return elapsed


def plain_batches(oplog: Path, batch: int) -> list[tuple[str, list[dict]]]:
    conn = sqlite3.connect(oplog)
    rows = conn.execute(
        "SELECT entityType, entityString FROM oplog WHERE syncedUp = 0 ORDER BY createdAt, id"
    ).fetchall()
    conn.close()
    by_type: dict[str, list[dict]] = defaultdict(list)
    for etype, text in rows:
        by_type[etype].append(json.loads(text))
    out = []
    for etype in sorted(by_type, key=order_index):
        entities = by_type[etype]
        out += [(etype, entities[i : i + batch]) for i in range(0, len(entities), batch)]
    return out


async def run_plain_reading(oplog: Path, url: str, http: httpx.AsyncClient, batch: int) -> tuple[float, int]:
    started = time.perf_counter()
    batches = plain_batches(oplog, batch)
    await post_all(batches, url, http)
    return time.perf_counter() - started, len(batches)


async def run_plain(batches: list[tuple[str, list[dict]]], url: str, http: httpx.AsyncClient) -> float:
    started = time.perf_counter()
    await post_all(batches, url, http)
    return time.perf_counter() - started


async def post_all(batches: list[tuple[str, list[dict]]], url: str, http: httpx.AsyncClient) -> None:
    for etype, entities in batches:
        wire = DEFAULT_WIRES[etype]
        path = wire.bulk_path("create")
        body = bulk_body(wire, "create", entities, request_info("_create", TOKEN, {}, "default"))
        resp = await http.post(f"{url}{path}", params={"tenantId": "default"}, json=body)
        resp.raise_for_status()


async def main(rows: int, pairs: int, batch: int) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="hcm-bench-"))
    template = tmp / "template.sqlite"
    total = make_template(template, rows)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [sys.executable, "-m", "synctui_hcm.simulator", "--port", str(port), "--oplog", str(tmp / "sim.sqlite"),
         "--interval", "0", "--delay", "0", "--token", TOKEN],
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        async with httpx.AsyncClient(timeout=30.0) as http:
            for _ in range(200):
                try:
                    await http.get(f"{url}/simulator/state")
                    break
                except httpx.TransportError:
                    await asyncio.sleep(0.05)
            batches = plain_batches(template, batch)
            times: dict[str, list[float]] = {"runner": [], "reads": [], "prebuilt": []}
            for i in range(pairs + 1):  # the first round warms up and is not counted
                work = tmp / f"run{i}.sqlite"
                shutil.copy(template, work)
                await http.post(f"{url}/simulator/reset")
                t_runner = await run_runner(work, url, http, batch)
                await http.post(f"{url}/simulator/reset")
                t_reads, requests = await run_plain_reading(template, url, http, batch)
                assert requests == len(batches)
                await http.post(f"{url}/simulator/reset")
                t_prebuilt = await run_plain(batches, url, http)
                if i:
                    times["runner"].append(t_runner)
                    times["reads"].append(t_reads)
                    times["prebuilt"].append(t_prebuilt)
    finally:
        server.terminate()
        server.wait(timeout=10)
        shutil.rmtree(tmp, ignore_errors=True)
    med = {k: statistics.median(v) for k, v in times.items()}
    print(f"rows={total} batch={batch} requests={len(batches)} pairs={pairs}")
    print(f"median: runner {med['runner']:.3f} s, plain (reads) {med['reads']:.3f} s, "
          f"plain (prebuilt) {med['prebuilt']:.3f} s")  # fmt: skip
    for name, label in (("reads", "runner/plain (reads)   "), ("prebuilt", "runner/plain (prebuilt)")):
        ratios = [r / p for r, p in zip(times["runner"], times[name], strict=True)]
        print(f"ratio {label}: median {statistics.median(ratios):.3f} "
              f"(min {min(ratios):.3f}, max {max(ratios):.3f})")  # fmt: skip
    print("target: runner/plain (reads) <= 1.2")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--pairs", type=int, default=5)
    parser.add_argument("--batch", type=int, default=100)
    args = parser.parse_args()
    asyncio.run(main(args.rows, args.pairs, args.batch))
