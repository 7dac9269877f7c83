"""What the dashboard knows of an agent: the `AgentClient` interface, the errors it raises
(`AgentUnavailable`, `AgentRefused`, `AgentTokenRefused`), and `follow_updates`, which follows any
client's states through lost connections. `synctui.client.HttpAgentClient` is its implementation
over the agent API (socket, TCP, or an embedded agent's private socket).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from typing import Any, Protocol

from synctui.model import (
    ActionResult,
    ActionStatus,
    AgentState,
    Comparison,
    EntryDetail,
    EntryPage,
    Health,
    PluginInfo,
    QueueKind,
    Setting,
    SyncLogRow,
)

log = logging.getLogger(__name__)


class AgentUnavailable(Exception):
    """The agent cannot be reached; the message says why in one line."""


class AgentRefused(Exception):
    """The agent answered with an error (bad request, unknown backend, refused action)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class AgentTokenRefused(AgentRefused):
    """The agent refused the bearer token (HTTP 401 of its token check, not of a PIN check): the token
    is wrong or missing. The message never holds the token."""

    def __init__(self, where: str) -> None:
        super().__init__(401, f"refused: wrong or missing token (the agent at {where})")


class AgentClient(Protocol):
    description: str  # where the agent is, for the header ("embedded", socket path...)

    async def state(self) -> AgentState: ...

    def updates(self) -> AsyncIterator[AgentState]:
        """The state now, then again on every change, until closed."""
        ...

    async def entries(
        self,
        backend: str,
        queue: QueueKind,
        offset: int = 0,
        limit: int = 50,
        filter: str | None = None,
    ) -> EntryPage: ...

    async def entry(self, backend: str, queue: QueueKind, id: str) -> EntryDetail: ...

    async def synchronize(self, backend: str, *, key: str | None = None) -> ActionStatus:
        """Start Synchronize Now, or join the one already running (`joined` says which)."""
        ...

    async def refresh(self, backend: str | None = None) -> None: ...

    async def plugins(self) -> list[PluginInfo]: ...

    async def retry(
        self, backend: str, ids: list[str] | None, *, pin: str | None = None, key: str | None = None
    ) -> ActionResult:
        """Send rejected entries again (`None`: all of them; needs the PIN when one is set)."""
        ...

    async def discard(
        self,
        backend: str,
        queue: QueueKind,
        ids: list[str],
        *,
        pin: str | None = None,
        key: str | None = None,
    ) -> ActionResult: ...

    async def reset(
        self, backend: str, keys: list[str] | None, *, pin: str | None = None, key: str | None = None
    ) -> ActionResult: ...

    async def compare(self, backend: str, queue: QueueKind, id: str) -> Comparison: ...

    async def count_remotes(self, backend: str) -> list[SyncLogRow]: ...

    async def resubmit(
        self,
        backend: str,
        since: datetime,
        until: datetime,
        *,
        pin: str | None = None,
        key: str | None = None,
    ) -> ActionStatus:
        """Start Re-Submit To Server for a date range; follow it in the pushed state."""
        ...

    async def cancel(self, backend: str, action_id: str) -> ActionStatus: ...

    async def check_connection(self, backend: str) -> Health:
        """A read-only probe of the backend's server: reachability, latency, credentials."""
        ...

    async def audit(self, limit: int = 100) -> list[dict[str, Any]]: ...

    async def archive(self, limit: int = 100) -> list[dict[str, Any]]:
        """The newest discarded (archived) entries, each with when it was restored, if it was."""
        ...

    async def restore(
        self, archive_id: str, *, pin: str | None = None, key: str | None = None
    ) -> ActionResult: ...

    async def settings(self, backend: str) -> list[Setting]: ...

    async def change_settings(
        self, backend: str, values: dict[str, str], *, pin: str | None = None, key: str | None = None
    ) -> ActionResult: ...

    async def aclose(self) -> None: ...


async def follow_updates(client: AgentClient, delays: Sequence[float]) -> AsyncIterator[AgentState | str]:
    """The agent's states for as long as it is followed, through lost connections: each pushed state,
    and, when the stream ends or fails, one line saying why (a `str`) before trying again after the
    next of `delays` (the last one repeats; a state resets them). A broken client is logged and
    retried like a lost agent: a dashboard must not end on it."""
    attempt = 0
    while True:
        stream = client.updates()
        try:
            async for state in stream:
                attempt = 0
                yield state
            reason = "the agent closed the update stream"
        except AgentUnavailable as exc:
            reason = str(exc) or "no answer"
        except AgentRefused as exc:
            reason = f"the agent refused the update stream ({exc.status}): {exc.message}"
        except Exception as exc:
            log.exception("update stream failed")
            reason = f"{type(exc).__name__}: {exc}"
        finally:
            closer = getattr(stream, "aclose", None)
            if closer is not None:
                try:
                    await closer()
                except Exception:
                    log.debug("closing the update stream failed", exc_info=True)
        yield reason
        await asyncio.sleep(delays[min(attempt, len(delays) - 1)])
        attempt += 1
