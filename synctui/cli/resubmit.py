"""`synctui resubmit BACKEND --since DAY --until DAY`: Re-Submit To Server (OpenIZ), followed to its end.

Prints what it did, counted as the agent reports it ("queued 4 records the server lacks; 8 already
waiting were not queued again"); queued is not synced: they go with the next sync. Ctrl-C cancels it.
"""

from __future__ import annotations

import argparse
import contextlib
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from synctui.actions import action
from synctui.cli import exits
from synctui.cli.changes import counted, on_backend, prepare, send
from synctui.cli.common import add_change_options, clean, say, with_agent
from synctui.cli.follow import Follower
from synctui.config import Config
from synctui.i18n import _

if TYPE_CHECKING:
    from synctui.client import HttpAgentClient


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    parser = sub.add_parser(
        "resubmit", parents=[common], help=_("Re-Submit To Server what was created in a date range (OpenIZ)")
    )
    parser.add_argument("backend")
    parser.add_argument("--since", required=True, type=day, help=_("first day, YYYY-MM-DD"))
    parser.add_argument("--until", required=True, type=day, help=_("last day, YYYY-MM-DD (included)"))
    add_change_options(parser)
    parser.set_defaults(func=run)


def day(text: str) -> datetime:
    try:
        return datetime.strptime(text, "%Y-%m-%d").replace(tzinfo=UTC)
    except ValueError:
        raise argparse.ArgumentTypeError(
            _("{text} is not a day like 2026-11-01").format(text=repr(text))
        ) from None


def run(args: argparse.Namespace, config: Config) -> int:
    spec = action("resubmit")
    since, last = args.since, args.until
    until = last + timedelta(days=1) - timedelta(seconds=1)
    created = _("what it created from {first} to {last}").format(
        first=f"{since:%Y-%m-%d}", last=f"{last:%Y-%m-%d}"
    )
    sentence = on_backend(spec.label, args.backend, created)
    change = prepare(spec, args, config, sentence)

    async def resubmit(client: HttpAgentClient) -> int:
        import asyncio

        status = await send(
            change, lambda pin, key: client.resubmit(args.backend, since, until, pin=pin, key=key)
        )
        if status.joined:
            started = status.started.astimezone().strftime("%H:%M")
            say(
                _("Joined the Re-Submit already running on {backend} since {time}").format(
                    backend=clean(args.backend), time=started
                )
            )
        else:
            say(
                _("{action} started on {backend} (may take 20-30 minutes; Ctrl-C cancels it)").format(
                    action=spec.label, backend=clean(args.backend)
                )
            )
        follower = Follower(client, args.backend)
        try:
            final = await follower.until_done(status.id)
        except asyncio.CancelledError:
            with contextlib.suppress(Exception):
                await client.cancel(args.backend, status.id)
                say(_("Cancelled; what was already queued stays queued."))
                return exits.INTERRUPTED
            say(_("Could not cancel it; it may still be running (see `synctui status`)."))
            return exits.INTERRUPTED
        finally:
            await follower.aclose()
        what = counted("resubmit", final.counts)
        if final.ok:
            print(on_backend(spec.label, clean(args.backend), what or clean(final.message)))
            if final.counts.get("queued"):
                print(
                    _("They go to the server with the next sync: {command}").format(
                        command=f"synctui sync {clean(args.backend)}"
                    )
                )
            return exits.OK
        rejection = final.rejection
        label = _("Re-Submit Cancelled") if final.state == "cancelled" else _("Re-Submit Failed")
        print(f"{label} — {clean(rejection.message if rejection else final.message)}")
        if what:
            print("  " + _("Before it ended: {counts}").format(counts=what))
        if rejection and rejection.advice:
            print(_("What to do: {step}").format(step=clean(rejection.advice)))
        return exits.FAILED

    return with_agent(config, resubmit)
