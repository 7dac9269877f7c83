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
from synctui.cli.changes import counted, prepare, send
from synctui.cli.common import add_change_options, clean, say, with_agent
from synctui.cli.follow import Follower
from synctui.config import Config

if TYPE_CHECKING:
    from synctui.client import HttpAgentClient


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    parser = sub.add_parser(
        "resubmit", parents=[common], help="Re-Submit To Server what was created in a date range (OpenIZ)"
    )
    parser.add_argument("backend")
    parser.add_argument("--since", required=True, type=day, help="first day, YYYY-MM-DD")
    parser.add_argument("--until", required=True, type=day, help="last day, YYYY-MM-DD (included)")
    add_change_options(parser)
    parser.set_defaults(func=run)


def day(text: str) -> datetime:
    try:
        return datetime.strptime(text, "%Y-%m-%d").replace(tzinfo=UTC)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a day like 2026-11-01") from None


def run(args: argparse.Namespace, config: Config) -> int:
    spec = action("resubmit")
    since, last = args.since, args.until
    until = last + timedelta(days=1) - timedelta(seconds=1)
    sentence = f"{spec.title} on {args.backend}: what it created from {since:%Y-%m-%d} to {last:%Y-%m-%d}"
    change = prepare(spec, args, config, sentence)

    async def resubmit(client: HttpAgentClient) -> int:
        import asyncio

        status = await send(
            change, lambda pin, key: client.resubmit(args.backend, since, until, pin=pin, key=key)
        )
        if status.joined:
            started = status.started.astimezone().strftime("%H:%M")
            say(f"Joined the Re-Submit already running on {clean(args.backend)} since {started}")
        else:
            say(f"{spec.title} started on {clean(args.backend)} (may take 20-30 minutes; Ctrl-C cancels it)")
        follower = Follower(client, args.backend)
        try:
            final = await follower.until_done(status.id)
        except asyncio.CancelledError:
            with contextlib.suppress(Exception):
                await client.cancel(args.backend, status.id)
                say("Cancelled; what was already queued stays queued.")
                return exits.INTERRUPTED
            say("Could not cancel it; it may still be running (see `synctui status`).")
            return exits.INTERRUPTED
        finally:
            await follower.aclose()
        what = counted("resubmit", final.counts)
        if final.ok:
            print(f"{spec.title} on {clean(args.backend)}: {what or clean(final.message)}")
            if final.counts.get("queued"):
                print(f"They go to the server with the next sync: synctui sync {clean(args.backend)}")
            return exits.OK
        rejection = final.rejection
        label = "Re-Submit Cancelled" if final.state == "cancelled" else "Re-Submit Failed"
        print(f"{label} — {clean(rejection.message if rejection else final.message)}")
        if what:
            print(f"  Before it ended: {what}")
        if rejection and rejection.advice:
            print(f"What to do: {clean(rejection.advice)}")
        return exits.FAILED

    return with_agent(config, resubmit)
