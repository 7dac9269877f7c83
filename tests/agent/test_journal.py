"""The audit log and the archive: every append is all-or-nothing, reading never fails (issue 9)."""

from __future__ import annotations

import errno
import json
import logging
import os
import subprocess
import uuid

import pytest

from synctui.agent import journal as journal_module
from synctui.agent.journal import Journal, JournalError, KiB, MiB


def archive(path, **kw) -> Journal:
    kw.setdefault("max_bytes", 5_000_000)
    kw.setdefault("keep", None)
    kw.setdefault("max_record", 16 * MiB)
    kw.setdefault("oversize", "refuse")
    kw.setdefault("label", "the archive")
    return Journal(path / "archive.jsonl", **kw)


def audit(path, **kw) -> Journal:
    kw.setdefault("max_record", 64 * KiB)
    kw.setdefault("label", "the audit log")
    return Journal(path / "audit.jsonl", **kw)


def entry(i: int, size: int = 4000) -> dict:
    return {"archive_id": f"a{i}", "entry": {"id": str(i)}, "payload": "é" * (size // 2)}


# --- all-or-nothing appends ------------------------------------------------------------------------


def test_a_write_that_fails_part_way_leaves_nothing_and_the_next_append_is_readable(tmp_path, monkeypatch):
    j = archive(tmp_path)
    j.append(entry(1))
    size = j.path.stat().st_size
    real_write = os.write

    def half_then_enospc(fd, data):
        if len(data) > 1:
            return real_write(fd, bytes(data[: len(data) // 2]))
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(journal_module.os, "write", half_then_enospc)
    with pytest.raises(OSError) as err:
        j.append(entry(2))
    assert isinstance(err.value, JournalError)
    assert str(err.value) == "the archive could not be written (disk full?)"
    assert err.value.errno == errno.ENOSPC
    assert j.path.stat().st_size == size  # cut back: no torn record
    monkeypatch.setattr(journal_module.os, "write", real_write)  # space returns
    j.append(entry(3))
    assert [r["archive_id"] for r in j.read()] == ["a1", "a3"]
    assert j.skipped == 0


def test_a_write_that_reports_more_than_it_wrote_is_caught_by_the_size_check(tmp_path, monkeypatch):
    j = archive(tmp_path)
    j.append(entry(1))
    size = j.path.stat().st_size
    monkeypatch.setattr(journal_module.os, "write", lambda fd, data: len(data))  # writes nothing
    with pytest.raises(JournalError, match=r"^the archive could not be written \(the file grew by 0"):
        j.append(entry(2))
    assert j.path.stat().st_size == size


def test_a_failing_fsync_cuts_the_record_back(tmp_path, monkeypatch):
    j = archive(tmp_path)
    j.append(entry(1))
    size = j.path.stat().st_size

    def eio(fd):
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(journal_module.os, "fsync", eio)
    with pytest.raises(JournalError, match=r"^the archive could not be written \(Input/output error\)$"):
        j.append(entry(2))
    monkeypatch.undo()
    assert j.path.stat().st_size == size
    assert [r["archive_id"] for r in j.read()] == ["a1"]


@pytest.fixture
def small_disk(tmp_path):
    """A 64 KiB tmpfs, when this test may mount one (root); skipped otherwise."""
    if os.geteuid() != 0:
        pytest.skip("mounting a small filesystem needs root (the fake part-way write covers the rest)")
    mount = tmp_path / f"disk-{uuid.uuid4().hex[:6]}"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=64k,mode=0700", "tmpfs", str(mount)],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False, capture_output=True)


def test_on_a_full_disk_no_record_is_torn_and_none_is_lost(small_disk):
    j = archive(small_disk)
    written, refused = [], 0
    for i in range(40):  # ~4 KB each: the 64 KiB disk fills after about 15
        try:
            j.append(entry(i))
        except JournalError as exc:
            assert str(exc) == "the archive could not be written (disk full?)"
            refused += 1
            continue
        written.append(f"a{i}")
    assert refused > 0 and written
    assert [r["archive_id"] for r in j.read()] == written  # every acknowledged record, nothing else
    assert j.skipped == 0
    assert j.path.read_bytes().endswith(b"\n")
    # Space returns (here: the file is rotated away, as an operator would free space).
    os.replace(j.path, small_disk / "moved-away")
    os.unlink(small_disk / "moved-away")
    j.append(entry(99))
    assert [r["archive_id"] for r in j.read()] == ["a99"]


def test_a_record_starts_on_a_fresh_line_after_a_torn_one(tmp_path):
    j = audit(tmp_path)
    j.append({"i": 1})
    with j.path.open("ab") as f:
        f.write('{"i": 2, "m": "é'.encode()[:-1])  # torn inside a multi-byte character
    j.append({"i": 3})
    j.append({"i": 4})
    assert [r["i"] for r in j.read()] == [1, 3, 4]
    assert j.skipped == 1


# --- reading never fails ------------------------------------------------------------------------------


def test_undecodable_lines_are_skipped_counted_and_warned_about_once(tmp_path, caplog):
    j = audit(tmp_path)
    j.append({"i": 1})
    with j.path.open("ab") as f:
        f.write(b'{"i": "\xff\xfe"}\n')  # invalid UTF-8
        f.write(b"[1, 2]\n")  # JSON, not an object
        f.write(b'"just a string"\n42\nnull\n')
        f.write(b"[" * 100_000 + b"\n")  # nested too deep to decode
        f.write(b"\n   \n")  # blank lines are not records, nor damage
    j.append({"i": 2})
    with caplog.at_level(logging.WARNING, logger="synctui.agent.journal"):
        records = j.read()
    assert [r["i"] for r in records] == [1, 2]
    assert j.skipped == 6
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "skipped 6 unreadable line(s)" in warnings[0].getMessage()
    assert j.read(limit=1) == [{"i": 2}]


def test_a_record_glued_onto_a_torn_line_by_an_older_version_is_recovered(tmp_path):
    path = tmp_path / "archive.jsonl"
    path.write_bytes(
        b'{"archive_id":"a1","payload":"x"}\n'
        b'{"archive_id":"a2","payload":"\xc3'  # torn mid-character, then glued:
        b'{"archive_id":"a3","payload":"{\\"nested\\": 1}"}\n'
        b'{"archive_id":"a4","pay'  # torn at the end
    )
    j = archive(tmp_path)
    assert [r["archive_id"] for r in j.read()] == ["a1", "a3"]
    assert j.skipped == 2
    j.append({"archive_id": "a5"})
    assert [r["archive_id"] for r in j.read()] == ["a1", "a3", "a5"]


def test_a_line_longer_than_any_record_is_skipped(tmp_path):
    j = audit(tmp_path, max_record=1 * KiB)
    with j.path.open("ab") as f:
        f.write(b'{"huge": "' + b"x" * 200_000 + b'"}\n')
    j.append({"i": 1})
    assert j.read() == [{"i": 1}]
    assert j.skipped == 1


def test_a_lone_surrogate_is_written_escaped_and_reads_back(tmp_path):
    j = audit(tmp_path)
    j.append({"target": ["\ud800", "ok"], "params": {"\udfff": "é"}})
    raw = j.path.read_bytes()
    raw.decode("utf-8")  # the file stays valid UTF-8
    assert b"\\ud800" in raw
    assert j.read() == [{"target": ["\ud800", "ok"], "params": {"\udfff": "é"}}]


# --- one record has a size bound -----------------------------------------------------------------


def test_an_audit_record_is_shortened_to_its_bound(tmp_path):
    j = audit(tmp_path)
    j.append(
        {
            "id": "k1",
            "phase": "before",
            "target": ["x" * (5 * MiB)],
            "params": {"many": list(range(1_000_000)), "deep": _deep(100_000)},
        }
    )
    assert j.path.stat().st_size <= 64 * KiB
    (record,) = j.read()
    assert record["id"] == "k1" and record["phase"] == "before"  # what happened stays readable
    assert "shortened" in json.dumps(record, ensure_ascii=False)
    assert record["target"][0].startswith("xxxx")


def test_an_archive_record_over_its_bound_is_refused_with_nothing_written(tmp_path):
    j = archive(tmp_path, max_record=1 * MiB)
    j.append(entry(1))
    size = j.path.stat().st_size
    with pytest.raises(JournalError) as err:
        j.append({"archive_id": "big", "payload": "x" * (2 * MiB)})
    assert str(err.value).startswith("the archive could not be written: the record is too large")
    assert "at most 1 MiB" in str(err.value)
    assert j.path.stat().st_size == size
    with pytest.raises(JournalError, match="cannot be encoded"):
        j.append({"archive_id": "deep", "payload": _deep(100_000)})
    assert [r["archive_id"] for r in j.read()] == ["a1"]


def test_rotation_keeps_the_archive_whole(tmp_path):
    j = archive(tmp_path, max_bytes=10 * KiB)
    for i in range(30):
        j.append(entry(i, size=1000))
    assert len(list(tmp_path.glob("archive.jsonl.*"))) >= 2
    assert [r["archive_id"] for r in j.read()] == [f"a{i}" for i in range(30)]


def _deep(depth: int) -> list:
    value: list = []
    for _ in range(depth):
        value = [value]
    return value


def test_a_limited_read_stops_before_the_older_rotated_files(tmp_path, caplog):
    journal = Journal(tmp_path / "audit.jsonl", max_bytes=400, keep=None)
    for n in range(60):
        journal.append({"n": n, "pad": "x" * 40})
    rotated = sorted(tmp_path.glob("audit.jsonl.*"))
    assert len(rotated) > 3
    oldest = max(rotated, key=lambda p: int(p.name.rsplit(".", 1)[-1]))
    oldest.unlink()
    oldest.mkdir()  # reading it would log "cannot read"
    with caplog.at_level(logging.WARNING):
        newest = journal.read(limit=3)
    assert [r["n"] for r in newest] == [57, 58, 59]
    assert "cannot read" not in caplog.text
    everything = journal.read()
    assert [r["n"] for r in everything] == sorted(r["n"] for r in everything) and everything[-1]["n"] == 59


def test_a_limited_read_takes_the_newest_records_from_the_end_of_a_large_file(tmp_path, monkeypatch):
    journal = Journal(tmp_path / "audit.jsonl", max_bytes=50 * MiB)
    with journal.path.open("ab") as f:  # faster than 20,000 fsynced appends
        for n in range(20_000):
            f.write(b'{"n": %d, "pad": "%s"}\n' % (n, b"x" * 60))
        f.write(b'{"n": "torn')  # a torn last line is skipped, counted
    journal.append({"n": 20_000})
    parsed = []
    real_parse = journal_module._parse
    monkeypatch.setattr(journal_module, "_parse", lambda line: parsed.append(1) or real_parse(line))
    assert [r["n"] for r in journal.read(limit=3)] == [19_998, 19_999, 20_000]
    assert len(parsed) < 2_000  # the end of the file, not its 20,000 lines
    assert journal.skipped == 1
    # more than the first window holds: the window grows, order and count stay exact
    many = journal.read(limit=5_000)
    assert [r["n"] for r in many] == list(range(15_001, 20_001))
    assert len(journal.read()) == 20_001


def test_a_limited_read_of_a_file_with_one_huge_line_still_finds_the_records_before_it(tmp_path):
    j = audit(tmp_path, max_record=1 * KiB)
    j.append({"i": 1})
    with j.path.open("ab") as f:
        f.write(b'{"huge": "' + b"x" * 300_000 + b'"}\n')
    j.append({"i": 2})
    assert j.read(limit=2) == [{"i": 1}, {"i": 2}]
    assert j.skipped == 1
