"""Chaos: all three simulators misbehave on 30 % of their calls while random actions hit the agent.

Real processes on loopback: the SanteDB simulator (`python -m synctui_santedb.simulator`, its traffic
stepped through `/__sim/tick`), the mSupply simulator (its app, faults and traffic, served by
chaos_msupply_sim.py, which adds the run-time controls the CLI lacks) and the HCM simulator
(`python -m synctui_hcm.simulator`, its field worker saving households into the OpLog), each with
30 % faults: resets, stalls longer than the agent's timeout, 500s, malformed JSON, wrong types. A
real `synctui agent` serves all three, with an admin PIN.

For the run's length (short by default; `--minutes N` for a long run) a random mix of API calls goes
to the agent over its Unix socket at a bounded rate. Then faults stop, traffic stops (SanteDB,
mSupply), Synchronize Now runs until each outbox stops changing, and:

1. the agent is alive and /healthz answers; no answer was a 500 and none failed to come;
2. each backend's counts equal what its simulator holds (SanteDB: /__sim/state; mSupply: push queue
   and sync_buffer errors; HCM: the OpLog file), compared at a quiet moment;
3. no HCM duplicate: no record created twice on the server, no DUPLICATE_ENTITY in its tracer;
4. no "Traceback" in the agent's stderr or logs;
5. the agent's RSS: median of the last quarter minus median of the first quarter after warm-up is
   within 5 MB on a run of 30 minutes or more (issue 9: flat within 5 MB after warm-up; measured
   +1.1 MB over 30 minutes, see synctui/agent/memory.py) and within 15 MB on shorter runs (their "after warm-up" is young:
   first-use caches, allocator arenas and connection pools still settle, and a run of a minute or
   five cannot tell a slow creep from settling; the loose bound still catches a real leak, e.g. a
   request's body or answer kept per call);
6. every entry a discard asked for is in the archive, or still on its backend: never in neither place;
   and every entry the agent said it discarded is in the archive.

`pytest -s` prints the RSS samples, counts and action statistics.
"""

from __future__ import annotations

import random
import time
from collections import Counter
from pathlib import Path

import pytest

from ..conftest import chaos_seconds
from .chaos import (
    BACKENDS,
    Driver,
    RssSampler,
    SanteTraffic,
    archive_ids,
    audit_by_key,
    build_chaos_stack,
    converged_counts,
    json_short,
    santedb_ids,
    settle,
)
from .stack import ProcessGroup

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.chaos]

SHORT_BOUND_MB = 15.0
LONG_BOUND_MB = 5.0
LONG_RUN_SECONDS = 1800.0  # issue 9: "growth over a 30-minute chaos run (target: flat within 5 MB)"
MAX_RATE = 8.0  # API calls per second at most


