"""The agent serves the verdict: in /v1/state, in /metrics, and it never shows unknown as empty."""

from __future__ import annotations

import asyncio
import time

import httpx
from prometheus_client.parser import text_string_to_metric_families

from synctui.agent.api import create_api
from synctui.backend import BackendError
from synctui.model import Category, QueueKind, Rejection
from synctui.testing import make_snapshot

from .conftest import static_settings, wait_for


def api_of(agent) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=create_api(agent)), base_url="http://a")


async def test_before_the_first_refresh_every_count_is_unknown_not_n_a(make_agent):
    agent = make_agent(static_settings("a"))
    state = (await api_of(agent).get("/v1/state")).json()
    view = state["backends"][0]
    assert all(q["count"] is None and q["known"] is False for q in view["snapshot"]["queues"])
    assert view["verdict"]["level"] == "unknown"
    assert [r["code"] for r in view["verdict"]["reasons"]] == ["never-refreshed"]


async def test_a_failing_first_refresh_says_why_it_is_unknown(make_agent):
    agent = make_agent(static_settings("a"))
    agent.services["a"].backend.next = BackendError(Rejection(Category.RETRYABLE, "connection refused"))
    await agent.services["a"].refresh_once()
    verdict = agent.state().backends[0].verdict
    assert verdict.level == "unknown" and "connection refused" in verdict.reasons[0].line


async def test_fresh_data_within_one_interval_once_the_backend_answers_again(make_agent):
    interval = 0.6
    agent = make_agent(static_settings("a", refresh_interval=interval))
    service = agent.services["a"]
    service.backend.next = BackendError(Rejection(Category.RETRYABLE, "offline"))
    await agent.start()
    await wait_for(lambda: service.failures >= 5, timeout=10)  # long enough for any backoff to grow
    service.backend.next = make_snapshot("a", conflicts=0)
    back = time.monotonic()
    await wait_for(lambda: not service.snapshot.stale, timeout=5)
    assert time.monotonic() - back <= interval + 0.3
    assert agent.state().backends[0].verdict.level == "safe"


async def test_metrics_carry_the_verdict_and_its_reasons(make_agent):
    agent = make_agent(static_settings("ok"), static_settings("bad"))
    agent.services["ok"].backend.next = make_snapshot("ok")
    agent.services["bad"].backend.next = make_snapshot("bad", conflicts=2)
    await asyncio.gather(*(s.refresh_once() for s in agent.services.values()))
    text = (await api_of(agent).get("/metrics")).text
    samples = {
        (s.name, tuple(sorted((k, v) for k, v in s.labels.items() if k != "device"))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }
    assert samples[("synctui_verdict", (("backend", "ok"), ("kind", "static")))] == 0.0
    assert samples[("synctui_verdict", (("backend", "bad"), ("kind", "static")))] == 2.0
    reason = (("backend", "bad"), ("code", "conflicts"), ("kind", "static"), ("level", "attention"))
    assert samples[("synctui_verdict_reason", reason)] == 1.0
    assert agent.state().backends[1].snapshot.queue(QueueKind.CONFLICTS).count == 2
