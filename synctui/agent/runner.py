"""The one pipeline every action on a backend goes through, as the catalogue (synctui.actions) declares it.

guard (capability, read-only, admin PIN) → idempotency (a key is scoped to backend + action + body: the
same request again gets the first answer, another request under the same key is refused with 409) →
single-flight (changes run one at a time per backend; one long action at a time, which a second request
for the same action joins) → audit before → the adapter → audit after → the counted result.
Refused attempts are audited too. Reads (compare, count remotes, check connection) only pass the
capability check: they change nothing and are not audited.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from synctui.actions import ActionSpec
from synctui.agent.backend_service import ActionRefused, BackendService
from synctui.agent.guard import Guard, Refused
from synctui.agent.journal import JournalError
from synctui.backend import Backend, BackendError, ProgressCallback
from synctui.model import ActionResult, ActionStatus, SyncResult, to_data

if TYPE_CHECKING:
    from synctui.agent.core import Agent

T = TypeVar("T")
REMEMBERED_KEYS = 200


@dataclass
class _Answer:
    scope: str
    result: ActionResult | None = None  # a short change
    action_id: str = ""  # a long action: followed by its id on its backend
    final: ActionStatus | None = None


class ActionRunner:
    def __init__(self, agent: Agent, guard: Guard) -> None:
        self.agent = agent
        self.guard = guard
        self._answers: OrderedDict[str, _Answer] = OrderedDict()

    # --- the steps ----------------------------------------------------------------------------------

    async def admit(
        self,
        service: BackendService,
        spec: ActionSpec,
        *,
        pin: str | None,
        action_id: str,
        target: Any = None,
        params: dict[str, Any] | None = None,
    ) -> Backend:
        """Capability, read-only and PIN; a refusal is audited before it is raised."""
        try:
            backend = service.require(spec.capability)
            if spec.changes:
                await self.guard.check_async(spec, pin)  # the PIN hash runs off the event loop
            return backend
        except (Refused, ActionRefused) as exc:
            if spec.changes:
                self.agent.audit(
                    action_id, service.name, spec.name, "refused", target=target, params=params,
                    result={"ok": False, "status": exc.status, "message": str(exc)},
                )  # fmt: skip
            raise

    def answered(self, key: str | None) -> bool:
        """Whether a request under this key was already answered (its repeat gets that answer)."""
        return bool(key) and key in self._answers

    def _remembered(self, key: str | None, scope: str) -> _Answer | None:
        if not key or key not in self._answers:
            return None
        answer = self._answers[key]
        if answer.scope != scope:
            raise Refused(
                "this Idempotency-Key was already used for a different request; send a new key", 409
            )
        return answer

    def _remember(self, key: str | None, answer: _Answer) -> None:
        if not key:
            return
        self._answers[key] = answer
        while len(self._answers) > REMEMBERED_KEYS:
            self._answers.popitem(last=False)

    # --- short changes --------------------------------------------------------------------------------

    async def change(
        self,
        service: BackendService,
        spec: ActionSpec,
        fn: Callable[[Backend], Awaitable[ActionResult]],
        *,
        pin: str | None,
        key: str | None,
        target: Any = None,
        params: dict[str, Any] | None = None,
    ) -> ActionResult:
        scope = _scope(service.name, spec.name, target, params)
        action_id = key or uuid.uuid4().hex
        await self.admit(service, spec, pin=pin, action_id=action_id, target=target, params=params)
        if (answer := self._remembered(key, scope)) is not None and answer.result is not None:
            return answer.result
        async with service.action_lock:
            if (answer := self._remembered(key, scope)) is not None and answer.result is not None:
                return answer.result  # the same request raced us while we waited
            self._audit_before(action_id, service, spec, target=target, params=params)
            try:
                result = await service.call(spec.capability, fn, spec.title)
                if not isinstance(result, ActionResult):
                    raise ActionRefused(
                        f"the adapter answered {spec.title} with {type(result).__name__}", 502
                    )
            except (BackendError, ActionRefused) as exc:
                message = exc.rejection.message if isinstance(exc, BackendError) else str(exc)
                self.agent.audit(
                    action_id, service.name, spec.name, "after", target=target, params=params,
                    result={"ok": False, "message": message},
                )  # fmt: skip
                raise
            self.agent.audit(
                action_id, service.name, spec.name, "after", target=target, params=params,
                result={
                    "ok": result.ok, "message": result.message, "counts": result.counts,
                    "entries": to_data(result.results),
                },
            )  # fmt: skip
            self._remember(key, _Answer(scope, result=result))
        service.wake()
        return result

    # --- long actions ---------------------------------------------------------------------------------

    async def start_long(
        self,
        service: BackendService,
        spec: ActionSpec,
        run: Callable[[ProgressCallback], Awaitable[SyncResult | ActionResult]],
        *,
        pin: str | None,
        key: str | None,
        timeout: float,
        params: dict[str, Any] | None = None,
    ) -> ActionStatus:
        scope = _scope(service.name, spec.name, None, params)
        action_id = key or uuid.uuid4().hex
        await self.admit(service, spec, pin=pin, action_id=action_id, params=params)
        answer = self._remembered(key, scope)
        if answer is not None:
            current = service.action
            if current is not None and current.id == answer.action_id:
                return current
            if answer.final is not None:
                return answer.final

        def finished(status: ActionStatus) -> None:
            self.agent.audit(
                status.id, service.name, spec.name, "after", params=params,
                result={"ok": status.ok, "state": status.state, "message": status.message, "counts": status.counts},
            )  # fmt: skip
            remembered = self._answers.get(status.id)
            if remembered is not None:
                remembered.final = status

        if not service.long_running():  # a new run: written down before it starts
            self._audit_before(action_id, service, spec, params=params)
        try:
            status = service.start_long(
                spec.name, spec.title, run, action_id, timeout=timeout, on_done=finished
            )
        except ActionRefused as exc:
            self.agent.audit(
                action_id, service.name, spec.name, "refused", params=params,
                result={"ok": False, "status": exc.status, "message": str(exc)},
            )  # fmt: skip
            raise
        if not status.joined:
            self._remember(status.id, _Answer(scope, action_id=status.id))
            if key and key != status.id:
                self._remember(key, self._answers[status.id])
        return status

    def _audit_before(
        self,
        action_id: str,
        service: BackendService,
        spec: ActionSpec,
        *,
        target: Any = None,
        params: dict[str, Any] | None = None,
    ) -> None:
        """The audit record of a change goes to disk before the change; when it cannot, nothing runs."""
        try:
            self.agent.audit(action_id, service.name, spec.name, "before", target=target, params=params)
        except JournalError as exc:
            raise Refused(f"{spec.title} refused: {exc}; nothing was changed", 507) from None

    # --- reads ----------------------------------------------------------------------------------------

    async def read(
        self, service: BackendService, spec: ActionSpec, fn: Callable[[Backend], Awaitable[T]]
    ) -> T:
        service.require(spec.capability)
        return await service.call(spec.capability, fn, spec.title)


def _scope(backend: str, action: str, target: Any, params: dict[str, Any] | None) -> str:
    body = json.dumps([target, params or {}], sort_keys=True, default=str, separators=(",", ":"))
    return f"{backend}\x00{action}\x00{hashlib.sha256(body.encode()).hexdigest()}"
