"""Offering, confirming and running the agent's actions from any screen, as the catalogue says.

Whether an action is offered comes from `synctui.actions.offered` (capability, read-only, queue) and
nothing else; a confirmation takes its title, sentence, word and PIN from the catalogue entry. One
call in flight per action key (a second press while the first runs does nothing), refusals turned
into one human line, results told counted. Nothing here logs a PIN.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar

from synctui.actions import ActionSpec, action, offered
from synctui.actions import counted as counted_words
from synctui.client_interface import AgentRefused, AgentTokenRefused, AgentUnavailable
from synctui.i18n import N_, Words, _, labelled
from synctui.model import ActionResult, BackendView, QueueKind
from synctui.tui.format import one_line

if TYPE_CHECKING:
    from textual.dom import DOMNode

    from synctui.tui.app import SyncTuiApp
    from synctui.tui.keymap import DashboardBinding

log = logging.getLogger(__name__)
T = TypeVar("T")

REFUSALS = Words(
    {
        401: N_("the admin PIN is needed"),
        403: N_("refused (wrong PIN, or the agent is read-only)"),
        429: N_("locked out after too many wrong PINs"),
        501: N_("this backend cannot do that"),
        502: N_("the backend failed"),
    }
)


def refusal_text(exc: BaseException) -> str:
    if isinstance(exc, AgentTokenRefused):
        return one_line(str(exc), 300) or _("refused: wrong or missing token")
    if isinstance(exc, AgentRefused):
        prefix = REFUSALS.get(exc.status) or _("the agent refused ({status})").format(status=exc.status)
        return labelled(prefix, one_line(exc.message, 300))
    if isinstance(exc, AgentUnavailable):
        return one_line(str(exc), 300) or _("the agent does not answer")
    return f"{type(exc).__name__}: {one_line(str(exc), 200)}"


def backend_view(app: SyncTuiApp, backend: str) -> BackendView | None:
    state = app.agent_state
    return state.view(backend) if state is not None else None


def offers(app: SyncTuiApp, backend: str, name: str | ActionSpec, queue: QueueKind | None = None) -> bool:
    """Whether the dashboard offers catalogue action `name` on `backend` now (for `queue`)."""
    view = backend_view(app, backend)
    if view is None:
        return False
    spec = name if isinstance(name, ActionSpec) else action(name)
    return offered(
        spec,
        view.snapshot.capabilities,
        readonly=app.is_readonly,
        readonly_allows_sync=app.readonly_allows_sync,
        queue=queue,
    )


def allowed_now(app: SyncTuiApp, binding: DashboardBinding) -> bool:
    """Whether `binding` may be listed (help, palette) where the device can be reached or not and under
    the current read-only state; the screen's check_action then decides for its backend and queue."""
    if binding.needs_device and not app.reaches_device:
        return False
    if binding.catalogue is None or not app.is_readonly:
        return True
    return action(binding.catalogue).allowed_readonly(readonly_allows_sync=app.readonly_allows_sync)


# What an action did to one entry, in words: (done, not done).
def result_line(name: str, result: ActionResult) -> str:
    """What an action did, counted: "3 re-queued, 2 still rejected" (and the agent's message when not
    everything was done: it says why). Never "done" while some entries failed; without counts, the
    agent's message as it is."""
    counted = one_line(counted_words(name, result.counts, result.results), 200)
    message = one_line(result.message, 200)
    if not counted:
        return message or (_("the agent reported success without saying what") if result.ok else _("failed"))
    return f"{counted} — {message}" if message and not result.ok else counted


def run_change(
    owner: DOMNode,
    key: str,
    call: Callable[[], Awaitable[T]],
    done: Callable[[T | None, str | None], Any],
) -> bool:
    """Start `call` in a worker unless the same `key` is already running; `done(result, error)` after."""
    app: SyncTuiApp = owner.app  # type: ignore[assignment]
    if key in app.in_flight:
        app.notify(_("still working on the previous request…"), timeout=2)
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
            app.notify(_("could not show the result: {error}").format(error=exc), severity="error")

    owner.run_worker(run(), group=f"change:{key}")
    return True
