"""The conformance and fault suites of the Backend contract, as one pytest test class.

A plugin's tests subclass it, name the adapter and give a `target` fixture (the settings that reach
a running simulator, and its in-process transport when it has one):

    class TestMyBackend(BackendConformance):
        adapter = MyBackend
        plugin = my_plugin_module  # its @hookimpl functions, checked too

        @pytest.fixture
        def target(self, tmp_path):
            app = my_simulator_app(seed=1)
            return Target(BackendSettings(name="t", kind="mine", url="http://sim"), httpx.ASGITransport(app))

Each check runs only for what the adapter instance's `capabilities` claim; the rest is skipped with the reason, and
every capability not claimed must raise NotSupported. The fault suite puts the same adapter behind a
FaultProxy on 127.0.0.1: whatever the proxy does to the answers, the adapter returns a well-formed
answer or raises BackendError with one human line. Faults come from a seed; calls are bounded in
number and time. The seeded mixed run is marked `slow`.

This class binds the suites to pytest (fixtures, which check runs for which capability, the limits);
the checks are functions: synctui.testing.checks (answers), plugin_checks (the adapter class and the
plugin's hooks) and fault_run (the run behind the FaultProxy). `Target` lives in synctui.testing.target
and is importable from here too, the path plugin tests and the new-plugin template use.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta
from types import ModuleType
from typing import Any, ClassVar, TypeVar

import pluggy
import pytest
import pytest_asyncio

from synctui.backend import Backend, BackendError, NotSupported
from synctui.model import Capability, QueueEntry, QueueKind, Snapshot, SyncProgress
from synctui.testing import checks, plugin_checks
from synctui.testing.checks import UNCLAIMED_CALLS, ConformanceError
from synctui.testing.fault_run import run_under_faults
from synctui.testing.faults import FAULTS, HOSTILE, FaultPlan, FaultProxy
from synctui.testing.target import Target, agent_client

__all__ = ["BackendConformance", "Target"]

T = TypeVar("T")
UNKNOWN_ID = "conformance-no-such-entry"


class BackendConformance:
    """Subclass with `adapter` set and a `target` fixture; see the module's docstring."""

    adapter: ClassVar[type[Backend]]
    plugin: ClassVar[ModuleType | None] = None
    fault_timeout: ClassVar[float] = 0.5  # seconds: the shared client's timeout under faults
    call_limit: ClassVar[float] = 30.0  # seconds one call may take, faults included
    fault_calls: ClassVar[int] = 24  # calls of the seeded mixed fault run
    fault_rate: ClassVar[float] = 0.5
    fault_seed: ClassVar[int] = 1

    @pytest.fixture
    def target(self) -> Target:
        raise NotImplementedError(
            f"{type(self).__name__} must define the `target` fixture (see BackendConformance)"
        )

    @pytest_asyncio.fixture
    async def backend(self, target: Target) -> AsyncIterator[Backend]:
        async with agent_client(target.settings, target.transport) as http:
            adapter = self.adapter(target.settings, http)
            try:
                yield adapter
            finally:
                await adapter.aclose()

    @pytest_asyncio.fixture
    async def snapshot(self, backend: Backend) -> Snapshot:
        snap = await self._call(backend, backend.snapshot(), "snapshot()")
        checks.check_snapshot(snap, backend)
        return snap

    async def _call(self, backend: Backend, call: Awaitable[T], what: str) -> T:
        """One adapter call, bounded in time; any failure but a readable BackendError fails."""
        try:
            return await asyncio.wait_for(call, self.call_limit)
        except TimeoutError:
            raise ConformanceError(
                f"{backend.kind}: {what} did not finish within {self.call_limit:g} s"
            ) from None
        except BackendError as exc:
            checks.check_error(exc, backend, what)
            raise

    def _claims(self, backend: Backend, capability: Capability) -> None:
        if capability not in backend.capabilities:
            pytest.skip(f"{self.adapter.kind} does not claim {capability.value}")

    async def _listable(self, backend: Backend, snap: Snapshot, least: int = 1) -> QueueKind | None:
        """The first queue with `least` entries that the adapter lists (a backend may list only some
        of its queues: the others refuse with a BackendError)."""
        for stat in snap.queues:
            if stat.count and stat.count >= least:
                try:
                    page = await self._call(
                        backend, backend.entries(stat.kind, 0, 1), f"entries({stat.kind})"
                    )
                except BackendError:
                    continue
                checks.check_page(page, backend, stat.kind, 0, 1)
                return stat.kind
        return None

    async def _entries(
        self, backend: Backend, snap: Snapshot, queue: QueueKind | None = None
    ) -> list[QueueEntry]:
        """The first entries of `queue` (or of the first listable queue that has some); skips when
        there are none."""
        if queue is None:
            found = await self._listable(backend, snap)
        else:
            found = queue if snap.queue(queue).count else None
        if found is not None:
            page = await self._call(backend, backend.entries(found, 0, 5), f"entries({found})")
            checks.check_page(page, backend, found, 0, 5)
            if page.entries:
                return page.entries
        where = f"the {queue.value} queue" if queue else "any queue it lists"
        pytest.skip(f"the simulator has no entry in {where}: seed one in the `target` fixture to check this")

    async def _count(self, backend: Backend, queue: QueueKind) -> int | None:
        snap = await self._call(backend, backend.snapshot(), "snapshot()")
        checks.check_snapshot(snap, backend)
        return snap.queue(queue).count

    # --- the adapter class -------------------------------------------------------------------------

    def test_kind_and_capabilities(self, backend: Backend) -> None:
        plugin_checks.check_adapter_class(self.adapter, backend)

    def test_option_declarations(self) -> None:
        plugin_checks.check_option_specs(self.adapter)

    @pytest.mark.parametrize("capability", list(Capability), ids=str)
    async def test_unclaimed_capability_is_not_supported(
        self, backend: Backend, capability: Capability
    ) -> None:
        if capability in backend.capabilities:
            pytest.skip(f"{backend.kind} claims {capability.value}")
        try:
            await asyncio.wait_for(UNCLAIMED_CALLS[capability](backend), self.call_limit)
        except NotSupported:
            return
        except Exception as exc:
            raise ConformanceError(
                f"{backend.kind}: {capability.value} is not claimed but raised {type(exc).__name__}, not NotSupported"
            ) from exc
        raise ConformanceError(f"{backend.kind}: {capability.value} is not claimed but answered")

    # --- reading -----------------------------------------------------------------------------------

    async def test_snapshot_shape(self, backend: Backend, snapshot: Snapshot) -> None:
        checks.check_no_secret(snapshot, backend, "snapshot()")

    async def test_snapshot_again(self, backend: Backend, snapshot: Snapshot) -> None:
        again = await self._call(backend, backend.snapshot(), "a second snapshot()")
        checks.check_snapshot(again, backend)
        if again.taken_at < snapshot.taken_at:
            raise ConformanceError(f"{backend.kind}: a later snapshot says it was taken earlier")

    async def test_watch_paths(self, backend: Backend) -> None:
        checks.check_watch_paths(backend)

    async def test_entries_paging(self, backend: Backend, snapshot: Snapshot) -> None:
        self._claims(backend, Capability.ENTRIES)
        queue = await self._listable(backend, snapshot, least=2)
        if queue is None:
            pytest.skip(
                "no queue it lists holds 2 entries: seed them in the `target` fixture to check paging"
            )
        first = await self._call(backend, backend.entries(queue, 0, 1), "entries(offset 0)")
        second = await self._call(backend, backend.entries(queue, 1, 1), "entries(offset 1)")
        checks.check_page(first, backend, queue, 0, 1)
        checks.check_page(second, backend, queue, 1, 1)
        if not first.entries or not second.entries:
            raise ConformanceError(
                f"{backend.kind}: {queue.value} counts {snapshot.queue(queue).count} but a page is empty"
            )
        if first.entries[0].id == second.entries[0].id:
            raise ConformanceError(
                f"{backend.kind}: pages at offset 0 and 1 both hold entry {first.entries[0].id}"
            )
        both = await self._call(backend, backend.entries(queue, 0, 2), "entries(0, 2)")
        checks.check_page(both, backend, queue, 0, 2)
        if [e.id for e in both.entries] != [first.entries[0].id, second.entries[0].id]:
            raise ConformanceError(f"{backend.kind}: entries(0, 2) is not entries(0, 1) + entries(1, 1)")

    async def test_entry_detail(self, backend: Backend, snapshot: Snapshot) -> None:
        self._claims(backend, Capability.ENTRIES)
        entry = (await self._entries(backend, snapshot))[0]
        detail = await self._call(backend, backend.entry(entry.queue, entry.id), "entry()")
        checks.check_detail(detail, backend, entry.queue, entry.id)
        checks.check_no_secret(detail, backend, "entry()")

    async def test_unknown_entry_is_a_backend_error(self, backend: Backend) -> None:
        self._claims(backend, Capability.ENTRIES)
        with pytest.raises(BackendError):
            await self._call(backend, backend.entry(QueueKind.OUTBOX, UNKNOWN_ID), "entry(unknown id)")

    async def test_check_connection(self, backend: Backend) -> None:
        self._claims(backend, Capability.CHECK_CONNECTION)
        health = await self._call(backend, backend.check_connection(), "check_connection()")
        checks.check_health(health, backend)
        checks.check_no_secret(health, backend, "check_connection()")

    async def test_count_remotes(self, backend: Backend) -> None:
        self._claims(backend, Capability.COUNT_REMOTES)
        rows = await self._call(backend, backend.count_remotes(), "count_remotes()")
        if not isinstance(rows, list):
            raise ConformanceError(
                f"{backend.kind}: count_remotes() returned {type(rows).__name__}, not a list"
            )
        checks.check_log_rows(rows, backend)

    async def test_settings(self, backend: Backend) -> None:
        self._claims(backend, Capability.SETTINGS)
        checks.check_settings(await self._call(backend, backend.settings_list(), "settings_list()"), backend)
        try:
            result = await self._call(
                backend,
                backend.change_settings({"conformance-no-such-key": "1"}),
                "change_settings(unknown key)",
            )
        except BackendError:
            return  # refused, with a readable reason: right
        checks.check_action_result(result, backend, "change_settings(unknown key)")
        if result.ok:
            raise ConformanceError(f"{backend.kind}: change_settings() accepted a key it does not have")

    async def test_compare(self, backend: Backend, snapshot: Snapshot) -> None:
        self._claims(backend, Capability.COMPARE)
        entry = (await self._entries(backend, snapshot, QueueKind.CONFLICTS))[0]
        comparison = await self._call(backend, backend.compare(entry.queue, entry.id), "compare()")
        checks.check_comparison(comparison, backend, entry.id)

    # --- actions: each result counted, and the same action twice does it once ----------------------

    async def test_synchronize_twice(self, backend: Backend) -> None:
        self._claims(backend, Capability.SYNCHRONIZE)
        for attempt in ("synchronize()", "a second synchronize()"):
            reports: list[Any] = []
            result = await self._call(backend, backend.synchronize(reports.append), attempt)
            checks.check_sync_result(result, backend)
            wrong = [r for r in reports if not isinstance(r, SyncProgress)]
            if wrong:
                raise ConformanceError(
                    f"{backend.kind}: {attempt} reported {type(wrong[0]).__name__}, not SyncProgress"
                )
        checks.check_snapshot(
            await self._call(backend, backend.snapshot(), "snapshot() after syncs"), backend
        )

    async def test_retry_twice(self, backend: Backend, snapshot: Snapshot) -> None:
        self._claims(backend, Capability.RETRY)
        entry = (await self._entries(backend, snapshot, QueueKind.CONFLICTS))[0]
        await self._twice(
            backend, lambda: backend.retry([entry.id]), f"retry([{entry.id}])", QueueKind.OUTBOX
        )

    async def test_discard_twice(self, backend: Backend, snapshot: Snapshot) -> None:
        self._claims(backend, Capability.DISCARD)
        entry = (await self._entries(backend, snapshot, QueueKind.CONFLICTS))[0]
        await self._twice(
            backend, lambda: backend.discard(entry.queue, [entry.id]), f"discard([{entry.id}])", entry.queue
        )
        page = await self._call(backend, backend.entries(entry.queue, 0, 100), "entries() after a discard")
        if entry.id in {e.id for e in page.entries}:
            raise ConformanceError(f"{backend.kind}: entry {entry.id} is still listed after its discard")

    async def test_restore_once(self, backend: Backend, snapshot: Snapshot) -> None:
        self._claims(backend, Capability.RESTORE)
        self._claims(backend, Capability.DISCARD)
        entry = (await self._entries(backend, snapshot, QueueKind.CONFLICTS))[0]
        detail = await self._call(backend, backend.entry(entry.queue, entry.id), "entry()")
        discarded = await self._call(backend, backend.discard(entry.queue, [entry.id]), "discard()")
        checks.check_action_result(discarded, backend, "discard()")
        before = await self._count(backend, entry.queue)
        await self._twice(
            backend,
            lambda: backend.restore(entry.queue, detail.entry, detail.payload),
            "restore()",
            entry.queue,
        )
        after = await self._count(backend, entry.queue)
        if before is not None and after is not None and after > before + 1:
            raise ConformanceError(
                f"{backend.kind}: restoring one entry twice added {after - before} entries"
            )

    async def test_reset_twice(self, backend: Backend) -> None:
        self._claims(backend, Capability.RESET)
        await self._twice(backend, lambda: backend.reset(None), "reset(all)", None)

    async def test_resubmit_empty_range_twice(self, backend: Backend) -> None:
        self._claims(backend, Capability.RESUBMIT)
        until = datetime.now(UTC) - timedelta(days=365 * 30)
        since = until - timedelta(days=1)
        await self._twice(
            backend,
            lambda: backend.resubmit(since, until, lambda _: None),
            "resubmit(a day 30 years ago)",
            None,
        )

    async def _twice(
        self,
        backend: Backend,
        action: Callable[[], Awaitable[Any]],
        what: str,
        grows: QueueKind | None,
    ) -> None:
        """Run `action` twice: both answers counted and truthful (or a readable BackendError), and the
        second must not add to `grows` again (a queue the action feeds)."""
        counts: list[int | None] = []
        for attempt in (what, f"{what} again"):
            try:
                result = await self._call(backend, action(), attempt)
            except BackendError:
                result = None  # refused, with a readable reason: a right answer to a repeat
            if result is not None:
                checks.check_action_result(result, backend, attempt)
            if grows is not None:
                counts.append(await self._count(backend, grows))
        if grows is not None and None not in counts and counts[1] > counts[0]:  # type: ignore[operator]
            raise ConformanceError(
                f"{backend.kind}: {what} a second time added {counts[1] - counts[0]} to {grows.value}"  # type: ignore[operator]
            )

    # --- the plugin's hooks ------------------------------------------------------------------------

    def _manager(self) -> pluggy.PluginManager:
        if self.plugin is None:
            pytest.skip("no `plugin` module named: set `plugin = your_plugin_module` to check its hooks")
        return plugin_checks.hook_manager(self.plugin)

    def test_plugin_hooks_are_known_and_register_the_adapter(self) -> None:
        plugin_checks.check_registers(self._manager(), self.adapter)

    def _implemented(self, name: str) -> Any:
        """The plugin's implementation of hook `name`, as a caller; skips when it has none."""
        hook = getattr(self._manager().hook, name)
        if not hook.get_hookimpls():
            pytest.skip(f"the plugin does not implement {name}")
        return hook

    def test_explain_rejection_hook(self) -> None:
        plugin_checks.check_explain_rejection(
            self._implemented("synctui_explain_rejection"), self.adapter.kind
        )

    def test_redact_hook(self) -> None:
        plugin_checks.check_redact(self._implemented("synctui_redact"), self.adapter.kind)

    # --- the fault suite ---------------------------------------------------------------------------

    async def _under_faults(
        self,
        target: Target,
        plan: FaultPlan,
        rounds: int | None = None,
        mixed: bool = False,
        hostile: Sequence[str] = HOSTILE,
    ) -> FaultProxy:
        """`rounds` calls (None: each read once) of the reads, or of the `mixed` calls, through the proxy."""
        return await run_under_faults(
            self.adapter,
            target,
            plan,
            rounds=rounds,
            mixed=mixed,
            hostile=hostile,
            seed=self.fault_seed,
            timeout=self.fault_timeout,
            call_limit=self.call_limit,
        )

    @pytest.mark.parametrize("fault", FAULTS)
    async def test_fault(self, target: Target, fault: str) -> None:
        # Hostile strings one at a time, each with a fresh adapter: every one reaches every field,
        # those read once (a login's token) included.
        variants = [[text] for text in HOSTILE] if fault == "hostile-strings" else [list(HOSTILE)]
        for hostile in variants:
            plan = FaultPlan([fault], rate=1.0, seed=self.fault_seed)
            proxy = await self._under_faults(target, plan, hostile=hostile)
            if not proxy.injected:
                raise ConformanceError(
                    f"the proxy injected no {fault}: the adapter's reads never reached the server"
                )

    @pytest.mark.slow
    async def test_faults_mixed(self, target: Target) -> None:
        plan = FaultPlan(FAULTS, rate=self.fault_rate, seed=self.fault_seed)
        proxy = await self._under_faults(target, plan, self.fault_calls, mixed=True)
        if not proxy.injected:
            raise ConformanceError(
                "the proxy injected no fault: the adapter's reads never reached the server"
            )
