"""The plugin kit's suite itself: a careful toy adapter passes all of it, and each way of breaking the
contract is caught with a message that says what is wrong."""

from __future__ import annotations

import asyncio
import contextlib
import types
from collections.abc import AsyncIterator, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

import httpx
import pytest

from synctui.backend import Backend, BackendError
from synctui.hookspecs import hookimpl
from synctui.model import (
    ActionResult,
    Capability,
    Category,
    EntryPage,
    EntryResult,
    QueueKind,
    Rejection,
    Snapshot,
)
from synctui.testing import checks
from synctui.testing.checks import ConformanceError
from synctui.testing.conformance import BackendConformance, Target
from synctui.testing.faults import HOSTILE, FaultPlan, FaultProxy
from tests.unit import conformance_toy
from tests.unit.conformance_toy import TOKEN, URL, ToyBackend, ToyServer


class TestToyConforms(BackendConformance):
    adapter = ToyBackend

    @pytest.fixture
    def target(self) -> Target:
        return conformance_toy.target()


@contextlib.asynccontextmanager
async def toy(cls: type[Backend] = ToyBackend, server: ToyServer | None = None) -> AsyncIterator[Backend]:
    target = conformance_toy.target(server)
    async with httpx.AsyncClient(transport=target.transport) as http:
        yield cls(target.settings, http)


def suite(cls: type[Backend], **limits: Any) -> BackendConformance:
    return type("Suite", (BackendConformance,), {"adapter": cls, **limits})()


# --- answers of the wrong shape ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda s: replace(s, queues=s.queues[:3]), "queues must list each QueueKind once"),
        (lambda s: replace(s, queues=[replace(q, count=-1) for q in s.queues]), "non-negative int or None"),
        (lambda s: replace(s, queues=[replace(q, count=True) for q in s.queues]), "non-negative int or None"),
        (lambda s: replace(s, backend="other"), "expected the configured name"),
        (lambda s: replace(s, kind="other"), "snapshot.kind is 'other'"),
        (lambda s: replace(s, taken_at=datetime(2026, 1, 1)), "taken_at must be a timezone-aware"),
        (
            lambda s: replace(s, capabilities=frozenset({Capability.RESET})),
            "must equal the backend's capabilities",
        ),
        (
            lambda s: replace(s, health=replace(s.health, error=Rejection(Category.SERVER, "a\nb"))),
            "must be one line",
        ),
    ],
)
async def test_a_malformed_snapshot_is_caught(change, message) -> None:
    async with toy() as backend:
        good = await backend.snapshot()
        checks.check_snapshot(good, backend)
        with pytest.raises(ConformanceError, match=message):
            checks.check_snapshot(change(good), backend)


async def test_a_page_or_detail_that_breaks_the_contract_is_caught() -> None:
    async with toy() as backend:
        page = await backend.entries(QueueKind.OUTBOX, 0, 2)
        with pytest.raises(ConformanceError, match="more than the limit"):
            checks.check_page(replace(page, limit=1), backend, QueueKind.OUTBOX, 0, 1)
        with pytest.raises(ConformanceError, match="says it is in outbox"):
            checks.check_page(page, backend, QueueKind.CONFLICTS, 0, 2)
        with pytest.raises(ConformanceError, match="fewer than the entries"):
            checks.check_page(replace(page, total=1), backend, QueueKind.OUTBOX, 0, 2)
        detail = await backend.entry(QueueKind.OUTBOX, "r1")
        with pytest.raises(ConformanceError, match="returned entry 'r1'"):
            checks.check_detail(detail, backend, QueueKind.OUTBOX, "r2")


async def test_an_action_result_that_claims_too_much_is_caught() -> None:
    async with toy() as backend:
        lying = ActionResult(True, "Retried", [EntryResult("r7", True), EntryResult("r8", False)])
        with pytest.raises(ConformanceError, match=r"says ok but entries \['r8'\] were not done"):
            checks.check_action_result(lying, backend, "retry()")
        with pytest.raises(ConformanceError, match="counts\\['done'\\] must be a non-negative int"):
            checks.check_action_result(ActionResult(False, "x", counts={"done": -2}), backend, "retry()")
        with pytest.raises(ConformanceError, match="message must be a non-empty line"):
            checks.check_action_result(ActionResult(True, " "), backend, "retry()")


# --- behaviour over several calls -------------------------------------------------------------------


class AnswersUnclaimed(ToyBackend):
    async def reset(self, keys: Sequence[str] | None) -> ActionResult:
        return ActionResult(True, "Reset")

    async def count_remotes(self) -> list[Any]:
        raise ValueError("not here")


