"""Sync-up of 10,000 OpLog rows: synctui's HCM runner vs a plain httpx loop posting the same batches.

Both talk to the HCM simulator running in its own process on loopback (no faults, no persistence
delay). Runs alternate (runner, plain, runner, plain, ...) and the ratio is taken pair by pair, then
the median is printed. Target: runner / plain <= 1.2. Nothing is asserted about absolute time.

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
    elapsed = time.perf_counter() - started
    store.close()
    assert not outcome.failures, outcome.failures[:1]
    return elapsed


def plain_batches(oplog: Path, batch: int) -> list[tuple[str, list[dict]]]:
    conn = sqlite3.connect(oplog)
    rows = conn.execute("SELECT entityType, entityString FROM oplog ORDER BY createdAt, id").fetchall()
    conn.close()
    by_type: dict[str, list[dict]] = defaultdict(list)
    for etype, text in rows:
        by_type[etype].append(json.loads(text))
    out = []
    for etype in sorted(by_type, key=order_index):
        entities = by_type[etype]
        out += [(etype, entities[i : i + batch]) for i in range(0, len(entities), batch)]
    return out


async def run_plain(batches: list[tuple[str, list[dict]]], url: str, http: httpx.AsyncClient) -> float:
    started = time.perf_counter()
    for etype, entities in batches:
        wire = DEFAULT_WIRES[etype]
        path = wire.bulk_path("create")
        body = bulk_body(wire, "create", entities, request_info("_create", TOKEN, {}, "default"))
        resp = await http.post(f"{url}{path}", params={"tenantId": "default"}, json=body)
        resp.raise_for_status()
    return time.perf_counter() - started


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
            ratios, runner_times, plain_times = [], [], []
            for i in range(pairs + 1):  # the first pair warms up and is not counted
                work = tmp / f"run{i}.sqlite"
                shutil.copy(template, work)
                await http.post(f"{url}/simulator/reset")
                t_runner = await run_runner(work, url, http, batch)
                await http.post(f"{url}/simulator/reset")
                t_plain = await run_plain(batches, url, http)
                if i:
                    ratios.append(t_runner / t_plain)
                    runner_times.append(t_runner)
                    plain_times.append(t_plain)
    finally:
        server.terminate()
        server.wait(timeout=10)
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"rows={total} batch={batch} requests={len(batches)} pairs={pairs}")
    print(
        f"runner median {statistics.median(runner_times):.3f} s, plain httpx median {statistics.median(plain_times):.3f} s"
    )
    print(f"ratio runner/plain: median {statistics.median(ratios):.3f} (min {min(ratios):.3f}, max {max(ratios):.3f});"
          " target <= 1.2")  # fmt: skip


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--pairs", type=int, default=5)
    parser.add_argument("--batch", type=int, default=100)
    args = parser.parse_args()
    asyncio.run(main(args.rows, args.pairs, args.batch))
