"""A fleet generator: the series of `count` simulated devices × 3 backends (the names a real agent
exports), pushed through synctui's remote-write code (synctui.agent.remote_write) to a receiver.

Device i is deterministic: every 7th has a stuck outbox, every 5th conflicts, every 11th never fully
synced, every 13th fell silent 3 days ago. A silent device's raw series are 3 days old, so the
recording rules, which run now, never saw them: for those the generator also writes the device-level
series the rules would have kept since (their "latch"), as a Prometheus that ran all along has them.
Used by the fleet tests (a few devices) and tests/bench/bench_fleet.py (10,000)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx

from synctui.agent import remote_write
from synctui.agent.remote_write import Sample

DAY = 86400.0
BACKENDS = (("dcdr", "santedb"), ("stock", "msupply"), ("campaign", "hcm"))
SITES = 50


def device_name(i: int) -> str:
    return f"tab-{i:05d}"


def device_samples(i: int, now: float) -> Iterator[Sample]:
    """Device i's series at time `now` (seconds): silent ones report only from days ago."""
    samples = list(_raw_samples(i, now))
    yield from samples
    if is_silent(i):
        yield from _latched(samples, int(now * 1000))


def is_silent(i: int) -> bool:
    return i % 13 == 12


LATCHES = {  # raw series -> (recorded series, how the rules combine backends)
    "synctui_verdict": ("synctui_device:verdict:max", max),
    "synctui_backend_last_contact_timestamp_seconds": ("synctui_device:last_contact_timestamp:max", max),
    "synctui_sync_last_full_timestamp_seconds": ("synctui_device:last_full_sync_timestamp:min", min),
}


def _latched(samples: list[Sample], now_ms: int) -> Iterator[Sample]:
    ident = {k: v for k, v in samples[0].labels.items() if k in ("device", "site", "district")}
    values: dict[str, list[float]] = {}
    for s in samples:
        if s.labels["__name__"] in LATCHES:
            values.setdefault(s.labels["__name__"], []).append(s.value)
        elif s.labels["__name__"] == "synctui_queue_depth":
            values.setdefault(f"queue:{s.labels['queue']}", []).append(s.value)
    for raw, (recorded, combine) in LATCHES.items():
        yield Sample({"__name__": recorded, **ident}, combine(values[raw]), now_ms)
    yield Sample({"__name__": "synctui_device:unsent:sum", **ident}, sum(values["queue:outbox"]), now_ms)
    yield Sample(
        {"__name__": "synctui_device:conflicts:sum", **ident}, sum(values["queue:conflicts"]), now_ms
    )
    seen = samples[0].timestamp_ms / 1000
    yield Sample({"__name__": "synctui_device:last_seen_timestamp:max", **ident}, seen, now_ms)


def _raw_samples(i: int, now: float) -> Iterator[Sample]:
    silent = is_silent(i)
    at = now - 3 * DAY if silent else now
    ms = int(at * 1000)
    ident = {"device": device_name(i), "site": f"site-{i % SITES:02d}", "district": f"district-{i % 5}"}

    def sample(name: str, value: float, **labels: str) -> Sample:
        return Sample({"__name__": name, **ident, **labels}, value, ms)

    yield sample("synctui_agent_info", 1.0, version="0.1.0")
    stuck = i % 7 == 3
    conflicts = 2 if i % 5 == 4 else 0
    never = i % 11 == 10
    for n, (backend, kind) in enumerate(BACKENDS):
        on = {"backend": backend, "kind": kind}
        unsent = (1 + i % 17) * (n + 1) if stuck or i % 3 == 0 else 0
        mine_conflicts = conflicts if n == 0 else 0
        level = 2 if (stuck or mine_conflicts) else (1 if unsent else 0)
        yield sample("synctui_verdict", float(level), **on)
        if stuck and n == 0:
            yield sample("synctui_verdict_reason", 1.0, code="stuck", level="attention", **on)
        if mine_conflicts:
            yield sample("synctui_verdict_reason", 1.0, code="conflicts", level="attention", **on)
        yield sample("synctui_queue_depth", float(unsent), queue="outbox", **on)
        yield sample("synctui_queue_depth", float(mine_conflicts), queue="conflicts", **on)
        if unsent:
            age = (1 + i % 9) * DAY if stuck else 600.0
            yield sample("synctui_queue_oldest_timestamp_seconds", at - age, queue="outbox", **on)
        full = 0.0 if never and n == 1 else at - (i % 40) * DAY / 4 - 60
        yield sample("synctui_sync_last_full_timestamp_seconds", full, **on)
        yield sample("synctui_sync_last_attempt_timestamp_seconds", at - 60, **on)
        yield sample("synctui_backend_last_contact_timestamp_seconds", at - 60 - (i % 4) * DAY, **on)
        yield sample("synctui_backend_info", 1.0, adapter_version="0.1.0", server_version="3.0", **on)


def push_fleet(write_url: str, count: int, now: float, *, batch: int = 500) -> int:
    """Push `count` devices in requests of `batch` devices; the number of samples sent."""
    sent = 0
    with httpx.Client(headers=remote_write.HEADERS, timeout=60.0) as http:
        for start in range(0, count, batch):
            samples = [s for i in range(start, min(count, start + batch)) for s in device_samples(i, now)]
            body = remote_write.compress(remote_write.encode(samples))
            response = http.post(write_url, content=body)
            if not response.is_success:
                raise RuntimeError(f"receiver answered HTTP {response.status_code}: {response.text[:300]}")
            sent += len(samples)
    return sent
