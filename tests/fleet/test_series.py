"""The series an agent exports for a fleet: the device's identity on every one, and the new facts
(last full sync vs last attempt, last contact, versions)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from synctui import __version__
from synctui.agent.core import Agent
from synctui.agent.metrics import metrics_registry, render_metrics
from synctui.config_fleet import DeviceIdentity
from synctui.model import SyncLogRow
from synctui.testing import make_snapshot
from tests.agent.conftest import agent_config, registry, static_settings, wait_for

__all__ = ["registry"]  # the fixture, used by name

IDENTITY = DeviceIdentity(device="tab-07", labels={"site": "Kisumu-03", "district": "Kisumu"})


def samples_of(agent: Agent) -> list:
    text = render_metrics(metrics_registry(agent))[0].decode()
    return [s for family in text_string_to_metric_families(text) for s in family.samples]


def fleet_agent(tmp_path: Path, registry) -> Agent:
    config = agent_config(tmp_path, [static_settings("dcdr")])
    config.agent.identity = IDENTITY
    return Agent(config, registry, watch=False)


async def test_every_series_carries_the_device_and_its_labels(tmp_path, registry):
    agent = fleet_agent(tmp_path, registry)
    await agent.services["dcdr"].refresh_once()
    samples = samples_of(agent)
    assert len({s.name for s in samples}) >= 8
    for sample in samples:
        assert sample.labels["device"] == "tab-07", sample
        assert sample.labels["site"] == "Kisumu-03" and sample.labels["district"] == "Kisumu", sample
    await agent.stop()


async def test_last_full_sync_is_the_oldest_success_and_zero_means_never(tmp_path, registry):
    agent = fleet_agent(tmp_path, registry)
    service = agent.services["dcdr"]
    day_ago = datetime.now(UTC) - timedelta(days=1)
    hour_ago = datetime.now(UTC) - timedelta(hours=1)
    rows = [
        SyncLogRow(key="p", record_type="Patient", last_success=day_ago, last_attempt=hour_ago),
        SyncLogRow(key="o", record_type="Observation", last_success=hour_ago, last_attempt=hour_ago),
    ]
    service.backend.next = replace(make_snapshot("dcdr"), log=rows)
    await service.refresh_once()
    by_name = {s.name: s.value for s in samples_of(agent)}
    assert by_name["synctui_sync_last_full_timestamp_seconds"] == day_ago.timestamp()
    assert by_name["synctui_sync_last_attempt_timestamp_seconds"] == hour_ago.timestamp()
    assert by_name["synctui_backend_last_contact_timestamp_seconds"] >= hour_ago.timestamp()

    rows[1] = replace(rows[1], last_success=None)
    service.backend.next = replace(make_snapshot("dcdr"), log=rows)
    await service.refresh_once()
    by_name = {s.name: s.value for s in samples_of(agent)}
    assert by_name["synctui_sync_last_full_timestamp_seconds"] == 0.0
    await agent.stop()


async def test_no_log_no_contact_means_no_sample_rather_than_zero(tmp_path, registry):
    agent = fleet_agent(tmp_path, registry)  # never refreshed: nothing is known yet
    names = {s.name for s in samples_of(agent)}
    assert "synctui_sync_last_full_timestamp_seconds" not in names
    assert "synctui_backend_last_contact_timestamp_seconds" not in names
    info = [s for s in samples_of(agent) if s.name == "synctui_agent_info"]
    assert [s.labels["version"] for s in info] == [__version__]
    await agent.stop()


async def test_a_pushing_agent_buffers_while_the_receiver_is_down_and_says_so(tmp_path, registry):
    from synctui.config_fleet import PushSettings
    from tests.e2e.stack import free_port

    config = agent_config(tmp_path, [static_settings("dcdr")])
    config.agent.identity = IDENTITY
    config.agent.push = PushSettings(url=f"http://127.0.0.1:{free_port()}/api/v1/write", interval=1.0)
    agent = Agent(config, registry, watch=False)
    await agent.start()
    try:
        await wait_for(
            lambda: agent.pusher is not None and len(agent.pusher.buffer.segments) >= 2,
            timeout=30,  # 1 s apart; more under load
        )
        by_name = {s.name: s for s in samples_of(agent)}
        assert by_name["synctui_push_buffer_samples"].value == agent.pusher.buffer.samples > 0
        assert by_name["synctui_push_buffer_bytes"].labels["site"] == "Kisumu-03"
        assert "synctui_push_last_success_timestamp_seconds" not in by_name  # never reached: no sample
        assert sorted(p.name for p in (tmp_path / "state" / "push").iterdir())[0].startswith("000000000001-")
    finally:
        await agent.stop()
