"""A state file the agent cannot use is moved aside and the agent starts empty (issue 9)."""

from __future__ import annotations

import json
import logging
import os

import pytest

from synctui.agent.store import Store
from synctui.testing import make_snapshot


def _random_bytes() -> bytes:
    return bytes(range(256)) * 8


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(_random_bytes(), id="random-bytes"),
        pytest.param(b'{"snapshots": {"1": {"backend": "\xff"}}}', id="invalid-utf8"),
        pytest.param(b'{"snapshots": {"1": {"backend"', id="torn-json"),
        pytest.param(b"[]", id="a-list"),
        pytest.param(b'"state"', id="a-string"),
        pytest.param(b"null", id="null"),
        pytest.param(b'{"snapshots": []}', id="table-is-a-list"),
        pytest.param(b'{"snapshots": 3}', id="table-is-a-number"),
        pytest.param(b'{"snapshots": {"1": [1, 2]}}', id="document-is-a-list"),
        pytest.param(b'{"history": {"1": "points"}}', id="document-is-a-string"),
        pytest.param(b'{"snapshots": {"one": {}}}', id="document-id-not-a-number"),
        pytest.param(b"[" * 100_000 + b"]" * 100_000, id="nested-too-deep"),
        pytest.param(b"", id="empty"),
    ],
)
def test_an_unusable_state_file_is_moved_aside_and_the_store_starts_empty(tmp_path, caplog, content):
    (tmp_path / "state.json").write_bytes(content)
    with caplog.at_level(logging.WARNING):
        store = Store(tmp_path)
    assert store.last_snapshot("a") is None
    assert store.history("a").points == []
    aside = [p for p in tmp_path.iterdir() if p.name.startswith("state.json.corrupt-")]
    assert len(aside) == 1 and aside[0].read_bytes() == content  # the evidence is kept as it was
    assert any("moved to" in r.getMessage() for r in caplog.records if r.levelno == logging.WARNING)
    _still_works(store, tmp_path)


def test_a_folder_at_the_state_path_is_moved_aside(tmp_path, caplog):
    (tmp_path / "state.json").mkdir()
    (tmp_path / "state.json" / "inside").write_text("kept")
    with caplog.at_level(logging.WARNING):
        store = Store(tmp_path)
    aside = [p for p in tmp_path.iterdir() if p.name.startswith("state.json.corrupt-")]
    assert len(aside) == 1 and (aside[0] / "inside").read_text() == "kept"
    assert "it is a folder" in caplog.text
    _still_works(store, tmp_path)


def test_documents_of_the_wrong_type_are_dropped_and_the_rest_kept(tmp_path, caplog):
    good = Store(tmp_path)
    good.save_snapshot(make_snapshot("good", outbox=4))
    good.close()
    data = json.loads((tmp_path / "state.json").read_text())
    data["snapshots"]["7"] = {"backend": 5, "schema": 1, "data": []}
    data["snapshots"]["8"] = {"backend": "bad", "schema": 1, "data": {"queues": "garbage"}}
    data["history"] = {"1": {"backend": "a", "points": 7}, "2": {"backend": ["x"], "points": []}}
    (tmp_path / "state.json").write_text(json.dumps(data))
    with caplog.at_level(logging.WARNING):
        store = Store(tmp_path)
    assert store.last_snapshot("good").queues[0].count == 4
    assert store.last_snapshot("bad") is None  # unreadable: ignored with a warning
    assert store.history("a").points == []
    assert "dropped" in caplog.text
    assert not any(p.name.startswith("state.json.corrupt-") for p in tmp_path.iterdir())
    _still_works(store, tmp_path)


def test_temp_files_left_by_a_crash_are_removed_at_start(tmp_path, caplog):
    dead = tmp_path / ".state.json.999999999.tmp"  # no such process
    dead.write_text("{half")
    alive = tmp_path / f".state.json.{os.getppid()}.tmp"  # a live process's write in progress
    alive.write_text("{")
    other = tmp_path / "notes.tmp"
    other.write_text("not ours")
    with caplog.at_level(logging.WARNING):
        Store(tmp_path).close()
    assert not dead.exists()
    assert alive.exists() and other.exists()
    assert "left by an earlier crash" in caplog.text


def _still_works(store: Store, path) -> None:
    store.save_snapshot(make_snapshot("a", outbox=2))
    store.close()
    again = Store(path)
    assert again.last_snapshot("a").queues[0].count == 2
    again.close()


def test_a_full_disk_at_shutdown_is_one_log_line_and_the_old_file_stays(tmp_path, monkeypatch, caplog):
    import errno

    from synctui.agent import storage as storage_module

    store = Store(tmp_path)
    store.save_snapshot(make_snapshot("a", outbox=1))
    store.flush()
    store.save_snapshot(make_snapshot("a", outbox=2))

    def full(path, text):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(storage_module, "write_atomically", full)
    with caplog.at_level(logging.ERROR):
        store.close()  # no traceback
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1 and "No space left on device" in errors[0]
    monkeypatch.undo()
    assert Store(tmp_path).last_snapshot("a").queues[0].count == 1  # the previous whole file
