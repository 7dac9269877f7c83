"""`synctui sync BACKEND`: Synchronize Now, follow it, then judge data read after it ended.

"Data Synced" only when that verdict is SAFE (exit 0); otherwise what is left and why, with the next
steps, and the verdict's exit code: 1 WAITING, 2 ATTENTION (a failed sync too), 3 UNKNOWN or no agent.
"""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from synctui.actions import action
from synctui.cli import exits
from synctui.cli.changes import counted, prepare, send
from synctui.cli.common import clean, say, verdict_lines, verdict_of, with_agent
from synctui.cli.follow import Follower, settle_bound
from synctui.config import Config
from synctui.i18n import _
from synctui.model import ActionStatus, BackendView, Level, QueueKind, Snapshot
from synctui.verdict import outcome_headline

if TYPE_CHECKING:
    from synctui.client import HttpAgentClient


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    parser = sub.add_parser(
        "sync",
        parents=[common],
        help=_("Synchronize Now, wait, and judge the result (exit 0 only when safe)"),
    )
    parser.add_argument("backend")
    parser.add_argument(
        "--no-wait", action="store_true", help=_("start it and return (exit 1: nothing is verified yet)")
    )
    parser.add_argument("--timeout", type=float, default=1800, help=_("seconds to follow it (default 1800)"))
    parser.set_defaults(func=run)


def run(args: argparse.Namespace, config: Config) -> int:
    spec = action("synchronize")
    change = prepare(spec, args, config, f"{spec.title} on {args.backend}")

    async def synchronize(client: HttpAgentClient) -> int:
        status = await send(change, lambda pin, key: client.synchronize(args.backend, key=key))
        say(started_line(args.backend, status))
        if args.no_wait:
            say(_("Not waiting for it: nothing is verified yet (see `synctui status`)."))
            return exits.WAITING
        return await follow(client, args.backend, status, timeout=args.timeout)

    return with_agent(config, synchronize)


def started_line(backend: str, status: ActionStatus) -> str:
    if status.joined:
        since = status.started.astimezone().strftime("%H:%M")
        return _("Joined the sync already running on {backend} since {time}").format(
            backend=clean(backend), time=since
        )
    return _("Synchronize Now started on {backend}").format(backend=clean(backend))


async def follow(client: HttpAgentClient, backend: str, status: ActionStatus, *, timeout: float) -> int:
    import asyncio

    follower = Follower(client, backend)
    try:
        try:
            async with asyncio.timeout(timeout):
                final = await follower.until_done(status.id)
        except TimeoutError:
            print(
                _("Still running after {seconds} s; stopped watching (the sync goes on in the agent)").format(
                    seconds=f"{timeout:g}"
                )
            )
            return exits.WAITING
        except asyncio.CancelledError:
            say(_("Stopped watching; the sync goes on in the agent."))
            raise
        if final.state == "failed" or (final.ok is False and final.state != "cancelled"):
            return failed(final)
        fresh = await follower.fresh_view(final.finished or final.started)
        waited = settle_bound(follower.last)
    finally:
        await follower.aclose()
    return outcome(final, fresh, waited)


def outcome(final: ActionStatus, fresh: BackendView | None, waited: float) -> int:
    """The end of a sync that did not fail, told from the verdict on data read after it."""
    if fresh is None:
        print(
            _(
                "Sync finished, but no data read after it came within {seconds} s, so nothing is verified"
            ).format(seconds=f"{waited:g}")
        )
        print(_("What to do: {step}").format(step=_("run `synctui status` in a moment.")))
        return exits.UNKNOWN
    verdict = verdict_of(fresh, datetime.now(UTC))
    this_sync = counted("synchronize", final.counts)
    if final.state == "cancelled":
        print(_("Sync Cancelled") + f" — {clean(final.message)}")
    elif verdict.level is Level.SAFE:
        print(_("Data Synced — everything recorded on this device reached the server"))
    else:
        print(_("Sync finished") + f" — {outcome_headline(verdict, *left_after(fresh.snapshot))}")
    if this_sync:
        print("  " + _("This sync: {counts}").format(counts=this_sync))
    if final.state == "cancelled":
        print(*verdict_lines(verdict, final.backend), sep="\n")
        return max(verdict.level.exit_code, exits.WAITING)
    if verdict.level is not Level.SAFE:
        print(*verdict_lines(verdict, final.backend), sep="\n")
    return verdict.level.exit_code


def failed(final: ActionStatus) -> int:
    rejection = final.rejection
    reason = clean(rejection.message if rejection else final.message) or _("no reason given")
    print(_("Sync Failed") + f" — {reason}")
    if final.counts:
        print("  " + _("Before it failed: {counts}").format(counts=counted("synchronize", final.counts)))
    if rejection and rejection.advice:
        print(_("What to do: {step}").format(step=clean(rejection.advice)))
    return exits.ATTENTION


def left_after(snap: Snapshot) -> tuple[int | None, int]:
    """Conflicts (None when not known) and entries still waiting, as read after the action."""
    conflicts = snap.queue(QueueKind.CONFLICTS)
    kinds = (QueueKind.OUTBOX, QueueKind.INBOX, QueueKind.ADMIN)
    waiting = sum(s.count or 0 for s in (snap.queue(k) for k in kinds) if s.known)
    return (conflicts.count if conflicts.known else None), waiting
