"""The fault suite's run: an adapter put behind a FaultProxy on 127.0.0.1 that forwards to its
simulator, the calls the agent makes most, each bounded in time and checked: a well-formed answer or a
readable BackendError, never the secret."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace
from typing import Any

import httpx

from synctui.backend import Backend
from synctui.model import Capability, QueueKind, Snapshot, SyncResult
from synctui.testing import checks
from synctui.testing.checks import ConformanceError
from synctui.testing.faults import FaultPlan, FaultProxy
from synctui.testing.target import Target, agent_client

Call = tuple[str, Callable[[Backend], Awaitable[Any]]]


def read_calls(caps: frozenset[Capability]) -> list[Call]:
    """The reads the agent makes most, those the adapter claims."""
    calls: list[Call] = [("snapshot()", lambda b: b.snapshot())]
    if Capability.ENTRIES in caps:
        calls.append(("entries(conflicts)", lambda b: b.entries(QueueKind.CONFLICTS, 0, 5)))
        calls.append(("entries(outbox)", lambda b: b.entries(QueueKind.OUTBOX, 0, 5)))
    if Capability.CHECK_CONNECTION in caps:
        calls.append(("check_connection()", lambda b: b.check_connection()))
    if Capability.COUNT_REMOTES in caps:
        calls.append(("count_remotes()", lambda b: b.count_remotes()))
    if Capability.SETTINGS in caps:
        calls.append(("settings_list()", lambda b: b.settings_list()))
    return calls


def mixed_calls(caps: frozenset[Capability]) -> list[Call]:
    """The reads, and Synchronize Now when claimed (the action a field worker runs most)."""
    calls = read_calls(caps)
    if Capability.SYNCHRONIZE in caps:
        calls.append(("synchronize()", lambda b: b.synchronize(lambda _: None)))
    return calls


async def run_under_faults(
    adapter: type[Backend],
    target: Target,
    plan: FaultPlan,
    *,
    rounds: int | None,
    mixed: bool,
    hostile: Sequence[str],
    seed: int,
    timeout: float,
    call_limit: float,
) -> FaultProxy:
    """`rounds` calls (None: each read once) of the reads, or of the `mixed` calls, through the proxy;
    the shared client's timeout is `timeout`, one call may take `call_limit` seconds."""
    url = httpx.URL(target.settings.url)
    upstream = str(url.copy_with(path="/", query=None))
    async with FaultProxy(upstream, plan, transport=target.transport, seed=seed, hostile=hostile) as proxy:
        proxied = str(url.copy_with(scheme="http", host="127.0.0.1", port=proxy.port))
        settings = replace(target.settings, url=proxied, timeout=timeout)
        async with agent_client(settings, None) as http:
            backend = adapter(settings, http)
            try:
                caps = backend.capabilities
                calls = mixed_calls(caps) if mixed else read_calls(caps)
                for n in range(len(calls) if rounds is None else rounds):
                    what, call = calls[n % len(calls)]
                    await _faulted_call(backend, call(backend), what, proxy, call_limit)
            finally:
                await backend.aclose()
    if proxy.errors:
        raise AssertionError(f"the fault proxy itself failed (a bug in synctui.testing): {proxy.errors[0]}")
    return proxy


async def _faulted_call(
    backend: Backend, call: Awaitable[Any], what: str, proxy: FaultProxy, call_limit: float
) -> None:
    def where() -> str:
        return f"{what} under faults ({', '.join(sorted(proxy.injected)) or 'none'})"

    try:
        answer = await asyncio.wait_for(call, call_limit)
    except TimeoutError:
        raise ConformanceError(f"{backend.kind}: {where()} did not finish within {call_limit:g} s") from None
    except Exception as exc:
        checks.check_error(exc, backend, where())
        checks.check_no_secret(exc.rejection, backend, where())  # type: ignore[attr-defined]
        return
    if isinstance(answer, Snapshot):
        checks.check_snapshot(answer, backend)
    if isinstance(answer, SyncResult):
        checks.check_sync_result(answer, backend)
    checks.check_no_secret(answer, backend, where())
