"""The Backend interface every adapter implements.

An adapter class is registered through the `synctui_register_backends` hook. The agent makes one
instance per configured backend and calls its async methods with timeouts; anything an adapter raises
is caught there, so a broken adapter shows an error instead of stopping the agent. Raise
`BackendError` with a `Rejection` for problems a person should read (the agent shows its message);
any other exception is reported as an adapter fault.

Optional methods raise `NotSupported` by default; list the ones you implement in `capabilities`.
Declare the adapter's `[backends.options]` keys in `option_specs` (`Option`): the core checks the config
against them when it loads and `synctui plugins --options KIND` lists them.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from synctui.model import (
    ActionResult,
    Capability,
    Category,
    Comparison,
    EntryDetail,
    EntryPage,
    Health,
    QueueEntry,
    QueueKind,
    Rejection,
    Setting,
    Snapshot,
    SyncLogRow,
    SyncProgress,
    SyncResult,
    Thresholds,
)

if TYPE_CHECKING:
    import httpx

ProgressCallback = Callable[[SyncProgress], None]
T = TypeVar("T")


class Secret:
    """A password or token that never prints: repr/str/format show a mask, `reveal()` the value."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('********')"

    __str__ = __repr__

    def __format__(self, spec: str) -> str:
        return "********"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __bool__(self) -> bool:
        return bool(self._value)


@dataclass
class BackendSettings:
    """One configured backend, as the adapter sees it (config.py builds it from TOML)."""

    name: str
    kind: str
    url: str = ""
    username: str | None = None
    secret: Secret | None = None
    refresh_interval: float = 5.0  # seconds between snapshots
    timeout: float = 10.0  # seconds for one call to the adapter
    thresholds: Thresholds = field(default_factory=Thresholds)
    options: dict[str, Any] = field(default_factory=dict)  # adapter-specific keys of the config
    sync_at_start: bool | None = None  # Synchronize Now when the agent starts (None: as the adapter says)
    sync_every: float = 0.0  # seconds between background syncs; 0: none
    disable: frozenset[Capability] = frozenset()  # actions the config removes: never offered, refused


# Options the agent itself reads for every backend (config.py checks them); an adapter never declares them.
AGENT_OPTIONS = frozenset({"sync_timeout", "resubmit_timeout"})
TYPE_NAMES: dict[type, str] = {
    str: "text",
    int: "whole number",
    float: "number",
    bool: "true/false",
    Path: "path",
    dict: "table",
    list: "list",
}


@dataclass(frozen=True)
class Option:
    """One key of an adapter's `[backends.options]`.

    `type` is str, int, float, bool, Path (relative to the config file's folder), dict (a table) or list,
    or a tuple of them. `default` None means "not set" (the adapter says in `help` what it does then). A
    `secret` option is given to the adapter as a `Secret`. `minimum`/`maximum` bound numbers; `choices`
    lists the only values allowed."""

    name: str
    type: type | tuple[type, ...]
    default: Any = None
    help: str = ""
    secret: bool = False
    required: bool = False
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] = ()

    @property
    def type_name(self) -> str:
        types = self.type if isinstance(self.type, tuple) else (self.type,)
        name = " or ".join(TYPE_NAMES.get(t, t.__name__) for t in types)
        if self.minimum is not None and self.maximum is not None:
            return f"{name} {self.minimum:g}–{self.maximum:g}"
        if self.minimum is not None:
            return f"{name} ≥ {self.minimum:g}"
        return " / ".join(self.choices) if self.choices else name

    def check(self, value: Any, base_dir: Path | None) -> Any:
        """The value as the adapter gets it; OptionError saying what is wrong."""
        types = self.type if isinstance(self.type, tuple) else (self.type,)
        if Path in types and isinstance(value, (str, Path)):
            if not str(value).strip() or "\0" in str(value):
                raise OptionError(self.name, "must be a file path")
            try:
                path = Path(value).expanduser()
            except RuntimeError:  # "~nobody/x": no such user
                raise OptionError(self.name, f"cannot expand {str(value)[:60]!r}: no such user") from None
            return path if path.is_absolute() or base_dir is None else base_dir / path
        if self.secret and isinstance(value, Secret):
            return value
        if isinstance(value, bool) and bool not in types:
            raise OptionError(self.name, f"expects {self.type_name}, not true/false")
        if isinstance(value, float) and int in types and float not in types and value.is_integer():
            value = int(value)
        accepted = tuple({float: (int, float), Path: (str, Path)}.get(t, (t,)) for t in types)
        if not isinstance(value, tuple(t for group in accepted for t in group)):
            raise OptionError(self.name, f"expects {self.type_name}, not {type(value).__name__}")
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            if not math.isfinite(value):
                raise OptionError(self.name, f"must be a finite number, not {value!r}")
            if self.minimum is not None and value < self.minimum:
                raise OptionError(self.name, f"must be at least {self.minimum:g}, not {value!r}")
            if self.maximum is not None and value > self.maximum:
                raise OptionError(self.name, f"must be at most {self.maximum:g}, not {value!r}")
            if float in types and int not in types:
                value = float(value)
        if self.choices and value not in self.choices:
            raise OptionError(self.name, f"must be one of {', '.join(self.choices)}, not {str(value)[:60]!r}")
        if isinstance(value, str) and self.secret:
            return Secret(value)
        return value


