"""/metrics: the agent's state in the Prometheus text format, computed at scrape time."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from importlib import metadata
from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from synctui import __version__
from synctui.config_fleet import host_identity
from synctui.verdict import stuck_queues

if TYPE_CHECKING:
    from synctui.agent.core import Agent


class AgentCollector:
    """Every series carries the device's identity (`device` and its free labels) first, so that the
    same series pushed by thousands of devices stay apart in one Prometheus."""

    def __init__(self, agent: Agent) -> None:
        self.agent = agent
        identity = agent.config.agent.identity or host_identity()
        self.identity = identity.as_labels()
        self._adapter_versions: dict[str, str] = {}

    def _family(self, name: str, documentation: str, labels: list[str]) -> GaugeMetricFamily:
        return GaugeMetricFamily(name, documentation, labels=[*self.identity, *labels])

    def collect(self) -> Iterator[Metric]:
        family = self._family
        ident = list(self.identity.values())
        depth = family("synctui_queue_depth", "Entries waiting in a queue", ["backend", "kind", "queue"])
        oldest = family(
            "synctui_queue_oldest_timestamp_seconds",
            "Creation time of the oldest entry in a queue",
            ["backend", "kind", "queue"],
        )
        stuck = family(
            "synctui_queue_stuck",
            "1 when a non-empty queue has not changed for the backend's stuck_after, else 0",
            ["backend", "kind", "queue"],
        )
        online = family("synctui_backend_online", "1 when the backend answered", ["backend", "kind"])
        stale = family(
            "synctui_backend_stale", "1 when the last refresh failed and data is old", ["backend", "kind"]
        )
        taken = family(
            "synctui_snapshot_timestamp_seconds", "When the shown data was taken", ["backend", "kind"]
        )
        last_success = family(
            "synctui_sync_last_success_timestamp_seconds",
            "Last successful sync of a record type",
            ["backend", "kind", "record_type", "filter"],
        )
        last_full = family(
            "synctui_sync_last_full_timestamp_seconds",
            "Last time every record type had synced (the oldest last success of the log); 0: never",
            ["backend", "kind"],
        )
        last_attempt = family(
            "synctui_sync_last_attempt_timestamp_seconds",
            "Last sync attempt of any record type, successful or not",
            ["backend", "kind"],
        )
        contact = family(
            "synctui_backend_last_contact_timestamp_seconds",
            "Last time the device is known to have reached its server (online snapshot or sync success)",
            ["backend", "kind"],
        )
        verdict = family(
            "synctui_verdict",
            "The verdict on a backend: 0 safe, 1 waiting, 2 attention, 3 unknown (as `synctui status`)",
            ["backend", "kind"],
        )
        reason = family(
            "synctui_verdict_reason",
            "1 for each reason behind a backend's verdict, by its code (conflicts, stuck, offline, ...)",
            ["backend", "kind", "code", "level"],
        )
        agent_info = family("synctui_agent_info", "The agent's version", ["version"])
        agent_info.add_metric([*ident, __version__], 1.0)
        backend_info = family(
            "synctui_backend_info",
            "A backend's adapter version and the server version it reported",
            ["backend", "kind", "adapter_version", "server_version"],
        )
        for service in self.agent.services.values():
            snap = service.snapshot
            labels = [*ident, snap.backend, snap.kind]
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
            reached = snap.health.online and not snap.stale
            online.add_metric(labels, 1.0 if reached else 0.0)
            stale.add_metric(labels, 1.0 if snap.stale else 0.0)
            taken.add_metric(labels, snap.taken_at.timestamp())
            successes = [row.last_success for row in snap.log]
            for row in snap.log:
                if row.last_success is not None:
                    last_success.add_metric(
                        [*labels, row.record_type, row.filter], row.last_success.timestamp()
                    )
            if successes:  # no log rows: not known, so no sample
                full = None if None in successes else min(s for s in successes if s is not None)
                last_full.add_metric(labels, full.timestamp() if full else 0.0)
            attempts = [row.last_attempt for row in snap.log if row.last_attempt is not None]
            if attempts:
                last_attempt.add_metric(labels, max(attempts).timestamp())
            contacts = [s for s in successes if s is not None] + ([snap.taken_at] if reached else [])
            if contacts:
                contact.add_metric(labels, max(contacts).timestamp())
            backend_info.add_metric(
                [*labels, self._adapter_version(snap.kind), snap.health.server_version or ""], 1.0
            )
        yield from (verdict, reason, depth, oldest, stuck, online, stale, taken, last_success, last_full)
        yield from (last_attempt, contact, agent_info, backend_info)
        if self.agent.pusher is not None:
            yield from self._push_families(ident)

    def _push_families(self, ident: list[str]) -> Iterator[Metric]:
        pusher = self.agent.pusher
        assert pusher is not None
        buffered = self._family("synctui_push_buffer_samples", "Samples waiting in the push buffer", [])
        buffered.add_metric(ident, pusher.buffer.samples)
        size = self._family("synctui_push_buffer_bytes", "Bytes of the push buffer on disk", [])
        size.add_metric(ident, pusher.buffer.size)
        dropped = self._family(
            "synctui_push_dropped_samples",
            "Samples never sent since the agent started, by why (buffer caps, refused by the receiver)",
            ["reason"],
        )
        for why, count in sorted(pusher.buffer.dropped_reason.items()):
            dropped.add_metric([*ident, why], count)
        yield from (buffered, size, dropped)
        if pusher.last_success_ms is not None:
            success = self._family(
                "synctui_push_last_success_timestamp_seconds", "Last time the receiver accepted a push", []
            )
            success.add_metric(ident, pusher.last_success_ms / 1000)
            yield success

    def _adapter_version(self, kind: str) -> str:
        """The version of the distribution whose plugin registered `kind` (synctui's for built-ins)."""
        if kind not in self._adapter_versions:
            source = next((p.source for p in self.agent.registry.plugins if kind in p.kinds), "?")
            try:
                found = __version__ if source == "built-in" else metadata.version(source)
            except (metadata.PackageNotFoundError, ValueError):
                found = ""
            self._adapter_versions[kind] = found
        return self._adapter_versions[kind]


def metrics_registry(agent: Agent) -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(AgentCollector(agent))
    return registry


def render_metrics(registry: CollectorRegistry) -> tuple[bytes, str]:
    return generate_latest(registry), CONTENT_TYPE_LATEST