async def test_an_unclaimed_capability_must_raise_not_supported() -> None:
    async with toy(AnswersUnclaimed) as backend:
        with pytest.raises(ConformanceError, match="reset is not claimed but answered"):
            await suite(AnswersUnclaimed).test_unclaimed_capability_is_not_supported(
                backend, Capability.RESET
            )
        with pytest.raises(ConformanceError, match="count_remotes is not claimed but raised ValueError"):
            await suite(AnswersUnclaimed).test_unclaimed_capability_is_not_supported(
                backend, Capability.COUNT_REMOTES
            )


class DiscardKeepsTheEntry(ToyBackend):
    async def discard(self, queue: QueueKind, ids: Sequence[str]) -> ActionResult:
        return ActionResult(True, f"{len(ids)} discarded", [EntryResult(i, True) for i in ids])


class RetryQueuesTwice(ToyBackend):
    async def retry(self, ids: Sequence[str] | None) -> ActionResult:
        self.server.queues["outbox"].append(ToyServer._row(9))  # type: ignore[attr-defined]
        return ActionResult(True, "1 retried", counts={"retried": 1})


async def test_a_discard_that_leaves_the_entry_is_caught() -> None:
    async with toy(DiscardKeepsTheEntry) as backend:
        snap = await backend.snapshot()
        with pytest.raises(ConformanceError, match="still listed after its discard"):
            await suite(DiscardKeepsTheEntry).test_discard_twice(backend, snap)


async def test_a_retry_that_queues_again_on_a_repeat_is_caught() -> None:
    server = ToyServer()
    async with toy(RetryQueuesTwice, server) as backend:
        backend.server = server  # type: ignore[attr-defined]
        snap = await backend.snapshot()
        with pytest.raises(ConformanceError, match="a second time added 1 to outbox"):
            await suite(RetryQueuesTwice).test_retry_twice(backend, snap)


class Hangs(ToyBackend):
    async def snapshot(self) -> Snapshot:
        await asyncio.sleep(60)
        raise AssertionError("unreachable")


async def test_a_call_that_never_ends_is_caught() -> None:
    async with toy(Hangs) as backend:
        with pytest.raises(ConformanceError, match=r"did not finish within 0\.2 s"):
            await suite(Hangs, call_limit=0.2)._call(backend, backend.snapshot(), "snapshot()")


# --- under faults -----------------------------------------------------------------------------------


class Naive(ToyBackend):
    """Trusts the network and the JSON: what the fault suite is for."""

    async def call(self, method: str, path: str, body: Any = None) -> Any:
        response = await self.http.request(method, self.settings.url + path, json=body, headers=self.headers)
        return response.json()

    async def rows(self) -> dict[str, list[dict[str, Any]]]:
        data = await self.call("GET", "/queues")
        return {w: [r for r in data[w] if r["id"].startswith("r")] for w in ("outbox", "rejected")}


class LeaksTheToken(ToyBackend):
    async def snapshot(self) -> Snapshot:
        raise BackendError(Rejection(Category.AUTH, f"refused with {self.headers['authorization']}"))


@pytest.mark.parametrize(
    ("fault", "message"),
    [
        ("malformed-json", "raised JSONDecodeError"),
        ("reset", r"raised (ReadError|RemoteProtocolError|ConnectError)"),
        ("timeout", "raised ReadTimeout"),
        ("wrong-types", r"raised (TypeError|KeyError|AttributeError)"),
    ],
)
async def test_a_naive_adapter_fails_the_fault_suite(fault: str, message: str) -> None:
    with pytest.raises(
        ConformanceError, match=rf"snapshot\(\) under faults \({fault}\) {message}.*only BackendError"
    ):
        await suite(Naive)._under_faults(conformance_toy.target(), FaultPlan([fault], seed=3), 1)


async def test_a_careful_adapter_passes_every_fault_and_a_seeded_mix() -> None:
    target = conformance_toy.target()
    proxy = await suite(ToyBackend)._under_faults(target, FaultPlan(rate=0.6, seed=4), 30)
    assert sum(proxy.injected.values()) >= 10 and len(proxy.injected) >= 5  # a real mix reached the adapter


async def test_a_secret_in_an_error_is_caught() -> None:
    with pytest.raises(ConformanceError, match="shows the configured secret"):
        await suite(LeaksTheToken)._under_faults(conformance_toy.target(), FaultPlan([], rate=0.0), 1)


