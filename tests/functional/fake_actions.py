"""The change / repair half of FakeAgentClient: retry, discard, reset, compare, counts, audit, settings.

Every call is recorded (with the PIN, so tests can check it was passed) before it is checked, and checked
as the agent's runner checks it, from the action catalogue (synctui.actions): a backend without the
capability refuses (501), a read-only agent refuses what the catalogue does not allow read-only (403),
an entry action outside its queues is refused (400), and one that needs the PIN needs it when
`pin_required` (401 without, 403 wrong). `refusals[method]` makes a method fail; `gate` holds calls in
flight until it is set.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from synctui.actions import action, discard_action
from synctui.client_interface import AgentRefused
from synctui.model import (
    ActionResult,
    ActionStatus,
    AgentState,
    Category,
    Comparison,
    EntryResult,
    Health,
    QueueKind,
    Rejection,
    Setting,
    SyncLogRow,
    SyncProgress,
)

ADMIN_PIN = "2468"
STILL_DUPLICATE = Rejection(
    Category.FIX_DATA,
    "The server still has a patient with this identifier",
    status=409,
    code="DUPLICATE_ENTITY",
)


def since_epoch() -> datetime:
    return datetime(2025, 1, 1, tzinfo=UTC)


class FakeActions:
    calls: list[tuple]
    current: AgentState

    def init_actions(self) -> None:
        self.refusals: dict[str, Exception] = {}
        self.gate: asyncio.Event | None = None
        self.audit_records: list[dict[str, Any]] = default_audit()
        self.archive_records: list[dict[str, Any]] = default_archive()
        self.resubmit_plans: list[tuple[ActionStatus, ActionStatus | None]] = []

    def guard(self, name: str, backend: str, pin: str | None, queue: QueueKind | None = None) -> None:
        """Refuse catalogue action `name` as the agent would (capability, read-only, queue, PIN)."""
        spec = action(name)
        view = self.current.view(backend)
        if view is None or spec.capability not in view.snapshot.capabilities:
            raise AgentRefused(501, f"{backend} cannot {spec.title}")
        if self.current.readonly and not spec.allowed_readonly(
            readonly_allows_sync=self.current.readonly_allows_sync
        ):
            raise AgentRefused(403, "the agent is read-only: no changes are accepted")
        if queue is not None and not spec.applies_to(queue):
            raise AgentRefused(400, f"{spec.title} does not apply to the {queue.value} queue")
        if spec.pin and self.current.pin_required:
            if not pin:
                raise AgentRefused(401, "this action needs the admin PIN")
            if pin != ADMIN_PIN:
                raise AgentRefused(403, "wrong PIN")

    async def _change(
        self, method: str, name: str, backend: str, pin: str | None, queue: QueueKind | None = None
    ) -> None:
        if self.gate is not None:
            await self.gate.wait()
        if method in self.refusals:
            raise self.refusals[method]
        self.guard(name, backend, pin, queue)

    async def retry(self, backend: str, ids: list[str] | None, *, pin=None, key=None) -> ActionResult:
        self.calls.append(("retry", backend, None if ids is None else list(ids), pin))
        await self._change("retry", "retry" if ids is not None else "retry-all", backend, pin)
        chosen = list(ids) if ids is not None else [f"conflicts-{i:05d}" for i in range(3)]
        results = [
            EntryResult(i, False, "rejected again", STILL_DUPLICATE)
            if i.endswith("-00002")
            else EntryResult(i, True, "queued again")
            for i in chosen
        ]
        ok = all(r.ok for r in results)
        return ActionResult(
            ok, f"{sum(r.ok for r in results)} of {len(results)} entries queued again", results
        )

    async def discard(
        self, backend: str, queue: QueueKind, ids: list[str], *, pin=None, key=None
    ) -> ActionResult:
        self.calls.append(("discard", backend, queue, list(ids), pin))
        await self._change("discard", discard_action(queue).name, backend, pin, queue)
        results = [EntryResult(i, True, "archived, then discarded") for i in ids]
        return ActionResult(True, f"{len(ids)} entries discarded (archived first)", results)

    async def reset(self, backend: str, keys: list[str] | None, *, pin=None, key=None) -> ActionResult:
        self.calls.append(("reset", backend, None if keys is None else list(keys), pin))
        await self._change("reset", "reset" if keys is not None else "reset-all", backend, pin)
        return ActionResult(True, f"sync markers cleared for {'all rows' if keys is None else len(keys)}")

    async def compare(self, backend: str, queue: QueueKind, id: str) -> Comparison:
        self.calls.append(("compare", backend, queue, id))
        if "compare" in self.refusals:
            raise self.refusals["compare"]
        self.guard("compare", backend, None, queue)
        local = {
            "resourceType": "Patient",
            "id": id,
            "birthDate": "1990-04-02",
            "name": [{"family": "Banda"}],
        }
        if id.endswith("-00001"):
            return Comparison(id, json.dumps(local), None, "the server answered 404: no patient with this id")
        server = dict(local, birthDate="1990-02-04", active=True)
        return Comparison(id, json.dumps(local), json.dumps(server))

    async def count_remotes(self, backend: str) -> list[SyncLogRow]:
        self.calls.append(("count_remotes", backend))
        if "count_remotes" in self.refusals:
            raise self.refusals["count_remotes"]
        self.guard("count-remotes", backend, None)
        view = self.current.view(backend)
        rows = view.snapshot.log if view is not None else []
        counts = [(120, 120), (40, 52), (9, 7)]
        return [
            SyncLogRow(row.key, row.record_type, local_count=local, remote_count=remote)
            for row, (local, remote) in zip(rows, counts * (len(rows) // 3 + 1), strict=False)
        ]

    async def audit(self, limit: int = 100) -> list[dict[str, Any]]:
        self.calls.append(("audit", limit))
        return self.audit_records[:limit]

    async def archive(self, limit: int = 100) -> list[dict[str, Any]]:
        self.calls.append(("archive", limit))
        return self.archive_records[:limit]

    async def restore(self, archive_id: str, *, pin=None, key=None) -> ActionResult:
        """As the agent: once per archived entry; a second restore is refused by its result."""
        self.calls.append(("restore", archive_id, pin))
        [record] = [r for r in self.archive_records if r["archive_id"] == archive_id]
        await self._change("restore", "restore", record["backend"], pin)
        if record.get("restored"):
            return ActionResult(False, f"{archive_id} was already restored; not queued again")
        record["restored"] = "2025-03-10T10:00:00+00:00"
        return ActionResult(True, f"re-queued in {record['queue']}", counts={"restored": 1})

    async def resubmit(self, backend: str, since, until, *, pin=None, key=None) -> ActionStatus:
        self.calls.append(("resubmit", backend, since.isoformat(), until.isoformat(), pin))
        await self._change("resubmit", "resubmit", backend, pin)
        if self.resubmit_plans:
            running, final = self.resubmit_plans.pop(0)
            self.push(self._with_action(running))
            if final is not None:
                later = self._with_action(final)
                self.push(replace(later, revision=later.revision + 1))
            return running
        running = ActionStatus(
            "rs-1", backend, "resubmit", "running", since, progress=SyncProgress(message="12 queued so far")
        )
        self.push(self._with_action(running))
        return running

    async def cancel(self, backend: str, action_id: str) -> ActionStatus:
        self.calls.append(("cancel", backend, action_id))
        view = self.current.view(backend)
        running = view.action if view is not None else None
        cancelled = ActionStatus(
            action_id, backend, "resubmit", "cancelled", running.started if running else since_epoch(),
            finished=running.started if running else since_epoch(), ok=False,
            message="resubmit was cancelled; what was already done stays done",
        )  # fmt: skip
        self.push(self._with_action(cancelled))
        return cancelled

    async def check_connection(self, backend: str) -> Health:
        self.calls.append(("check_connection", backend))
        self.guard("check-connection", backend, None)
        return Health(online=True, latency_ms=42.0, auth_ok=True, server_version="probe-7")

    async def settings(self, backend: str) -> list[Setting]:
        self.calls.append(("settings", backend))
        return [
            Setting("interval", "Sync interval", "300", editable=True, help="Seconds between syncs"),
            Setting("batch_size", "Batch size", "500", help="Records per request"),
        ]

    async def change_settings(
        self, backend: str, values: dict[str, str], *, pin=None, key=None
    ) -> ActionResult:
        self.calls.append(("change_settings", backend, dict(values), pin))
        await self._change("change_settings", "change-settings", backend, pin)
        return ActionResult(True, f"changed {', '.join(values)}")


def default_archive() -> list[dict[str, Any]]:
    """Two discarded entries of santedb, the older already restored."""
    entry = {"queue": "conflicts", "record_type": "Patient", "operation": "Insert", "attempts": 1}
    return [
        dict(
            archive_id="ar-2", time="2025-03-10T09:40:00+00:00", backend="santedb", queue="conflicts",
            user="nurse", entry=dict(entry, id="conflicts-00002"), restored=None,
        ),
        dict(
            archive_id="ar-1", time="2025-03-09T08:00:00+00:00", backend="santedb", queue="outbox",
            user="nurse", entry=dict(entry, id="outbox-00001", queue="outbox", operation="Update"),
            restored="2025-03-09T09:00:00+00:00",
        ),
    ]  # fmt: skip


def default_audit() -> list[dict[str, Any]]:
    base = {"user": "nurse", "backend": "santedb", "params": {}}
    return [
        dict(base, time="2025-03-10T09:30:00+00:00", id="a1", action="retry", phase="before", target=["c-1"]),
        dict(
            base,
            time="2025-03-10T09:30:01+00:00",
            id="a1",
            action="retry",
            phase="after",
            target=["c-1"],
            result={"ok": True, "message": "1 entries queued again"},
        ),
        dict(
            base,
            time="2025-03-10T09:35:00+00:00",
            id="a2",
            action="discard",
            phase="after",
            target=["c-2", "c-3"],
            result={"ok": False, "message": "wrong PIN"},
        ),
    ]
