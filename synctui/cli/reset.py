"""`synctui reset BACKEND KEYS…|--all`: clear sync markers ("reset" / "reset-all"); no data is deleted."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from synctui.actions import action
from synctui.cli.changes import on_backend, prepare, report, send
from synctui.cli.common import add_change_options, clean, usage_error, with_agent
from synctui.config import Config
from synctui.i18n import _, ngettext, number

if TYPE_CHECKING:
    from synctui.client import HttpAgentClient


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    parser = sub.add_parser("reset", parents=[common], help=_("clear sync markers (no data is deleted)"))
    parser.add_argument("backend")
    parser.add_argument("keys", nargs="*", help=_("sync-log row keys; none with --all"))
    parser.add_argument("--all", action="store_true", help=_("every sync marker (Reset All)"))
    add_change_options(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace, config: Config) -> int:
    if args.all == bool(args.keys):
        raise usage_error("synctui: " + _("give sync-log keys or --all"))
    spec = action("reset-all" if args.all else "reset")
    if args.all:
        target = _("every sync marker")
    else:
        n = len(args.keys)
        target = ngettext("{n} sync-log row", "{n} sync-log rows", n).format(n=number(n))
    change = prepare(spec, args, config, on_backend(spec.label, args.backend, target))
    keys = None if args.all else args.keys

    async def work(client: HttpAgentClient) -> int:
        result = await send(change, lambda pin, key: client.reset(args.backend, keys, pin=pin, key=key))
        return report(spec, clean(args.backend), result)

    return with_agent(config, work)
