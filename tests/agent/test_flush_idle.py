"""The store's flush loop sleeps while nothing waits to be written, and writes soon after something does."""

from __future__ import annotations

import asyncio
from dataclasses import replace

from synctui.model import QueueKind

from .conftest import static_settings, wait_for


async def test_flush_waits_for_something_to_write(make_agent, monkeypatch) -> None:
    agent = make_agent(static_settings("a", refresh_interval=0.1))  # flush_interval 0.2 s
    results: list[bool] = []
    real_flush = agent.store.flush

    def counted_flush() -> bool:
        results.append(real_flush())
        return results[-1]

    monkeypatch.setattr(agent.store, "flush", counted_flush)
    await agent.start()
    await wait_for(lambda: True in results)  # the first snapshot and depths are written
    written = len(results)
    await asyncio.sleep(1.0)  # about 10 refreshes of unchanged data, 5 flush intervals
    assert len(results) == written
    backend = agent.services["a"].backend
    queues = [replace(q, count=7) if q.kind == QueueKind.OUTBOX else q for q in backend.next.queues]
    backend.next = replace(backend.next, queues=queues)
    await wait_for(lambda: len(results) > written)
    assert results[-1] is True and not agent.store.pending
