"""Repair actions on a backend: retry, discard, reset, compare, count remotes, settings.

Every change goes through one path: the guard (read-only, admin PIN), the backend's action lock
(two dashboards pressing at once run one after the other, and the second sees the first's effect
instead of sending again), an idempotency key (a repeated request gets the first answer back), and
the audit log before and after. A discard archives each entry's payload and metadata first; if that
fails, nothing is deleted.
"""

from __future__ import annotations

import uuid
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from synctui.agent.backend_service import BackendService, now
from synctui.agent.guard import Guard, Refused
from synctui.backend import Backend, BackendError
from synctui.model import (
    ActionResult,
    ActionStatus,
    Capability,
    Comparison,
    DecodeError,
    EntryResult,
    Health,
    QueueEntry,
    QueueKind,
    Setting,
    SyncLogRow,
    from_data,
    to_data,
)

if TYPE_CHECKING:
    from synctui.agent.core import Agent

REMEMBERED_KEYS = 200


class Repairs:
    def __init__(self, agent: Agent, guard: Guard) -> None:
        self.agent = agent
        self.guard = guard
        self._answers: OrderedDict[str, ActionResult] = OrderedDict()

    async def _change(
        self,
        service: BackendService,
        action: str,
        capability: Capability,
        fn: Callable[[Backend], Awaitable[ActionResult]],
        *,
        destructive: bool,
        pin: str | None,
        key: str | None,
        target: Any = None,
        params: dict[str, Any] | None = None,
    ) -> ActionResult:
        service.require(capability)
        self.guard.check(action, destructive=destructive, pin=pin)
        if key and key in self._answers:
            return self._answers[key]
        async with service.action_lock:
            if key and key in self._answers:  # the same request raced us while we waited
                return self._answers[key]
            action_id = key or uuid.uuid4().hex
            self.agent.audit(action_id, service.name, action, "before", target=target, params=params)
            try:
                result = await service.call(capability, fn, action)
            except BackendError as exc:
                self.agent.audit(
                    action_id, service.name, action, "after", target=target, params=params,
                    result={"ok": False, "message": exc.rejection.message},
                )  # fmt: skip
                raise
            self.agent.audit(
                action_id, service.name, action, "after", target=target, params=params,
                result={"ok": result.ok, "message": result.message, "entries": to_data(result.results)},
            )  # fmt: skip
            if key:
                self._answers[key] = result
                while len(self._answers) > REMEMBERED_KEYS:
                    self._answers.popitem(last=False)
        service.wake()
        return result

    async def retry(
        self, service: BackendService, ids: Sequence[str] | None, *, pin: str | None, key: str | None
    ) -> ActionResult:
        return await self._change(
            service,
            "retry-all" if ids is None else "retry",
            Capability.RETRY,
            lambda b: b.retry(None if ids is None else list(ids)),
            destructive=ids is None,
            pin=pin,
            key=key,
            target="all" if ids is None else list(ids),
        )

    async def discard(
        self,
        service: BackendService,
        queue: QueueKind,
        ids: Sequence[str],
        *,
        pin: str | None,
        key: str | None,
    ) -> ActionResult:
        ids = list(ids)

        async def archive_then_discard(backend: Backend) -> ActionResult:
            archived: list[str] = []
            refused: list[EntryResult] = []
            for entry_id in ids:
                try:
                    self._archive(service, queue, await backend.entry(queue, entry_id))
                    archived.append(entry_id)
                except BackendError as exc:
                    refused.append(
                        EntryResult(entry_id, False, f"not discarded: {exc.rejection.message}", exc.rejection)
                    )
                except _TooBig as exc:
                    refused.append(EntryResult(entry_id, False, str(exc)))
            if not archived:
                return ActionResult(False, "Nothing was discarded", refused)
            result = await backend.discard(queue, archived)
            results = [*result.results, *refused]
            ok = result.ok and not refused
            return ActionResult(
                ok, result.message if not refused else f"{result.message}; {len(refused)} kept", results
            )

        return await self._change(
            service,
            "discard",
            Capability.DISCARD,
            archive_then_discard,
            destructive=True,
            pin=pin,
            key=key,
            target=ids,
            params={"queue": queue.value},
        )

    def _archive(self, service: BackendService, queue: QueueKind, detail: Any) -> None:
        if detail.truncated:
            raise _TooBig(
                f"not discarded: entry {detail.entry.id} is too large to archive in full; "
                "raise the adapter's payload limit first"
            )
        self.agent.store.archive.append(
            {
                "archive_id": uuid.uuid4().hex[:12],
                "time": now().isoformat(),
                "user": self.agent.user(),
                "backend": service.name,
                "kind": service.settings.kind,
                "queue": queue.value,
                "entry": to_data(detail.entry),
                "content_type": detail.content_type,
                "payload": detail.payload,
            }
        )

    async def reset(
        self, service: BackendService, keys: Sequence[str] | None, *, pin: str | None, key: str | None
    ) -> ActionResult:
        return await self._change(
            service,
            "reset",
            Capability.RESET,
            lambda b: b.reset(None if keys is None else list(keys)),
            destructive=True,
            pin=pin,
            key=key,
            target="all" if keys is None else list(keys),
        )

    async def change_settings(
        self, service: BackendService, values: dict[str, str], *, pin: str | None, key: str | None
    ) -> ActionResult:
        return await self._change(
            service,
            "change-settings",
            Capability.SETTINGS,
            lambda b: b.change_settings(dict(values)),
            destructive=True,
            pin=pin,
            key=key,
            params=dict(values),
        )

    async def restore(self, archive_id: str, *, pin: str | None, key: str | None) -> ActionResult:
        """Put a discarded entry back from the archive, where its backend can re-queue."""
        records, restored = self.archive_index()
        record = records.get(archive_id)
        if record is None:
            raise Refused(f"nothing archived under {archive_id!r}", 404)
        if archive_id in restored:
            raise Refused(f"{archive_id} was already restored at {restored[archive_id]}", 409)
        service = self.agent.service(str(record.get("backend")))
        if service is None or service.settings.kind != record.get("kind"):
            raise Refused(
                f"the backend {record.get('backend')!r} of {archive_id} is not configured here", 409
            )
        try:
            entry = from_data(QueueEntry, record["entry"])
            queue = QueueKind(record["queue"])
        except (DecodeError, KeyError, ValueError) as exc:
            raise Refused(f"archive record {archive_id} is unreadable: {exc}", 422) from None
        payload = str(record.get("payload", ""))
        result = await self._change(
            service,
            "restore",
            Capability.RESTORE,
            lambda b: b.restore(queue, entry, payload),
            destructive=True,
            pin=pin,
            key=key,
            target=archive_id,
            params={"queue": queue.value, "entry": entry.id},
        )
        if result.ok:
            self.agent.store.archive.append(
                {"restored": archive_id, "time": now().isoformat(), "user": self.agent.user()}
            )
        return result

    def archive_index(self) -> tuple[dict[str, dict[str, Any]], dict[str, str]]:
        """One read of the archive: the discarded entries by id (oldest first) and when each restored
        one was restored."""
        records: dict[str, dict[str, Any]] = {}
        restored: dict[str, str] = {}
        for record in self.agent.store.archive.read():
            if "archive_id" in record:
                records[record["archive_id"]] = record
            elif "restored" in record:
                restored[record["restored"]] = record.get("time", "")
        return records, restored

    def resubmit(
        self, service: BackendService, since: datetime, until: datetime, *, pin: str | None, key: str | None
    ) -> ActionStatus:
        """Re-Submit To Server for a date range: long, so it runs in the background with progress and
        can be cancelled (`service.cancel`)."""
        backend = service.require(Capability.RESUBMIT)
        self.guard.check("resubmit", destructive=True, pin=pin)
        if until < since:
            raise Refused("the re-submit range ends before it starts", 400)
        timeout = float(service.settings.options.get("resubmit_timeout", 3600))
        return service.start_long(
            "resubmit",
            lambda progress: backend.resubmit(since, until, progress),
            key,
            timeout=timeout,
            params={"since": since.isoformat(), "until": until.isoformat()},
        )

    async def compare(self, service: BackendService, queue: QueueKind, entry_id: str) -> Comparison:
        return await service.call(Capability.COMPARE, lambda b: b.compare(queue, entry_id), "compare")

    async def count_remotes(self, service: BackendService) -> list[SyncLogRow]:
        return await service.call(Capability.COUNT_REMOTES, lambda b: b.count_remotes(), "count remotes")

    async def check_connection(self, service: BackendService) -> Health:
        return await service.call(
            Capability.CHECK_CONNECTION, lambda b: b.check_connection(), "check connection"
        )

    async def settings(self, service: BackendService) -> list[Setting]:
        return await service.call(Capability.SETTINGS, lambda b: b.settings_list(), "reading settings")


class _TooBig(Exception):
    pass
