"""Push: the on-disk buffer (caps, order, restart) and replay to a real Prometheus after an offline
period, every sample with its own time, none sent twice, a too-old one refused, dropped and counted."""

from __future__ import annotations

import base64
import time
from datetime import timedelta
from pathlib import Path

import httpx

from synctui.agent import remote_write
from synctui.agent.core import Agent
from synctui.agent.metrics import metrics_registry
from synctui.agent.push import Pusher
from synctui.agent.push_buffer import PushBuffer
from synctui.config_fleet import DeviceIdentity, PushSettings
from synctui.testing import make_snapshot
from tests.agent.conftest import agent_config, registry, static_settings

from .prometheus_server import Prometheus, free_port

__all__ = ["registry"]
MINUTE_MS = 60_000


class RecordingTransport(httpx.AsyncBaseTransport):
    """The real HTTP transport, keeping each request body it carried."""

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.accepted: list[bytes] = []  # bodies answered 2xx

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        if 200 <= response.status_code < 300:
            self.accepted.append(request.content)
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()


def buffer_in(folder: Path, **kw) -> PushBuffer:
    kw.setdefault("max_bytes", 10 * 1024 * 1024)
    kw.setdefault("max_age", timedelta(days=30))
    return PushBuffer(folder, **kw)


def test_buffer_keeps_order_across_a_restart_and_drops_the_oldest_over_its_caps(tmp_path):
    now_ms = int(time.time() * 1000)
    buffer = buffer_in(tmp_path, max_bytes=1000)
    for i in range(10):
        buffer.append(bytes(200), now_ms - (10 - i) * MINUTE_MS, samples=7)
    assert [s.sequence for s in buffer.segments] == [6, 7, 8, 9, 10]  # 5 × 200 bytes fit
    assert buffer.dropped_samples == 35 and buffer.dropped_reason == {"over buffer_max_mb": 35}
    (tmp_path / "000000000011-1-1.tmp").write_bytes(b"torn")  # a crash mid-write: never renamed
    again = buffer_in(tmp_path, max_bytes=1000, max_age=timedelta(minutes=3))
    assert [s.sequence for s in again.segments] == [6, 7, 8, 9, 10]
    assert not list(tmp_path.glob("*.tmp"))
    again.enforce_caps(now_ms)
    assert [s.sequence for s in again.segments] == [8, 9, 10]  # older than 3 minutes: dropped, counted
    assert again.dropped_reason == {"older than buffer_max_age": 14}


async def test_an_offline_period_is_replayed_in_order_with_its_own_times(
    tmp_path, registry, prometheus: Prometheus
):
    config = agent_config(tmp_path, [static_settings("dcdr")])
    config.agent.identity = DeviceIdentity("tab-07", {"site": "Kisumu-03"})
    agent = Agent(config, registry, watch=False)
    agent.services["dcdr"].backend.next = make_snapshot("dcdr", outbox=4)
    await agent.services["dcdr"].refresh_once()
    folder = tmp_path / "push"
    now_ms = int(time.time() * 1000)
    offline = Pusher(
        PushSettings(url=f"http://127.0.0.1:{free_port()}/api/v1/write", token=None),
        metrics_registry(agent),
        buffer_in(folder, max_age=timedelta(days=60)),
    )
    offline.take(now_ms - 31 * 24 * 60 * MINUTE_MS)  # older than the receiver's 30-day window
    takes = [now_ms - m * MINUTE_MS for m in range(40, -1, -1)]  # 40 minutes offline, one take a minute
    for at in takes:
        offline.take(at)
    result = await offline.flush()
    assert result.error and result.sent_samples == 0 and len(offline.buffer.segments) == 42
    await offline.aclose()

    # Other devices kept the receiver busy meanwhile: its head starts now, so the replay is out of order.
    current = remote_write.Sample({"__name__": "synctui_agent_info", "device": "other"}, 1.0, now_ms)
    body = remote_write.compress(remote_write.encode([current]))
    assert httpx.post(prometheus.write_url, content=body, headers=remote_write.HEADERS).is_success
    # The link is back (and the agent restarted: a new pusher on the same folder).
    recording = RecordingTransport()
    online = Pusher(
        PushSettings(url=prometheus.write_url),
        metrics_registry(agent),
        buffer_in(folder, max_age=timedelta(days=60)),
        transport=recording,
    )
    result = await online.flush()
    assert result.error is None and not online.buffer.segments
    # Prometheus 2.42 refuses a sample past its window with a 500 "too old sample": dropped, not retried
    assert list(online.buffer.dropped_reason) == ["refused by the receiver (HTTP 500)"]
    per_take = online.buffer.dropped_samples
    assert result.sent_samples == per_take * len(takes)

    stored = prometheus.query('synctui_queue_depth{device="tab-07",queue="outbox"}[45m]')
    assert len(stored) == 1 and stored[0]["metric"]["site"] == "Kisumu-03"
    assert [round(float(t) * 1000) for t, _ in stored[0]["values"]] == takes
    assert {v for _, v in stored[0]["values"]} == {"4"}

    stored_keys = [
        (tuple(sorted(s.labels.items())), s.timestamp_ms)
        for body in recording.accepted
        for s in remote_write.decode(remote_write.decompress(body))
    ]
    assert len(stored_keys) == len(set(stored_keys)) == per_take * len(takes)  # none twice
    await online.aclose()
    await agent.stop()


async def test_each_push_says_its_wire_and_its_credentials_never_in_the_log(tmp_path, caplog):
    from prometheus_client import CollectorRegistry, Gauge

    from synctui.backend import Secret

    seen: list[httpx.Request] = []

    def receiver(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(503, text="busy")

    registry = CollectorRegistry()
    Gauge("synctui_agent_info", "x", registry=registry).set(1)
    for settings, expected in (
        (PushSettings(url="https://r/api/v1/write", token=Secret("tok-123")), "Bearer tok-123"),
        (
            PushSettings(url="https://r/api/v1/write", username="u", password=Secret("pw-456")),
            "Basic " + base64.b64encode(b"u:pw-456").decode(),
        ),
    ):
        pusher = Pusher(
            settings, registry, buffer_in(tmp_path / expected[:5]), transport=httpx.MockTransport(receiver)
        )
        pusher.take()
        result = await pusher.flush()
        assert result.error == "HTTP 503: busy" and len(pusher.buffer.segments) == 1  # kept for the next try
        request = seen[-1]
        assert request.headers["Authorization"] == expected
        assert request.headers["Content-Encoding"] == "snappy"
        assert request.headers["X-Prometheus-Remote-Write-Version"] == "0.1.0"
        [sample] = remote_write.decode(remote_write.decompress(request.content))
        assert sample.labels == {"__name__": "synctui_agent_info"} and sample.value == 1.0
        await pusher.aclose()
    assert "tok-123" not in caplog.text and "pw-456" not in caplog.text
