from __future__ import annotations

import json
import os
import random
import signal
import time
from datetime import UTC, datetime, timedelta

from synctui.agent.history import KINDS, History
from synctui.agent.journal import Journal
from synctui.agent.storage import AtomicJSONStorage
from synctui.agent.store import Store
from synctui.model import QueueStat
from synctui.testing import make_snapshot


def test_writes_only_on_flush_and_atomically(tmp_path):
    storage = AtomicJSONStorage(tmp_path / "s.json")
    storage.write({"t": {"1": {"a": 1}}})
    assert not (tmp_path / "s.json").exists()
    assert storage.flush() is True
    assert storage.flush() is False  # nothing new
    assert json.loads((tmp_path / "s.json").read_text()) == {"t": {"1": {"a": 1}}}
    assert [p.name for p in tmp_path.iterdir()] == ["s.json"]  # no temp file left
    assert os.stat(tmp_path / "s.json").st_mode & 0o077 == 0


def test_unreadable_file_is_kept_aside_and_the_store_starts_empty(tmp_path):
    (tmp_path / "state.json").write_text('{"snapshots": {"1": {"backend"')
    store = Store(tmp_path)
    assert store.last_snapshot("a") is None
    assert any(p.name.startswith("state.json.corrupt-") for p in tmp_path.iterdir())


def test_snapshot_roundtrip(tmp_path):
    store = Store(tmp_path)
    snap = make_snapshot("a", outbox=3)
    store.save_snapshot(snap)
    store.close()
    assert Store(tmp_path).last_snapshot("a") == snap


def _stats(counts):
    return [QueueStat(kind=k, count=c) for k, c in zip(KINDS, counts, strict=True)]


def test_history_keeps_only_changes():
    h = History()
    t = datetime(2026, 1, 1, tzinfo=UTC)
    assert h.add(_stats([1, 0, 0, 0]), t)
    assert not h.add(_stats([1, 0, 0, 0]), t + timedelta(seconds=5))
    assert h.add(_stats([2, 0, 0, None]), t + timedelta(seconds=10))
    assert [p[1:] for p in h.points] == [[1, 0, 0, 0], [2, 0, 0, None]]
    assert h.recent()[-1].counts == {KINDS[0]: 2, KINDS[1]: 0, KINDS[2]: 0}


def test_history_downsampling_keeps_peaks_and_bounds_size():
    h = History()
    start = datetime(2026, 1, 1, tzinfo=UTC)
    rng = random.Random(1)
    peak_at = 200
    for i in range(0, 40 * 86400, 5 * 60):  # every 5 minutes for 40 days, always changing
        value = 1000 if i == peak_at * 300 else rng.randint(0, 50)
        h.add(_stats([value, i % 7, 0, rng.randint(0, 3)]), start + timedelta(seconds=i))
    # 1h raw (12) + 23h at 1 min (276) + 29 days at 15 min (2784) + 10 days hourly (240), give or take
    assert len(h.points) < 3400
    assert max(p[1] for p in h.points) == 1000  # the peak survived downsampling
    times = [p[0] for p in h.points]
    assert times == sorted(times)


def test_store_stays_small_after_30_days(tmp_path):
    store = Store(tmp_path)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    rng = random.Random(2)
    for i in range(0, 30 * 86400, 60):  # a change every minute for 30 days
        snap = make_snapshot("a", outbox=rng.randint(0, 40), conflicts=rng.randint(0, 4))
        store.record_depths(snap, start + timedelta(seconds=i))
        if i % 3600 == 0:
            store.save_snapshot(snap)
            store.flush()
    store.close()
    assert store.size_bytes < 5_000_000


def test_journal_rotates_and_survives_a_torn_line(tmp_path):
    j = Journal(tmp_path / "audit.jsonl", max_bytes=50, keep=2)
    for i in range(20):
        j.append({"i": i})
    with open(tmp_path / "audit.jsonl", "a") as f:
        f.write('{"i": 99, "torn')
    records = j.read()
    assert records[-1]["i"] == 19
    assert len(list(tmp_path.glob("audit.jsonl.*"))) == 2
    archive = Journal(tmp_path / "archive.jsonl", max_bytes=100, keep=None)
    for i in range(30):
        archive.append({"i": i})
    assert [r["i"] for r in archive.read()] == list(range(30))  # the archive never drops anything


def _writer(path, stop_after: float) -> None:
    store = Store(path)
    rng = random.Random(os.getpid())
    deadline = time.monotonic() + stop_after
    i = 0
    while time.monotonic() < deadline:
        i += 1
        snap = make_snapshot("a", outbox=i, inbox=rng.randint(0, 1000))
        store.save_snapshot(snap)
        store.record_depths(snap, datetime.now(UTC) + timedelta(seconds=i))
        store.audit_record({"i": i, "pad": "x" * rng.randint(0, 300)})
        store.flush()


def test_kill_9_during_writes_never_breaks_the_store(tmp_path):
    """200 times: a child writes the store as fast as it can and is killed at a random moment."""
    rng = random.Random(42)
    path = tmp_path / "state"
    Store(path).close()
    last_outbox = 0
    for _ in range(200):
        pid = os.fork()
        if pid == 0:  # child
            try:
                _writer(path, 5.0)
            finally:
                os._exit(0)
        time.sleep(rng.uniform(0.002, 0.03))
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        store = Store(path)  # must load, every time
        snap = store.last_snapshot("a")
        if snap is not None:
            last_outbox = snap.queues[0].count
        assert store.history("a").points is not None
        store.audit.read()
        assert not any(p.name.startswith("state.json.corrupt") for p in path.iterdir())
    assert last_outbox > 0


def test_a_restart_marks_a_gap_in_the_depth_history(tmp_path):
    store = Store(tmp_path)
    snap = make_snapshot("b", outbox=5)
    store.record_depths(snap, at=datetime(2026, 11, 30, 8, 0, tzinfo=UTC))
    store.close()
    again = Store(tmp_path)
    points = again.history("b").points
    assert points[-1][1:] == [None] * len(KINDS)  # the agent was not watching: not known
    assert again.record_depths(snap, at=datetime.now(UTC))  # the same depth is recorded anew
    again.close()
