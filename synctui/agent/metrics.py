"""/metrics: the agent's state in the Prometheus text format, computed at scrape time."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from synctui.verdict import stuck_queues

if TYPE_CHECKING:
    from synctui.agent.core import Agent


class AgentCollector:
    def __init__(self, agent: Agent) -> None:
        self.agent = agent

    def collect(self) -> Iterator[Metric]:
        depth = GaugeMetricFamily(
            "synctui_queue_depth", "Entries waiting in a queue", labels=["backend", "kind", "queue"]
        )
        oldest = GaugeMetricFamily(
            "synctui_queue_oldest_timestamp_seconds",
            "Creation time of the oldest entry in a queue",
            labels=["backend", "kind", "queue"],
        )
        stuck = GaugeMetricFamily(
            "synctui_queue_stuck",
            "1 when a non-empty queue has not changed for the backend's stuck_after, else 0",
            labels=["backend", "kind", "queue"],
        )
        online = GaugeMetricFamily(
            "synctui_backend_online", "1 when the backend answered", labels=["backend", "kind"]
        )
        stale = GaugeMetricFamily(
            "synctui_backend_stale",
            "1 when the last refresh failed and data is old",
            labels=["backend", "kind"],
        )
        taken = GaugeMetricFamily(
            "synctui_snapshot_timestamp_seconds", "When the shown data was taken", labels=["backend", "kind"]
        )
        last_success = GaugeMetricFamily(
            "synctui_sync_last_success_timestamp_seconds",
            "Last successful sync of a record type",
            labels=["backend", "kind", "record_type", "filter"],
        )
        verdict = GaugeMetricFamily(
            "synctui_verdict",
            "The verdict on a backend: 0 safe, 1 waiting, 2 attention, 3 unknown (as `synctui status`)",
            labels=["backend", "kind"],
        )
        reason = GaugeMetricFamily(
            "synctui_verdict_reason",
            "1 for each reason behind a backend's verdict, by its code (conflicts, stuck, offline, ...)",
            labels=["backend", "kind", "code", "level"],
        )
        for service in self.agent.services.values():
            snap = service.snapshot
            labels = [snap.backend, snap.kind]
            view = service.view()
            judged = view.verdict
            stuck_kinds = {s.stat.kind for s in stuck_queues(view, datetime.now(UTC))}
            if judged is not None:
                verdict.add_metric(labels, float(judged.level.exit_code))
                for code, level in sorted({(r.code, r.level.value) for r in judged.reasons}):
                    reason.add_metric([*labels, code, level], 1.0)
            for stat in snap.queues:
                if stat.count is None:  # no such queue, or not known: no sample rather than a false 0
                    continue
                depth.add_metric([*labels, stat.kind.value], stat.count)
                stuck.add_metric([*labels, stat.kind.value], 1.0 if stat.kind in stuck_kinds else 0.0)
                if stat.oldest is not None:
                    oldest.add_metric([*labels, stat.kind.value], stat.oldest.timestamp())
            online.add_metric(labels, 1.0 if snap.health.online and not snap.stale else 0.0)
            stale.add_metric(labels, 1.0 if snap.stale else 0.0)
            taken.add_metric(labels, snap.taken_at.timestamp())
            for row in snap.log:
                if row.last_success is not None:
                    last_success.add_metric(
                        [*labels, row.record_type, row.filter], row.last_success.timestamp()
                    )
        yield from (verdict, reason, depth, oldest, stuck, online, stale, taken, last_success)


def metrics_registry(agent: Agent) -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(AgentCollector(agent))
    return registry


def render_metrics(registry: CollectorRegistry) -> tuple[bytes, str]:
    return generate_latest(registry), CONTENT_TYPE_LATEST
