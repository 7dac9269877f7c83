"""Following a long action (Synchronize Now, Re-Submit To Server) on the agent's event stream, then
waiting for data taken after it ended: what the verdict of "how did it go?" must be made from.

A dropped event stream (the agent restarting its stream, one failed read) is reconnected, a bounded
number of times in a row; only a real failure of the action ends in "failed".
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from datetime import datetime
from typing import TYPE_CHECKING

from synctui.cli import exits
from synctui.cli.common import CommandError, clean, say
from synctui.model import ActionStatus, AgentState, BackendView

if TYPE_CHECKING:
    from synctui.client import HttpAgentClient

MAX_RECONNECTS = 3  # event-stream drops in a row before giving up
RECONNECT_DELAY = 0.5  # seconds, times the number of drops in a row
SETTLE_MAX = 15.0  # seconds to wait for data taken after the action ended …
SETTLE_MIN = 3.0  # … but at least this, and otherwise two refresh intervals


class Follower:
    """The agent's pushed states for one backend, as one stream that survives a dropped connection."""

    def __init__(self, client: HttpAgentClient, backend: str) -> None:
        self.client = client
        self.backend = backend
        self.last: BackendView | None = None
        self._stream = self._states()
        self._shown = ""

    async def aclose(self) -> None:
        await self._stream.aclose()

    async def _states(self) -> AsyncIterator[AgentState]:
        import asyncio

        from synctui.client_interface import AgentRefused, AgentUnavailable

        drops = 0
        while True:
            updates = self.client.updates()
            try:
                async for state in updates:
                    drops = 0
                    yield state
            except (AgentUnavailable, AgentRefused) as exc:
                if isinstance(exc, AgentRefused) and exc.status < 500:
                    raise
                drops += 1
                if drops > MAX_RECONNECTS:
                    raise
                say(f"  lost the agent's updates ({clean(str(exc))}); reconnecting")
                await asyncio.sleep(RECONNECT_DELAY * drops)
            finally:
                with contextlib.suppress(Exception):
                    await updates.aclose()

    async def _views(self) -> AsyncIterator[BackendView]:
        async for state in self._stream:
            view = state.view(self.backend)
            if view is None:
                raise CommandError(
                    f"synctui: the agent has no backend {self.backend!r} any more", exits.UNKNOWN
                )
            self.last = view
            yield view

    async def until_done(self, action_id: str) -> ActionStatus:
        """The action `action_id` once it has ended; its progress lines go to stderr meanwhile."""
        async with contextlib.aclosing(self._views()) as views:
            async for view in views:
                action = view.action
                if action is None or action.id != action_id:
                    continue
                line = clean(action.progress.message) if action.progress else ""
                if line and line != self._shown:
                    say(f"  {line}")
                    self._shown = line
                if action.state != "running":
                    return action
        raise CommandError("synctui: the agent's updates ended", exits.UNKNOWN)  # updates() never ends

    async def fresh_view(self, after: datetime) -> BackendView | None:
        """The backend as read after `after` (the action's end): asks the agent to refresh, then waits at
        most two refresh intervals (SETTLE_MIN..SETTLE_MAX seconds). None when no such data came."""
        import asyncio

        from synctui.client_interface import AgentRefused, AgentUnavailable

        if self.last is not None and self.last.snapshot.taken_at > after:
            return self.last
        with contextlib.suppress(AgentRefused, AgentUnavailable):
            await self.client.refresh(self.backend)
        try:
            async with asyncio.timeout(settle_bound(self.last)), contextlib.aclosing(self._views()) as views:
                async for view in views:
                    if view.snapshot.taken_at > after:
                        return view
        except TimeoutError:
            return None
        return None


def settle_bound(view: BackendView | None) -> float:
    """Two refresh intervals of this backend, within SETTLE_MIN..SETTLE_MAX seconds."""
    if view is None or view.next_refresh is None:
        return SETTLE_MAX
    interval = (view.next_refresh - view.snapshot.taken_at).total_seconds()
    return min(SETTLE_MAX, max(SETTLE_MIN, 2 * interval))