def test_chaos(procs: ProcessGroup, e2e_dir: Path, request: pytest.FixtureRequest) -> None:
    duration = chaos_seconds(request.config)
    warmup = min(300.0, max(20.0, 0.2 * duration))
    bound = LONG_BOUND_MB if duration >= LONG_RUN_SECONDS else SHORT_BOUND_MB
    seed = int(time.time())
    rng = random.Random(seed)
    print(f"\nchaos: {duration:g} s, warm-up {warmup:g} s, RSS bound {bound:g} MB, seed {seed}")

    stack = build_chaos_stack(e2e_dir, procs)
    agent_proc = stack.agent.proc
    sampler = RssSampler(agent_proc.pid, every=2.0).start()
    traffic = SanteTraffic(stack.santedb, random.Random(seed + 1)).start()
    driver = Driver(stack, rng)
    started = time.monotonic()
    try:
        with stack.client(timeout=60.0) as client:
            driver.read_state(client)
            max_actions = int(duration * MAX_RATE)
            while time.monotonic() - started < duration and driver.actions < max_actions:
                driver.step(client)
                time.sleep(rng.uniform(0.02, 0.2))
                assert agent_proc.popen.poll() is None, f"the agent died\n{agent_proc.output()}"
    finally:
        traffic.stop()
    run_seconds = time.monotonic() - started
    sampler.stop()  # growth is judged on the chaos part; settling is not part of it

    injected = stack.injected()
    hcm_state = stack.hcm.state()
    stack.stop_faults()
    stack.msupply.traffic(False)
    with stack.client(timeout=60.0) as client:
        history = settle(stack, client, timeout=150.0)
        # 1. alive
        assert agent_proc.popen.poll() is None, f"the agent died\n{agent_proc.output()}"
        health = client.get("/healthz", timeout=5.0)
        assert health.status_code == 200 and health.json().get("ok") is True, health.text
        # 2. counts converge
        results = {b: converged_counts(stack, client, b, timeout=60.0) for b in BACKENDS}
        # 6. discards: archive or backend, never neither
        archived = archive_ids(client)
        audit = audit_by_key(client)
        santedb_now = santedb_ids(stack.santedb)
        final_state = client.get("/v1/state")
        history_points = {
            v["snapshot"]["backend"]: len(v.get("history") or []) for v in final_state.json()["backends"]
        }
    hcm_final = stack.hcm.state()

    lost, claimed_not_archived, moved_on = [], [], Counter()
    unknown = 0
    for record in driver.discards:
        answer = record.answer
        if answer is None:  # no answer came: what the agent did is in its audit log
            after = [r for r in audit.get(record.key, []) if r.get("phase") == "after"]
            answer = (after[-1].get("result") or {}) if after else None
            unknown += answer is None
        per_id = {str(r.get("id")): r.get("ok") for r in (answer or {}).get("results") or []}
        for entry_id in record.ids:
            where = (record.backend, record.queue, entry_id, json_short(answer))
            in_archive = (record.backend, entry_id) in archived
            said = per_id.get(entry_id)
            if said is None and answer is not None and not per_id:
                said = bool(answer.get("ok"))  # one answer for the whole request
            if said and not in_archive:
                claimed_not_archived.append(where)
                continue
            if in_archive:
                continue
            # (a discarded HCM OpLog row stays in the file, marked)
            if stack.hcm.has_row(entry_id) if record.backend == "hcm" else entry_id in santedb_now:
                continue
            # Gone from the backend and not archived: only a loss if nothing else can have moved it.
            if record.backend == "santedb" and record.queue == "outbox":
                moved_on["pushed by a sync"] += 1
            elif said is False and driver.maybe_retried(record.backend, entry_id):
                moved_on["kept, then retried (a new entry)"] += 1
            else:
                lost.append(where)

    # --- what happened, for `pytest -s` ---
    mb = 1024 * 1024
    print(f"ran {run_seconds:.0f} s; {driver.actions} API calls; faults injected: {injected}")
    print(f"HCM simulator calls: {hcm_state.get('calls')}")
    print("answers:", dict(sorted(driver.statuses.items())))
    print("RSS samples (s, MB):", " ".join(f"{t:.0f}:{r / mb:.1f}" for t, r in sampler.samples))
    first, last, growth = sampler.growth(warmup, run_seconds)
    print(
        f"RSS after warm-up {first:.1f} MB, at the end {last:.1f} MB, growth {growth:+.1f} MB (bound {bound:g})"
    )
    print(
        f"depth-history points kept by the agent: {history_points}; /v1/state is {len(final_state.content)} bytes"
    )
    print("settling (outbox after each Synchronize Now):", history)
    for backend, (ok, agent, sim) in results.items():
        print(f"counts {backend}: agent {agent} simulator {sim} {'equal' if ok else 'DIFFERENT'}")
    print(
        f"discards: {len(driver.discards)} requests, {sum(len(d.ids) for d in driver.discards)} entries, "
        f"{len(archived)} archived, {unknown} without an answer, gone but not discarded: {dict(moved_on)}, "
        f"claimed but not archived: {len(claimed_not_archived)}, in neither place: {len(lost)}"
    )
    for record in driver.discards[:8]:
        print(f"  discard {record.backend}/{record.queue} {record.ids}: {json_short(record.answer)[:200]}")
    print(
        f"HCM server: {hcm_final['entities']}, max creates per record {hcm_final['max_creates_per_record']}, "
        f"tracer {hcm_final['tracer_codes']}"
    )

    # 1. alive, and every call answered without an internal error
    assert not driver.transport_errors, driver.transport_errors[:5]
    assert not driver.server_errors, driver.server_errors[:5]
    assert sum(sum(v.values()) for k, v in injected.items() if k != "hcm") > 0, "no faults were injected"
    # 2. counts converge
    different = {b: (agent, sim) for b, (ok, agent, sim) in results.items() if not ok}
    assert not different, f"counts did not converge (agent, simulator): {different}"
    # 3. no HCM duplicate
    assert hcm_final["max_creates_per_record"] <= 1, hcm_final
    assert not hcm_final["tracer_codes"].get("DUPLICATE_ENTITY"), hcm_final["tracer"][-5:]
    # 4. no traceback
    logs = [agent_proc.stderr()]
    logs += [p.read_text(errors="replace") for p in (e2e_dir / "state").rglob("*.log")]
    assert not any("Traceback" in text for text in logs), agent_proc.stderr()[-4000:]
    # 6. discards
    assert not claimed_not_archived, f"said discarded but not in the archive: {claimed_not_archived[:5]}"
    assert not lost, f"discarded entries in neither the archive nor the backend: {lost[:5]}"
    # 5. RSS growth
    assert growth <= bound, f"agent RSS grew {growth:.1f} MB after warm-up (bound {bound:g} MB)"
