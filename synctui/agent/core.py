"""The agent: one service per configured backend, the store, change notification for clients."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import getpass
import logging
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from synctui import __version__
from synctui._httpx import httpx
from synctui.agent.backend_http import backend_client
from synctui.agent.backend_service import BackendService, now
from synctui.agent.guard import Guard
from synctui.agent.journal import JournalError
from synctui.agent.memory import FreeMemory
from synctui.agent.ratelog import Streak
from synctui.agent.repairs import Repairs
from synctui.agent.runner import ActionRunner
from synctui.agent.schedule import SyncSchedule
from synctui.agent.store import Store
from synctui.agent.watch import watch_files
from synctui.backend import BackendSettings
from synctui.config import Config
from synctui.model import AgentState, Category, Rejection
from synctui.plugins import Registry

if TYPE_CHECKING:
    from synctui.agent.push import Pusher
    from synctui.config_fleet import PushSettings

log = logging.getLogger(__name__)


class Agent:
    def __init__(
        self,
        config: Config,
        registry: Registry,
        *,
        embedded: bool = False,
        transports: Mapping[str, httpx.AsyncBaseTransport] | None = None,
        backends: list[BackendSettings] | None = None,
        watch: bool = True,
    ) -> None:
        self.config = config
        self.registry = registry
        self.embedded = embedded
        self.readonly = config.agent.readonly
        self.started = datetime.now(UTC)
        self.store = Store(config.agent.state_dir)
        self.guard = Guard(
            readonly=config.agent.readonly,
            pin_hash=config.agent.admin_pin_hash,
            readonly_allows_sync=config.agent.readonly_allows_sync,
            state_path=config.agent.state_dir / "pin-lockout.json",
        )
        self.runner = ActionRunner(self, self.guard)
        self.repairs = Repairs(self, self.runner)
        self.revision = 0
        self._changed = asyncio.Event()
        self._transports = dict(transports or {})
        self._clients: list[httpx.AsyncClient] = []
        self._tasks: list[asyncio.Task[Any]] = []
        self.memory = FreeMemory()
        self._watch_enabled = watch
        self._stop_watch = asyncio.Event()
        self.services: dict[str, BackendService] = {}
        self.pusher: Pusher | None = None  # `[agent.push]`, made on start
        for settings in backends if backends is not None else config.backends:
            self.services[settings.name] = self._make_service(settings)
        for service in self.services.values():
            service.schedule = SyncSchedule.for_service(self, service)

    def _make_service(self, settings: BackendSettings) -> BackendService:
        try:
            cls = self.registry.backend_class(settings.kind)
        except LookupError as exc:
            known = ", ".join(sorted(self.registry.backends)) or "none"
            broken = [p.name for p in self.registry.plugins if p.error]
            hint = f"; broken plugins: {', '.join(broken)} (see `synctui plugins`)" if broken else ""
            error = Rejection(
                Category.UNKNOWN,
                f"{exc} (installed: {known}){hint}",
                advice="Install the plugin for this backend or fix `kind` in the config.",
            )
            return BackendService(self, settings, None, setup_error=error)
        client = backend_client(settings, self._transports.get(settings.name))
        self._clients.append(client)
        try:
            backend = cls(settings, client)
        except Exception as exc:
            error = Rejection(
                Category.UNKNOWN,
                f"the {settings.kind} adapter could not be set up: {type(exc).__name__}: {exc}",
                advice="Check this backend's options in the config.",
            )
            return BackendService(self, settings, None, setup_error=error)
        return BackendService(self, settings, backend)

    # --- lifecycle --------------------------------------------------------------------------------

    async def start(self) -> None:
        self.memory.fix_thresholds()
        for service in self.services.values():
            self._tasks.append(asyncio.create_task(service.run(), name=f"refresh {service.name}"))
            if service.schedule is not None:
                self._tasks.append(
                    asyncio.create_task(service.schedule.run(), name=f"background sync {service.name}")
                )
        self._tasks.append(asyncio.create_task(self._flush_loop(), name="store flush"))
        if self.config.agent.push is not None:
            self.pusher = self._make_pusher(self.config.agent.push)
            self._tasks.append(asyncio.create_task(self.pusher.run(), name="remote write"))
        if self._watch_enabled:
            paths = self._watch_paths()
            if paths:
                self._tasks.append(
                    asyncio.create_task(
                        watch_files(
                            paths,
                            debounce_ms=self.config.agent.watch_debounce_ms,
                            step_ms=self.config.agent.watch_step_ms,
                            stop=self._stop_watch,
                        ),
                        name="watch files",
                    )
                )

    def _make_pusher(self, settings: PushSettings) -> Pusher:
        from synctui.agent.metrics import metrics_registry
        from synctui.agent.push import Pusher  # loads the wire libraries: only in an agent that pushes
        from synctui.agent.push_buffer import PushBuffer

        folder = self.config.agent.state_dir / "push"
        buffer = PushBuffer(folder, max_bytes=settings.buffer_max_bytes, max_age=settings.buffer_max_age)
        return Pusher(settings, metrics_registry(self), buffer)

    def _watch_paths(self) -> dict[Any, list[BackendService]]:
        paths: dict[Any, list[BackendService]] = {}
        for service in self.services.values():
            if service.backend is None:
                continue
            try:
                wanted = service.backend.watch_paths()
            except Exception:
                log.warning("%s: watch_paths() failed; it will refresh on its interval only", service.name)
                continue
            for path in wanted:
                paths.setdefault(path, []).append(service)
        return paths

    async def stop(self) -> None:
        self._stop_watch.set()
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks.clear()
        for service in self.services.values():
            await service.aclose()
        for client in self._clients:
            await client.aclose()
        if self.pusher is not None:
            await self.pusher.aclose()
        self.store.close()

    async def _flush_loop(self) -> None:
        """Write the store `flush_interval` after something became pending; asleep while nothing is."""
        failing = Streak(log, f"state file {self.store.storage.path}", "write")  # a full disk: not every 15 s
        while True:
            while not self.store.pending:
                await self.wait_change(self.revision, timeout=None)  # every store write publishes
            await asyncio.sleep(self.config.agent.flush_interval)
            try:
                self.store.flush()
            except OSError as exc:
                failing.failed(exc.strerror or exc)
            else:
                failing.recovered()
            self.memory.release()  # after a burst of work, its freed pages go back to the system

    # --- change notification ------------------------------------------------------------------------

    def publish(self) -> None:
        self.revision += 1
        self._changed.set()
        self._changed = asyncio.Event()

    async def wait_change(self, after: int, timeout: float | None) -> bool:
        """Wait until the revision passes `after` (`timeout` None: for as long as it takes); False on
        timeout."""
        if self.revision > after:
            return True
        event = self._changed
        try:
            await asyncio.wait_for(event.wait(), timeout)
        except TimeoutError:
            return False
        return True

    def state(self) -> AgentState:
        return AgentState(
            backends=[s.view() for s in self.services.values()],
            embedded=self.embedded,
            readonly=self.readonly,
            pin_required=self.guard.pin_required,
            readonly_allows_sync=self.guard.readonly_allows_sync,
            version=__version__,
            started=self.started,
            plugins=list(self.registry.plugins),
            revision=self.revision,
        )

    def service(self, name: str) -> BackendService | None:
        return self.services.get(name)

    def refresh(self, name: str | None = None) -> None:
        for service in self.services.values():
            if name is None or service.name == name:
                service.wake()

    @staticmethod
    def user() -> str:
        return _os_user()

    # --- audit ------------------------------------------------------------------------------------

    def audit(
        self,
        action_id: str,
        backend: str,
        action: str,
        phase: str,
        *,
        target: Any = None,
        params: dict[str, Any] | None = None,
        result: dict[str, Any] | None = None,
    ) -> None:
        """Write one audit record. For phase "before" a record that cannot be written raises
        JournalError (an OSError; the change must then not run); for "after" and "refused" the
        failure is logged and the answer stands."""
        record = {
            "time": now().isoformat(),
            "id": action_id,
            "user": self.user(),
            "backend": backend,
            "action": action,
            "phase": phase,
            "target": target,
            "params": params or {},
            "result": result,
        }
        try:
            self.store.audit_record(self.registry.redact(record))
            return
        except JournalError as exc:
            error = exc
        except OSError as exc:
            error = JournalError(exc.errno or errno.EIO, f"the audit log could not be written ({exc})")
        if phase == "before":
            # The change has not happened: without its record it must not (the runner refuses it).
            log.error("%s; refusing %s on %s", error, action, backend)
            raise error
        # The change happened (or was refused) already: say so in the log, the answer stands.
        log.error("%s: the %r record of %s on %s is missing", error, phase, action, backend)


def _os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"
