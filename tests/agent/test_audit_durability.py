"""The audit record before a change must be on disk or the change does not run; a discard whose
archive record could not be written deletes nothing (issue 9)."""

from __future__ import annotations

import errno
import logging
import os

import httpx
import pytest
from synctui_santedb.simulator import SimulatorState, create_app

from synctui.agent import journal as journal_module
from synctui.agent.api import create_api
from synctui.agent.core import Agent
from synctui.agent.journal import JournalError, KiB
from synctui.backend import BackendSettings, Secret

from .conftest import agent_config, static_settings

_real_write = os.write


def _half_then_enospc(fd, data):
    """A journal write that lands half of its bytes, then finds the disk full."""
    if len(data) > 1:
        return _real_write(fd, bytes(data[: len(data) // 2]))
    raise OSError(errno.ENOSPC, "No space left on device")


def disk_full(monkeypatch):
    monkeypatch.setattr(journal_module.os, "write", _half_then_enospc)


async def test_an_audit_record_before_a_change_that_cannot_be_written_raises(make_agent, monkeypatch, caplog):
    agent = make_agent(static_settings("a"))
    agent.audit("k0", "a", "retry", "before", target=["e1"])  # the disk is fine
    disk_full(monkeypatch)
    with pytest.raises(OSError) as err:
        agent.audit("k1", "a", "retry", "before", target=["e1"])
    assert isinstance(err.value, JournalError)
    assert str(err.value) == "the audit log could not be written (disk full?)"
    with caplog.at_level(logging.ERROR):  # after and refused: logged, the answer stands
        agent.audit("k1", "a", "retry", "after", result={"ok": True})
        agent.audit("k2", "a", "retry", "refused", result={"ok": False})
    assert "the 'after' record of retry on a is missing" in caplog.text
    monkeypatch.undo()
    assert [r["id"] for r in agent.store.audit.read()] == ["k0"]  # nothing torn
    assert agent.store.audit.skipped == 0


async def test_an_audit_record_takes_any_string_and_stays_small(make_agent):
    agent = make_agent(static_settings("a"))
    agent.audit("k1", "a", "reset", "before", target=["\ud800", "x" * (5 * 1024 * 1024)])
    (record,) = agent.store.audit.read()
    assert record["target"][0] == "\ud800"
    assert len(record["target"][1]) < 5000 and "shortened" in record["target"][1]
    assert agent.store.audit.path.stat().st_size <= 64 * KiB


@pytest.fixture
async def santedb(tmp_path, registry):
    sim = SimulatorState(seed=3, step_delay=0)
    for fate in (409, 422):
        entry = sim.enqueue("out", "Patient", "Insert", {"$type": "Patient", "id": str(fate)}, fate=fate)
        sim.push(entry)
    settings = BackendSettings(
        name="tablet", kind="santedb", url="http://dcdr.test:9200", username="demo", secret=Secret("demo"),
        refresh_interval=60, timeout=5,
    )  # fmt: skip
    agent = Agent(
        agent_config(tmp_path, [settings]),
        registry,
        transports={"tablet": httpx.ASGITransport(app=create_app(sim))},
        watch=False,
    )
    await agent.services["tablet"].refresh_once()
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=create_api(agent)), base_url="http://a")
    yield sim, agent, client
    await client.aclose()
    await agent.stop()


async def test_a_discard_on_a_full_disk_deletes_nothing_and_tears_nothing(santedb, monkeypatch):
    sim, agent, client = santedb
    ids = [str(e.id) for e in sim.queue_entries("deadletter")]
    archive = agent.store.archive
    real_append = archive._append_bytes

    def archive_disk_full(data):  # only the archive's disk is full: the audit log is written
        monkeypatch.setattr(journal_module.os, "write", _half_then_enospc)
        try:
            real_append(data)
        finally:
            monkeypatch.setattr(journal_module.os, "write", _real_write)

    monkeypatch.setattr(archive, "_append_bytes", archive_disk_full)
    response = await client.post("/v1/backends/tablet/discard", json={"queue": "conflicts", "ids": ids})
    body = response.json()
    assert response.status_code == 200 and body["ok"] is False, body
    assert all("not discarded" in r["message"] and "disk full?" in r["message"] for r in body["results"])
    assert [str(e.id) for e in sim.queue_entries("deadletter")] == ids  # all still on the backend
    assert archive.read() == [] and archive.skipped == 0
    assert not archive.path.exists() or archive.path.stat().st_size == 0
    monkeypatch.setattr(archive, "_append_bytes", real_append)  # space returns
    response = await client.post("/v1/backends/tablet/discard", json={"queue": "conflicts", "ids": ids})
    assert response.json()["ok"] is True
    assert sorted(r["entry"]["id"] for r in archive.read()) == sorted(ids)
    assert sim.queue_entries("deadletter") == []