class OptionError(ValueError):
    """An option of the config that its declaration refuses."""

    def __init__(self, key: str, why: str) -> None:
        super().__init__(f"options.{key} {why}")
        self.key = key


def read_options(
    specs: Sequence[Option], given: dict[str, Any], base_dir: Path | None = None
) -> dict[str, Any]:
    """`given` checked against `specs`: every declared key (its default when not given), typed; the
    agent's own keys pass through. An unknown key or a bad value: OptionError."""
    known = {spec.name: spec for spec in specs}
    for key in given:
        if key not in known and key not in AGENT_OPTIONS:
            raise OptionError(key, f"is not an option of this backend (known: {', '.join(known)})")
    options = {key: value for key, value in given.items() if key in AGENT_OPTIONS}
    for spec in specs:
        value = given.get(spec.name)
        if value is None:
            if spec.required:
                raise OptionError(spec.name, f"is required: {spec.help}")
            options[spec.name] = spec.default
        else:
            options[spec.name] = spec.check(value, base_dir)
    return options


def config_error(settings: BackendSettings, what: str) -> BackendError:
    """A mistake in this backend's entry of the config (an option, its URL), found by the adapter."""
    return BackendError(
        Rejection(
            Category.FIX_DATA,
            f"backend {settings.name}: {what}",
            advice=f"Fix this backend in the synctui config (`synctui plugins --options {settings.kind}`).",
            code="CONFIG",
        )
    )


class BackendError(Exception):
    """A failure the adapter understood; its rejection is what the user reads."""

    def __init__(self, rejection: Rejection) -> None:
        super().__init__(rejection.message)
        self.rejection = rejection


class LostContact(BackendError):
    """`failures` polls in a row failed while following a long action; `rejection` is the last one.
    The action itself may still be running: say so, never that it failed."""

    def __init__(self, rejection: Rejection, failures: int) -> None:
        super().__init__(rejection)
        self.failures = failures


TRANSIENT = (Category.RETRYABLE, Category.SERVER)  # a poll failing so says nothing about the action


async def poll_through_faults(
    call: Callable[[], Awaitable[T]],
    *,
    failures: int,
    backoff: float,
    lost: Callable[[int, Rejection], None],
    max_backoff: float = 10.0,
) -> T:
    """One poll while following a long action (a sync's status, a job's progress). A transient failure
    (network, timeout, 5xx, a garbled answer: RETRYABLE or SERVER) is retried after a pause that
    doubles each time, up to `max_backoff`; `lost(n, why)` is told before the n-th retry. After
    `failures` in a row: LostContact. Anything else (credentials refused, gone) is raised at once."""
    import asyncio  # here: the CLI imports this module and must start without asyncio

    limit = max(int(failures), 1)
    failed = 0
    while True:
        try:
            return await call()
        except BackendError as exc:
            if exc.rejection.category not in TRANSIENT:
                raise
            failed += 1
            if failed >= limit:
                raise LostContact(exc.rejection, failed) from None
            lost(failed, exc.rejection)
            await asyncio.sleep(min(backoff * 2 ** (failed - 1), max_backoff))


class AnswerTooLarge(Exception):
    """An answer larger than the adapter's limit; nothing of it is kept."""


async def read_limited(
    http: httpx.AsyncClient, method: str, url: str | httpx.URL, limit: int, **kwargs: Any
) -> httpx.Response:
    """Send one request and read its answer as it streams in, at most `limit` bytes (decoded): a
    larger answer (declared or counted) raises AnswerTooLarge and its connection is dropped unread,
    so memory never holds more than the limit. The response returned is fully read."""
    import httpx  # here: this module stays free of HTTP for the CLI and the plugins' light imports

    async with http.stream(method, url, **kwargs) as response:
        declared = response.headers.get("content-length", "")
        encoded = response.headers.get("content-encoding", "identity").strip().lower() != "identity"
        if declared.isdigit() and int(declared) > limit and not encoded:
            raise AnswerTooLarge
        chunks: list[bytes] = []
        size = 0
        async for chunk in response.aiter_bytes():
            size += len(chunk)
            if size > limit:
                chunks.clear()  # the exception's traceback holds this frame: let what was read go now
                raise AnswerTooLarge
            chunks.append(chunk)
    headers = [
        (key, value)
        for key, value in response.headers.multi_items()
        if key.lower() not in ("content-length", "content-encoding", "transfer-encoding")
    ]  # the content is decoded and complete now
    return httpx.Response(
        response.status_code,
        headers=headers,
        content=b"".join(chunks),
        request=response.request,
        extensions=response.extensions,
    )