def test_the_fault_plan_repeats_from_its_seed_and_refuses_unknown_faults() -> None:
    draws = [[FaultPlan(rate=0.5, seed=9).next() for _ in range(1)] for _ in range(2)]
    first, second = FaultPlan(rate=0.5, seed=9), FaultPlan(rate=0.5, seed=9)
    assert [first.next() for _ in range(50)] == [second.next() for _ in range(50)]
    assert draws[0] == draws[1]
    with pytest.raises(ValueError, match="unknown faults \\['slowloris'\\]"):
        FaultPlan(["slowloris"])


# --- the plugin's hooks -----------------------------------------------------------------------------


def plugin_module(**hooks: Any) -> types.ModuleType:
    module = types.ModuleType("toy_plugin")
    for name, fn in hooks.items():
        setattr(module, name, hookimpl(fn))
    return module


def register_toy(register: Any) -> None:
    register(ToyBackend)


def test_a_misspelt_hook_is_caught() -> None:
    module = plugin_module(
        synctui_register_backends=register_toy, synctui_explain_rejections=lambda kind, raw: None
    )
    checker = type("Suite", (BackendConformance,), {"adapter": ToyBackend, "plugin": module})()
    with pytest.raises(ConformanceError, match=r"has no spec \(a typo\?\).*synctui_explain_rejections"):
        checker.test_plugin_hooks_are_known_and_register_the_adapter()


def test_a_plugin_that_does_not_register_its_adapter_is_caught() -> None:
    module = plugin_module(synctui_register_backends=lambda register: None)
    checker = type("Suite", (BackendConformance,), {"adapter": ToyBackend, "plugin": module})()
    with pytest.raises(ConformanceError, match="does not register ToyBackend"):
        checker.test_plugin_hooks_are_known_and_register_the_adapter()


@pytest.mark.parametrize(
    ("explain", "message"),
    [
        (lambda kind, raw, status: Rejection(Category.FIX_DATA, "x"), "explained another kind's reason"),
        (
            lambda kind, raw, status: Rejection(Category.FIX_DATA, f"bad:\n{raw}") if kind == "toy" else None,
            "message is not one line",
        ),
        (lambda kind, raw, status: raw.split()[0] if kind == "toy" else None, "raised IndexError"),
    ],
)
def test_a_careless_explain_hook_is_caught(explain, message) -> None:
    module = plugin_module(synctui_explain_rejection=explain)
    checker = type("Suite", (BackendConformance,), {"adapter": ToyBackend, "plugin": module})()
    with pytest.raises(ConformanceError, match=message):
        checker.test_explain_rejection_hook()


def test_the_checks_name_the_entry_page_and_detail_types() -> None:
    backend = ToyBackend(conformance_toy.target().settings, None)  # type: ignore[arg-type]
    with pytest.raises(ConformanceError, match="not an EntryPage"):
        checks.check_page([], backend, QueueKind.OUTBOX, 0, 1)  # type: ignore[arg-type]
    with pytest.raises(ConformanceError, match="not an EntryDetail"):
        checks.check_detail(EntryPage([], 0, 1), backend, QueueKind.OUTBOX, "x")  # type: ignore[arg-type]


# --- the proxy itself -------------------------------------------------------------------------------


def _strings(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return [value] if isinstance(value, str) else []


async def _through(fault: str, **proxy_options: Any) -> httpx.Response:
    target = conformance_toy.target()
    proxy = FaultProxy(URL, FaultPlan([fault]), transport=target.transport, **proxy_options)
    async with proxy, httpx.AsyncClient(timeout=1.0) as http:
        response = await http.get(f"{proxy.url}/queues", headers={"authorization": f"Bearer {TOKEN}"})
    assert proxy.injected == {fault: 1} and proxy.errors == []
    return response


async def test_the_proxy_breaks_answers_as_it_says() -> None:
    plain = ToyServer().queues
    hostile = (await _through("hostile-strings")).json()
    assert _strings(hostile) and set(_strings(hostile)) <= set(HOSTILE)
    assert len(_strings(hostile)) == len(_strings(plain))  # every string, and only strings
    assert set(_strings((await _through("hostile-strings", hostile=["\x9b"])).json())) == {"\x9b"}
    assert (await _through("wrong-types")).json() != plain
    with pytest.raises(ValueError):
        (await _through("malformed-json")).json()
    failed = await _through("status-500")
    assert failed.status_code == 500 and "Internal Server Error" in failed.text
    assert (await _through("slow-drip")).json() == plain
    for fault in ("reset", "cut-off", "timeout"):
        with pytest.raises(httpx.TransportError):
            await _through(fault, hold=2.0)
