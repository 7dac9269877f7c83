"""Push: every interval, take the agent's series as samples with their own time, keep them in the
on-disk buffer, and send the buffer oldest first to a Prometheus remote-write receiver.

Imported only when `[agent.push]` is set (it loads the wire libraries). While the receiver cannot be
reached the buffer grows (within its caps); when the link returns it is replayed in order, several
takes per request. A 2xx removes what was sent; a 5xx, a 429, a network error, or an answer about the
credentials or the URL (401, 403, 404, 407) keeps it for the next try; any other 4xx, or an answer
saying the sample can never be stored (too old for the receiver's `out_of_order_time_window`:
Prometheus 2.42 says so with a 500), means those samples are dropped, counted, and replay goes on.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
import time
from collections.abc import Iterator
from dataclasses import dataclass

from prometheus_client import CollectorRegistry

from synctui._httpx import httpx
from synctui.agent import remote_write
from synctui.agent.push_buffer import PushBuffer, Segment
from synctui.agent.ratelog import Streak
from synctui.config_fleet import PushSettings
from synctui.text import one_line

log = logging.getLogger(__name__)
REQUEST_MAX_BYTES = 1024 * 1024  # compressed bodies per replay request
# Prometheus 2.42 answers these with HTTP 500 (not 400), yet no retry will ever store the sample: older
# than its out_of_order_time_window, or before its head. Retrying would block the buffer for good.
NEVER_STORED = ("too old sample", "out of bounds", "out of order sample", "duplicate sample for timestamp")
# Answers about the request's credentials or address, not its samples: kept for when the settings are fixed.
NOT_THE_SAMPLES = {401: "username and password or token", 403: "credentials", 404: "url", 407: "proxy"}


@dataclass(frozen=True)
class FlushResult:
    sent_samples: int
    requests: int
    error: str | None = None  # why the buffer is not empty, when it is not


def samples_of(registry: CollectorRegistry, timestamp_ms: int) -> Iterator[remote_write.Sample]:
    for family in registry.collect():
        for sample in family.samples:
            yield remote_write.Sample({"__name__": sample.name, **sample.labels}, sample.value, timestamp_ms)


class Pusher:
    def __init__(
        self,
        settings: PushSettings,
        registry: CollectorRegistry,
        buffer: PushBuffer,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.settings = settings
        self.registry = registry
        self.buffer = buffer
        self.last_success_ms: int | None = None
        headers = dict(remote_write.HEADERS)
        if settings.token is not None:
            headers["Authorization"] = f"Bearer {settings.token.reveal()}"
        auth = None
        if settings.username is not None and settings.password is not None:
            auth = httpx.BasicAuth(settings.username, settings.password.reveal())
        verify: ssl.SSLContext | bool = True
        if settings.ca_file is not None:
            verify = ssl.create_default_context(cafile=str(settings.ca_file))
        self.http = httpx.AsyncClient(
            headers=headers,
            auth=auth,
            verify=verify,
            timeout=httpx.Timeout(settings.timeout),
            transport=transport,
            follow_redirects=False,
        )
        self._failing = Streak(log, f"remote write to {settings.url}", "push")

    def take(self, timestamp_ms: int | None = None) -> int:
        """Buffer the agent's series as they are now; the number of samples taken."""
        timestamp_ms = int(time.time() * 1000) if timestamp_ms is None else timestamp_ms
        samples = list(samples_of(self.registry, timestamp_ms))
        if samples:
            body = remote_write.compress(remote_write.encode(samples))
            self.buffer.append(body, timestamp_ms, len(samples))
        return len(samples)

    async def flush(self) -> FlushResult:
        """Send the buffer, oldest first, until it is empty or the receiver cannot take more now."""
        sent = requests = 0
        self.buffer.enforce_caps()
        while self.buffer.segments:
            batch = self.buffer.oldest(REQUEST_MAX_BYTES)
            outcome = await self._send(batch)
            requests += 1
            if outcome == "refused" and len(batch) > 1:
                # The receiver rolls back a whole request for one bad sample: find which take it was.
                for segment in batch:
                    outcome = await self._send([segment])
                    requests += 1
                    if outcome == "sent":
                        sent += segment.samples
                    elif outcome != "refused":
                        return self._failed(sent, requests, outcome)
                continue
            if outcome == "sent":
                sent += sum(s.samples for s in batch)
            elif outcome != "refused":
                return self._failed(sent, requests, outcome)
        self._failing.recovered()
        return FlushResult(sent, requests)

    async def _send(self, batch: list[Segment]) -> str:
        """ "sent" (and removed), "refused" (dropped, counted), or why it must wait for the next try."""
        raw = b"".join(remote_write.decompress(self.buffer.read(s)) for s in batch)  # a repeated field
        try:
            response = await self.http.post(self.settings.url, content=remote_write.compress(raw))
        except httpx.HTTPError as exc:
            return f"{type(exc).__name__}: {exc}"
        if response.is_success:
            self.buffer.remove(batch)
            self.last_success_ms = int(time.time() * 1000)
            return "sent"
        answer = one_line(response.text, 200)
        if response.status_code in NOT_THE_SAMPLES:
            check = NOT_THE_SAMPLES[response.status_code]
            return f"HTTP {response.status_code}: {answer}; samples kept, check [agent.push] {check}"
        permanent = any(words in answer for words in NEVER_STORED)
        if not permanent and (response.status_code == 429 or response.status_code >= 500):
            return f"HTTP {response.status_code}: {answer}"
        if len(batch) == 1:
            log.warning(
                "remote write to %s refused a take: HTTP %d: %s",
                self.settings.url,
                response.status_code,
                answer,
            )
            self.buffer.drop(batch, f"refused by the receiver (HTTP {response.status_code})")
        return "refused"

    def _failed(self, sent: int, requests: int, why: str) -> FlushResult:
        self._failing.failed(why)
        return FlushResult(sent, requests, why)

    async def run(self) -> None:
        while True:
            try:
                self.take()
            except OSError as exc:  # a full disk: this take is lost, and said so
                self._failing.failed(f"cannot buffer samples: {exc.strerror or exc}")
            await self.flush()
            await asyncio.sleep(self.settings.interval)

    async def aclose(self) -> None:
        await self.http.aclose()