class NotSupported(BackendError):
    def __init__(self, what: str) -> None:
        super().__init__(
            Rejection(
                category=Category.UNKNOWN,
                message=f"This backend does not support {what}.",
            )
        )


class Backend(ABC):
    """One backend family. Subclass, set `kind`, `capabilities` and `option_specs`, implement what you
    support. `capabilities` is read per instance: an adapter may narrow it in `__init__` (a profile that
    lacks an action), and the agent removes what the config's `disable` names."""

    kind: ClassVar[str]
    description: ClassVar[str] = ""
    capabilities: frozenset[Capability] = frozenset()
    option_specs: ClassVar[tuple[Option, ...]] = ()
    # Whether the agent runs Synchronize Now when it starts, unless the config says otherwise: true
    # where the device's own app syncs at login and nothing else would run the sync on a terminal.
    sync_at_start: ClassVar[bool] = False

    def __init__(self, settings: BackendSettings, http: httpx.AsyncClient) -> None:
        self.settings = settings
        self.http = http

    def read_options(self) -> dict[str, Any]:
        """This backend's options checked against `option_specs` (the agent did so at load already;
        this catches settings made in code): BackendError with the one config-error shape."""
        try:
            return read_options(self.option_specs, self.settings.options)
        except OptionError as exc:
            raise config_error(self.settings, str(exc)) from None

    @property
    def name(self) -> str:
        return self.settings.name

    @abstractmethod
    async def snapshot(self) -> Snapshot:
        """Counts, sync log, jobs, progress and health, as of now. Keep it cheap: it runs every
        refresh interval."""

    async def entries(
        self, queue: QueueKind, offset: int = 0, limit: int = 50, filter: str | None = None
    ) -> EntryPage:
        """One page of a queue, oldest first. Never load the whole queue."""
        raise NotSupported("listing queue entries")

    async def entry(self, queue: QueueKind, id: str) -> EntryDetail:
        """One entry with its payload and rejection."""
        raise NotSupported("inspecting entries")

    async def synchronize(self, progress: ProgressCallback) -> SyncResult:
        """Synchronize Now: push and pull, reporting progress until done."""
        raise NotSupported("Synchronize Now")

    async def retry(self, ids: Sequence[str] | None) -> ActionResult:
        """Send rejected entries again; `None` means all of them."""
        raise NotSupported("retrying entries")

    async def discard(self, queue: QueueKind, ids: Sequence[str]) -> ActionResult:
        """Drop local changes ("Leave Server Version"). The agent archives the entries first."""
        raise NotSupported("discarding entries")

    async def restore(self, queue: QueueKind, entry: QueueEntry, payload: str) -> ActionResult:
        """Put back an entry that was discarded (from the agent's archive: its metadata and the exact
        payload). Only for backends that can re-queue; SanteDB, for one, cannot."""
        raise NotSupported("restoring discarded entries")

    async def compare(self, queue: QueueKind, id: str) -> Comparison:
        """The local copy beside the server's copy of the same record."""
        raise NotSupported("comparing with the server")

    async def count_remotes(self) -> list[SyncLogRow]:
        """The sync log with `local_count` and `remote_count` filled."""
        raise NotSupported("counting remote records")

    async def reset(self, keys: Sequence[str] | None) -> ActionResult:
        """Clear sync markers of these log rows (`None`: all). No data is deleted."""
        raise NotSupported("resetting the sync log")

    async def resubmit(self, since: datetime, until: datetime, progress: ProgressCallback) -> ActionResult:
        """Queue again what was created in the range and is missing on the server."""
        raise NotSupported("re-submitting by date range")

    async def check_connection(self) -> Health:
        """A read-only probe of the server: reachability, latency, auth."""
        raise NotSupported("checking the connection")

    async def settings_list(self) -> list[Setting]:
        raise NotSupported("reading settings")

    async def change_settings(self, values: dict[str, str]) -> ActionResult:
        raise NotSupported("changing settings")

    def watch_paths(self) -> list[Path]:
        """Local files whose change means "refresh now" (the backend's database, its OpLog...)."""
        return []

    async def aclose(self) -> None:
        """Release what the adapter holds (files, sessions). The shared HTTP client is not yours."""


class DemoBackend(ABC):
    """A simulated backend for `synctui demo`, provided by a plugin next to its adapter."""

    name: ClassVar[str]
    kind: ClassVar[str]

    @abstractmethod
    async def start(self, state_dir: Path) -> tuple[BackendSettings, httpx.AsyncBaseTransport]:
        """Start the simulator and its traffic; return the settings and an in-process transport
        that reaches it."""

    @abstractmethod
    async def stop(self) -> None: ...
