"""The actions on a backend, each as the catalogue names it: synchronize, retry, discard, reset,
restore, resubmit, settings, and the reads (compare, count remotes, check connection).

Every one goes through the agent's ActionRunner (guard, idempotency, single-flight, audit). What is
particular to an action lives here: a discard archives each entry's payload and metadata first and
deletes nothing it could not archive; a restore takes its entry from the archive, once.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from synctui.actions import action, discard_action
from synctui.agent.backend_service import ActionRefused, BackendService, now
from synctui.agent.guard import Refused
from synctui.agent.journal import JournalError
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
    from synctui.agent.runner import ActionRunner

log = logging.getLogger(__name__)


class Repairs:
    def __init__(self, agent: Agent, runner: ActionRunner) -> None:
        self.agent = agent
        self.runner = runner

    async def synchronize(
        self,
        service: BackendService,
        *,
        pin: str | None,
        key: str | None,
        params: dict[str, str] | None = None,
    ) -> ActionStatus:
        """Start Synchronize Now, or join the run in progress (a second press never sends twice).
        `params` go to the audit records (the schedule marks its runs so)."""
        timeout = float(service.settings.options.get("sync_timeout", 1800))
        return await self.runner.start_long(
            service, action("synchronize"), lambda progress: service.require(Capability.SYNCHRONIZE).synchronize(progress),
            pin=pin, key=key, timeout=timeout, params=params,
        )  # fmt: skip

    async def retry(
        self, service: BackendService, ids: Sequence[str] | None, *, pin: str | None, key: str | None
    ) -> ActionResult:
        return await self.runner.change(
            service,
            action("retry-all" if ids is None else "retry"),
            lambda b: b.retry(None if ids is None else list(ids)),
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
        spec = discard_action(queue)
        if not spec.applies_to(queue):
            raise ActionRefused(f"entries of the {queue.value} queue cannot be discarded", 400)

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
                except JournalError as exc:  # nothing of the record is on disk
                    refused.append(EntryResult(entry_id, False, f"not discarded: {exc}"))
                except OSError as exc:
                    refused.append(
                        EntryResult(
                            entry_id,
                            False,
                            f"not discarded: the archive could not be written ({exc.strerror or exc})",
                        )
                    )
            if not archived:
                return ActionResult(
                    False, f"Nothing was discarded; {len(refused)} kept", refused, {"kept": len(refused)}
                )
            result = await backend.discard(queue, archived)
            results = [*result.results, *refused]
            discarded = (
                sum(1 for r in result.results if r.ok)
                if result.results
                else (len(archived) if result.ok else 0)
            )
            counts = {"discarded": discarded, "kept": len(ids) - discarded}
            ok = result.ok and not refused
            return ActionResult(
                ok,
                result.message if not refused else f"{result.message}; {len(refused)} kept",
                results,
                counts,
            )

        return await self.runner.change(
            service,
            spec,
            archive_then_discard,
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
        return await self.runner.change(
            service,
            action("reset-all" if keys is None else "reset"),
            lambda b: b.reset(None if keys is None else list(keys)),
            pin=pin,
            key=key,
            target="all" if keys is None else list(keys),
        )

    async def change_settings(
        self, service: BackendService, values: dict[str, str], *, pin: str | None, key: str | None
    ) -> ActionResult:
        return await self.runner.change(
            service,
            action("change-settings"),
            lambda b: b.change_settings(dict(values)),
            pin=pin,
            key=key,
            params=dict(values),
        )

    async def restore(self, archive_id: str, *, pin: str | None, key: str | None) -> ActionResult:
        """Put a discarded entry back from the archive, once, where its backend can re-queue."""
        try:
            service, record = self._restorable(archive_id, repeat=self.runner.answered(key))
        except Refused as exc:
            self.agent.audit(
                key or uuid.uuid4().hex, "", "restore", "refused", target=archive_id,
                result={"ok": False, "status": exc.status, "message": str(exc)},
            )  # fmt: skip
            raise
        entry = from_data(QueueEntry, record["entry"])
        queue = QueueKind(record["queue"])
        payload = str(record.get("payload", ""))

        async def restore_once(backend: Backend) -> ActionResult:
            _, restored = self.archive_index()  # again, under the backend's action lock
            if archive_id in restored:
                return ActionResult(
                    False, f"{archive_id} was already restored at {restored[archive_id]}; not queued again"
                )
            # The mark goes first: if it cannot be written, nothing is queued (a restore that left no
            # mark could be repeated and queue the entry twice); a restore that fails takes it back.
            try:
                self.agent.store.archive.append(
                    {"restored": archive_id, "time": now().isoformat(), "user": self.agent.user()}
                )
            except OSError as exc:
                return ActionResult(False, f"not restored: {exc}", counts={"restored": 0})
            try:
                result = await backend.restore(queue, entry, payload)
            except BaseException:
                self._unmark(archive_id)
                raise
            if not result.ok:
                self._unmark(archive_id)
            return result

        return await self.runner.change(
            service,
            action("restore"),
            restore_once,
            pin=pin,
            key=key,
            target=archive_id,
            params={"queue": queue.value, "entry": entry.id},
        )

    def _unmark(self, archive_id: str) -> None:
        try:
            self.agent.store.archive.append({"unrestored": archive_id, "time": now().isoformat()})
        except OSError:
            log.error("archive: %s was not restored, but that could not be written down", archive_id)

    def _restorable(self, archive_id: str, *, repeat: bool) -> tuple[BackendService, dict[str, Any]]:
        """The archive record and its backend; a repeated request (same key) gets its first answer."""
        records, restored = self.archive_index(with_payload=archive_id)
        record = records.get(archive_id)
        if record is None:
            raise Refused(f"nothing archived under {archive_id!r}", 404)
        if archive_id in restored and not repeat:
            raise Refused(f"{archive_id} was already restored at {restored[archive_id]}", 409)
        service = self.agent.service(str(record.get("backend")))
        if service is None or service.settings.kind != record.get("kind"):
            raise Refused(
                f"the backend {record.get('backend')!r} of {archive_id} is not configured here", 409
            )
        try:
            from_data(QueueEntry, record["entry"])
            QueueKind(record["queue"])
        except (DecodeError, KeyError, ValueError) as exc:
            raise Refused(f"archive record {archive_id} is unreadable: {exc}", 422) from None
        return service, record

    def archive_index(
        self, with_payload: str | None = None
    ) -> tuple[dict[str, dict[str, Any]], dict[str, str]]:
        """One streaming read of the archive: the discarded entries by id (oldest first) and when each
        restored one was restored. Payloads, the bulk of the archive, are dropped as they are read,
        except the one of `with_payload`."""
        records: dict[str, dict[str, Any]] = {}
        restored: dict[str, str] = {}
        for record in self.agent.store.archive.scan():
            if "archive_id" in record:
                if record["archive_id"] != with_payload:
                    record.pop("payload", None)
                records[record["archive_id"]] = record
            elif "restored" in record:
                restored[record["restored"]] = record.get("time", "")
            elif "unrestored" in record:
                restored.pop(record["unrestored"], None)
        return records, restored

    async def resubmit(
        self, service: BackendService, since: datetime, until: datetime, *, pin: str | None, key: str | None
    ) -> ActionStatus:
        """Re-Submit To Server for a date range: long, so it runs in the background with progress and
        can be cancelled (`service.cancel`)."""
        if until < since:
            raise ActionRefused("the re-submit range ends before it starts", 400)
        timeout = float(service.settings.options.get("resubmit_timeout", 3600))
        return await self.runner.start_long(
            service,
            action("resubmit"),
            lambda progress: service.require(Capability.RESUBMIT).resubmit(since, until, progress),
            pin=pin,
            key=key,
            timeout=timeout,
            params={"since": since.isoformat(), "until": until.isoformat()},
        )

    async def compare(self, service: BackendService, queue: QueueKind, entry_id: str) -> Comparison:
        spec = action("compare")
        if not spec.applies_to(queue):
            raise ActionRefused(f"entries of the {queue.value} queue cannot be compared with the server", 400)
        return await self.runner.read(service, spec, lambda b: b.compare(queue, entry_id))

    async def count_remotes(self, service: BackendService) -> list[SyncLogRow]:
        return await self.runner.read(service, action("count-remotes"), lambda b: b.count_remotes())

    async def check_connection(self, service: BackendService) -> Health:
        return await self.runner.read(service, action("check-connection"), lambda b: b.check_connection())

    async def settings(self, service: BackendService) -> list[Setting]:
        return await service.call(Capability.SETTINGS, lambda b: b.settings_list(), "reading settings")


class _TooBig(Exception):
    pass
