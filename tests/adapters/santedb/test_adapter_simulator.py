"""The adapter against the simulated dCDR (plugins/synctui_santedb/simulator) over httpx.ASGITransport."""

from __future__ import annotations

import httpx
import pytest
from synctui_santedb.adapter import SanteDBBackend
from synctui_santedb.simulator import FAULT_KINDS, Faults, SimulatorState, create_app
from synctui_santedb.simulator.payloads import bundle

from synctui.backend import BackendError, BackendSettings, Secret
from synctui.model import Category, QueueKind
from synctui.tui.diff import field_rows, field_summary

URL = "http://127.0.0.1:9200"


@pytest.fixture
async def sim():
    state = SimulatorState(seed=3, step_delay=0.0)
    faults = Faults(rate=0.0, seed=1, timeout_delay=0.05)
    app = create_app(state, faults)
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), timeout=5)
    settings = BackendSettings(
        name="tablet",
        kind="santedb",
        url=URL,
        username="demo",
        secret=Secret("demo"),
        options={"sync_poll_interval": 0.01, "sync_max_duration": 10, "log_interval": 0},
    )
    adapter = SanteDBBackend(settings, client)
    yield state, faults, adapter
    await state.runner.stop()
    await client.aclose()


async def test_snapshot_matches_the_simulator(sim) -> None:
    state, _, adapter = sim
    snap = await adapter.snapshot()
    counts = state.counts()
    assert snap.queue(QueueKind.OUTBOX).count == counts["out"]
    assert snap.queue(QueueKind.CONFLICTS).count == counts["deadletter"]
    assert snap.queue(QueueKind.INBOX).count == counts["in"]
    if counts["out"]:
        assert snap.queue(QueueKind.OUTBOX).oldest is not None
    assert len(snap.log) == len(state.log_rows())
    assert any(job.name.startswith("Upstream Synchronization") for job in snap.jobs)
    assert snap.health.auth_ok


async def test_entries_and_details(sim) -> None:
    state, _, adapter = sim
    page = await adapter.entries(QueueKind.CONFLICTS, 0, 50)
    assert page.total == state.counts()["deadletter"]
    for entry in page.entries:
        assert (
            entry.rejection is not None and entry.rejection.category != Category.UNKNOWN
        ) or entry.rejection
    if page.entries:
        detail = await adapter.entry(QueueKind.CONFLICTS, page.entries[0].id)
        assert detail.payload and detail.entry.id == page.entries[0].id


async def test_dead_letter_reasons_are_classified(sim) -> None:
    state, _, adapter = sim
    for status in (409, 422, 500, 404, 410):
        state.enqueue("out", "Patient", "Update", {"$type": "Patient"}, fate=status)
    await adapter.synchronize(lambda p: None)
    page = await adapter.entries(QueueKind.CONFLICTS, 0, 100)
    statuses = {e.rejection.status for e in page.entries if e.rejection}
    assert {409, 422, 500, 404, 410} <= statuses
    by_status = {e.rejection.status: e.rejection.category for e in page.entries if e.rejection}
    assert by_status[409] == Category.CONFLICT and by_status[422] == Category.FIX_DATA
    assert by_status[500] == Category.SERVER and by_status[410] == Category.GONE


async def test_synchronize_ends(sim) -> None:
    state, _, adapter = sim
    steps = []
    result = await adapter.synchronize(steps.append)
    assert steps and steps[-1].running is False
    if result.ok:
        assert result.message.startswith("Sync finished: ") and state.counts()["out"] == 0
    else:
        assert result.rejection and result.rejection.message


async def test_synchronize_while_upstream_offline_fails_with_reason(sim) -> None:
    state, _, adapter = sim
    state.online = False
    result = await adapter.synchronize(lambda p: None)
    assert not result.ok and result.rejection and result.rejection.message


async def test_retry_discard_reset_count_compare(sim) -> None:
    state, _, adapter = sim
    state.enqueue("out", "Patient", "Update", {"$type": "Patient"}, fate=409)
    await adapter.synchronize(lambda p: None)
    page = await adapter.entries(QueueKind.CONFLICTS, 0, 10)
    assert page.entries
    first = page.entries[0]
    comparison = await adapter.compare(QueueKind.CONFLICTS, first.id)
    assert comparison.local and (comparison.server is not None or comparison.reason)
    assert (await adapter.retry([first.id])).ok
    if len(page.entries) > 1:
        assert (await adapter.discard(QueueKind.CONFLICTS, [page.entries[1].id])).ok
    rows = await adapter.count_remotes()
    assert rows and any(r.remote_count is not None for r in rows)
    assert (await adapter.reset(None)).ok


async def test_wrong_password(sim) -> None:
    _, _, adapter = sim
    adapter.settings.secret = Secret("not-demo")
    with pytest.raises(BackendError) as caught:
        await adapter.snapshot()
    assert caught.value.rejection.category == Category.AUTH and "not-demo" not in str(caught.value)


@pytest.mark.parametrize("kind", FAULT_KINDS)
async def test_every_fault_kind_is_a_backend_error(sim, kind: str) -> None:
    _, faults, adapter = sim
    await adapter.snapshot()  # log in first, so that the fault hits the dCDR calls
    faults.configure(rate=1.0, kinds=[kind], timeout_delay=0.01)
    with pytest.raises(BackendError) as caught:
        await adapter.snapshot()
    rejection = caught.value.rejection
    assert rejection.message and "\n" not in rejection.message and "Traceback" not in rejection.message
    assert rejection.category in (Category.RETRYABLE, Category.SERVER)
    for call in (adapter.entries(QueueKind.OUTBOX), adapter.check_connection()):
        try:
            await call
        except BackendError as exc:
            assert exc.rejection.message


async def test_demo_backend_drives_the_adapter(tmp_path) -> None:
    from synctui_santedb.demo import SanteDBDemo

    demo = SanteDBDemo(seed=2)
    settings, transport = await demo.start(tmp_path)
    try:
        async with httpx.AsyncClient(transport=transport, timeout=5) as client:
            adapter = SanteDBBackend(settings, client)
            snap = await adapter.snapshot()
            assert snap.kind == "santedb" and snap.health.auth_ok
            assert [q.label for q in snap.queues] == ["Outbox", "Inbox", "Admin", "Conflicts"]
            assert adapter.watch_paths()
    finally:
        await demo.stop()


async def test_compare_a_conflict_field_by_field(sim) -> None:
    """A 409 against the simulated iCDR: the focal object against the server object, so what
    differs is what the server changed (version, etag, time, and the edited field), not every line."""
    state, _, adapter = sim
    obj = state.new_record("Patient")
    state.record_local_change(obj, "Update")
    state.enqueue("out", "Bundle", "Update", bundle([obj, state.new_record("Place")]), fate=409)
    await adapter.synchronize(lambda p: None)
    page = await adapter.entries(QueueKind.CONFLICTS, 0, 200)
    (entry,) = [e for e in page.entries if e.correlation == obj["id"]]
    comparison = await adapter.compare(QueueKind.CONFLICTS, entry.id)
    assert comparison.server is not None
    rows = field_rows(comparison.local, comparison.server)
    assert rows is not None and len(rows) > 10
    changed = {row.path for row in rows if row.differs}
    assert {"versionSequence", "etag", "modifiedOn"} <= changed and len(changed) <= 8
    assert field_summary(rows).startswith(f"{len(changed)} fields differ: ")
