"""Background sync: the agent runs Synchronize Now itself, at start and every `sync_every`, through the
same audited, single-flight pipeline as a manual sync; the next run is served with the state."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from synctui_hcm.adapter import HCMBackend
from synctui_hcm.demo import HCMDemo

from synctui.agent.core import Agent
from synctui.agent.schedule import SyncSchedule
from synctui.backend import BackendSettings
from synctui.cli.status import format_status, judged
from synctui.config import ConfigError, load_config, parse_config
from synctui.model import JobState, QueueKind, SyncResult
from synctui.tui.format import clock_time
from synctui.tui.widgets.sync.jobs_panel import job_line

from .conftest import agent_config, static_settings, wait_for


def _syncs(agent: Agent, phase: str = "before") -> list[dict]:
    return [r for r in agent.store.audit.read() if r["action"] == "synchronize" and r["phase"] == phase]


async def test_no_background_sync_unless_asked(make_agent) -> None:
    agent = make_agent(static_settings("s"))
    await agent.start()
    await asyncio.sleep(0.3)
    assert agent.services["s"].backend.sync_started == 0
    assert agent.state().backends[0].sync_schedule is None


async def test_sync_at_start_runs_once_audited_as_started_by_the_schedule(make_agent) -> None:
    agent = make_agent(static_settings("s", sync_at_start=True))
    await agent.start()
    await wait_for(lambda: len(_syncs(agent, "after")) == 1)
    await asyncio.sleep(0.2)
    assert agent.services["s"].backend.sync_started == 1
    (before,) = _syncs(agent)
    assert before["params"] == {"started_by": "schedule"}
    job = agent.state().backends[0].sync_schedule
    assert job is not None and job.state == JobState.COMPLETED and job.next_run is None
    assert "at start" in job.message and "Sync finished" in job.message


async def test_every_interval_with_the_next_run_served(make_agent) -> None:
    agent = make_agent(static_settings("s", sync_every=0.3))
    await agent.start()
    await wait_for(lambda: agent.state().backends[0].sync_schedule.next_run is not None)
    job = agent.state().backends[0].sync_schedule
    assert job.state == JobState.SCHEDULED
    assert job.next_run > datetime.now(UTC)
    await wait_for(lambda: len(_syncs(agent, "after")) >= 2)
    assert agent.services["s"].backend.sync_started >= 2


async def test_a_failing_background_sync_is_not_retried_faster_than_its_interval(make_agent) -> None:
    agent = make_agent(static_settings("s", sync_at_start=True, sync_every=0.4))
    agent.services["s"].backend.sync_result = SyncResult(ok=False, message="server refused the token")
    await agent.start()
    await wait_for(
        lambda: (
            len(_syncs(agent, "after")) >= 3
            and agent.state().backends[0].sync_schedule.state == JobState.SCHEDULED
        ),
        timeout=10,
    )
    records = agent.store.audit.read()
    starts = [datetime.fromisoformat(r["time"]) for r in records if r["phase"] == "before"]
    ends = [datetime.fromisoformat(r["time"]) for r in records if r["phase"] == "after"]
    for ended, started in zip(ends, starts[1:], strict=False):
        assert started - ended >= timedelta(seconds=0.4)
    job = agent.state().backends[0].sync_schedule
    assert "server refused the token" in job.message


async def test_a_manual_sync_in_progress_is_joined_not_doubled(make_agent) -> None:
    agent = make_agent(static_settings("s", sync_every=0.2))
    service = agent.services["s"]
    service.backend.sync_gate = asyncio.Event()
    await agent.repairs.synchronize(service, pin=None, key="manual")
    await agent.start()
    await wait_for(lambda: agent.state().backends[0].sync_schedule.state == JobState.RUNNING)
    assert service.backend.sync_started == 1  # the schedule joined the manual run
    service.backend.sync_gate.set()
    await wait_for(lambda: service.action.state == "done")
    assert [r["params"] for r in _syncs(agent)] == [{}]
    # the next run is due an interval after that sync ended, not at once
    await wait_for(lambda: agent.state().backends[0].sync_schedule.state == JobState.SCHEDULED)
    job = agent.state().backends[0].sync_schedule
    assert job.next_run - service.action.finished >= timedelta(seconds=0.2)


async def test_read_only_agent_does_not_sync_in_the_background(tmp_path: Path, registry) -> None:
    config = agent_config(tmp_path, [static_settings("s", sync_at_start=True, sync_every=60)])
    config.agent.readonly = True
    agent = Agent(config, registry, watch=False)
    await agent.start()
    try:
        await asyncio.sleep(0.2)
        assert agent.services["s"].backend.sync_started == 0
        job = agent.state().backends[0].sync_schedule
        assert job.state == JobState.IDLE and job.message.startswith("off: the agent is read-only")
        assert not _syncs(agent, "refused")
    finally:
        await agent.stop()


async def test_the_adapter_decides_sync_at_start_and_the_config_overrides_it(tmp_path, registry) -> None:
    hcm = BackendSettings(name="h", kind="hcm", options={"oplog": str(tmp_path / "none.sqlite")})
    off = BackendSettings(name="o", kind="hcm", options=hcm.options, sync_at_start=False)
    agent = Agent(agent_config(tmp_path, [hcm, off, static_settings("s")]), registry, watch=False)
    try:
        assert HCMBackend.sync_at_start is True
        schedule = agent.services["h"].schedule
        assert isinstance(schedule, SyncSchedule) and schedule.at_start and schedule.every == 0
        assert agent.services["o"].schedule is None
        assert agent.services["s"].schedule is None  # the static adapter keeps the default: off
    finally:
        await agent.stop()


def test_status_and_jobs_panel_show_the_next_run(tmp_path, registry) -> None:
    agent = Agent(agent_config(tmp_path, [static_settings("s", sync_every=900)]), registry, watch=False)
    schedule = agent.services["s"].schedule
    now = datetime.now(UTC)
    schedule.next_run = now + timedelta(minutes=15)
    state = agent.state()
    text = format_status(judged(state, now), now)
    assert "Background sync" in text and "next run" in text and "(in 15 min)" in text
    assert "every 15 min" in text
    line = job_line(state.backends[0].sync_schedule, now).plain
    assert f"next {clock_time(schedule.next_run, now)}" in line  # HH:MM, or with the date past midnight
    agent.store.close()


def _backend(**keys) -> BackendSettings:
    (settings,) = parse_config({"backends": [{"name": "b", "kind": "hcm", **keys}]}).backends
    return settings


def test_config_keys() -> None:
    assert _backend().sync_at_start is None and _backend().sync_every == 0
    assert _backend(sync_every="15m").sync_every == 900
    assert _backend(sync_every=0).sync_every == 0 and _backend(sync_every="0").sync_every == 0
    assert _backend(sync_at_start=False).sync_at_start is False
    with pytest.raises(ConfigError, match="sync_every: must be 0 \\(off\\) or at least 60 s"):
        _backend(sync_every="30s")
    with pytest.raises(ConfigError, match="sync_every: expected a duration"):
        _backend(sync_every="soon")
    with pytest.raises(ConfigError, match="sync_at_start has the wrong type"):
        _backend(sync_at_start="yes")


def test_token_is_the_backend_secret_and_never_echoes(tmp_path) -> None:
    assert _backend(token="t0k3n-value").secret.reveal() == "t0k3n-value"
    token_file = tmp_path / "token"
    token_file.write_text("from-file\n")
    token_file.chmod(0o600)
    assert _backend(token_file=str(token_file)).secret.reveal() == "from-file"
    with pytest.raises(ConfigError, match="either a password or a token") as refused:
        _backend(token="t0k3n-value", password="p4ss")
    assert "t0k3n-value" not in str(refused.value) and "p4ss" not in str(refused.value)
    config = tmp_path / "config.toml"
    config.write_text('[[backends]]\nname = "b"\nkind = "hcm"\ntoken = "t0k3n-value"\n')
    config.chmod(0o644)
    with pytest.raises(ConfigError, match="refusing a token") as shared:
        load_config(config)
    assert "t0k3n-value" not in str(shared.value)


async def test_an_hcm_device_is_synced_when_the_agent_starts(tmp_path, registry) -> None:
    demo = HCMDemo(worker_interval=0)
    settings, transport = await demo.start(tmp_path / "device")
    agent = Agent(
        agent_config(tmp_path, [settings]), registry, transports={settings.name: transport}, watch=False
    )
    try:
        await agent.start()
        await wait_for(lambda: len(_syncs(agent, "after")) == 1, timeout=30)
        (before,) = _syncs(agent)
        assert before["params"] == {"started_by": "schedule"}
        await agent.services[settings.name].refresh_once()
        view = agent.state().backends[0]
        (job,) = [j for j in view.snapshot.jobs if j.id == "sync"]
        assert job.message != "No sync run by synctui yet" and job.last_finish is not None
        assert view.snapshot.queue(QueueKind.OUTBOX).count == 0
    finally:
        await agent.stop()
        await demo.stop()
