"""Running the agent's change actions from any screen.

One call in flight per action key (a second press while the first runs does nothing), read-only and
capability checks, and refusals turned into one human line. Nothing here logs a PIN.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar

from synctui.client import AgentRefused, AgentUnavailable
from synctui.model import ActionResult, BackendView, Capability
from synctui.tui.format import one_line

if TYPE_CHECKING:
    from textual.dom import DOMNode

    from synctui.tui.app import SyncTuiApp

log = logging.getLogger(__name__)
T = TypeVar("T")

REFUSALS = {
    401: "the admin PIN is needed",
    403: "refused (wrong PIN, or the agent is read-only)",
    429: "locked out after too many wrong PINs",
    501: "this backend cannot do that",
    502: "the backend failed",
}


def refusal_text(exc: BaseException) -> str:
    if isinstance(exc, AgentRefused):
        prefix = REFUSALS.get(exc.status, f"the agent refused ({exc.status})")
        return f"{prefix}: {one_line(exc.message, 300)}"
    if isinstance(exc, AgentUnavailable):
        return one_line(str(exc), 300) or "the agent does not answer"
    return f"{type(exc).__name__}: {one_line(str(exc), 200)}"


def backend_view(app: SyncTuiApp, backend: str) -> BackendView | None:
    state = app.agent_state
    return state.view(backend) if state is not None else None


def supports(app: SyncTuiApp, backend: str, capability: Capability) -> bool:
    view = backend_view(app, backend)
    return view is not None and capability in view.snapshot.capabilities


def may_change(app: SyncTuiApp, backend: str, capability: Capability) -> bool:
    """A change action is offered only when the agent accepts changes and the backend can do it."""
    return not app.is_readonly and supports(app, backend, capability)


def result_line(result: ActionResult) -> str:
    done = sum(1 for r in result.results if r.ok)
    failed = len(result.results) - done
    counts = f" ({done} ok, {failed} failed)" if result.results else ""
    return f"{'done' if result.ok else 'not all done'}{counts}: {one_line(result.message, 200)}"


def run_change(
    owner: DOMNode,
    key: str,
    call: Callable[[], Awaitable[T]],
    done: Callable[[T | None, str | None], Any],
) -> bool:
    """Start `call` in a worker unless the same `key` is already running; `done(result, error)` after."""
    app: SyncTuiApp = owner.app  # type: ignore[assignment]
    if key in app.in_flight:
        app.notify("still working on the previous request…", timeout=2)
        return False
    app.in_flight.add(key)

    async def run() -> None:
        result: T | None = None
        error: str | None = None
        try:
            result = await call()
        except (AgentRefused, AgentUnavailable) as exc:
            error = refusal_text(exc)
        except Exception as exc:  # a broken client must not take the dashboard down
            log.exception("action %s failed", key.split(":")[0])
            error = refusal_text(exc)
        finally:
            app.in_flight.discard(key)
        try:
            done(result, error)
        except Exception as exc:
            log.exception("showing the result of %s failed", key.split(":")[0])
            app.notify(f"could not show the result: {exc}", severity="error")

    owner.run_worker(run(), group=f"change:{key}")
    return True
