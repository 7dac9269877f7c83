"""`synctui settings BACKEND [KEY=VALUE…]`: list a backend's settings, or change some
("change-settings" in the catalogue: typed word, PIN, refused read-only)."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from synctui.actions import action
from synctui.cli import exits
from synctui.cli.changes import on_backend, prepare, report, send
from synctui.cli.common import add_change_options, clean, usage_error, with_agent
from synctui.config import Config
from synctui.i18n import _

if TYPE_CHECKING:
    from synctui.client import HttpAgentClient


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    parser = sub.add_parser(
        "settings", parents=[common], help=_("a backend's settings; KEY=VALUE changes one")
    )
    parser.add_argument("backend")
    parser.add_argument("values", nargs="*", metavar="KEY=VALUE", help=_("settings to change"))
    add_change_options(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace, config: Config) -> int:
    if not args.values:
        return with_agent(config, lambda client: show(client, args.backend))
    values: dict[str, str] = {}
    for item in args.values:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise usage_error("synctui: " + _("{item} is not KEY=VALUE").format(item=repr(item)))
        values[key] = value
    spec = action("change-settings")
    listed = ", ".join(f"{k} = {v}" for k, v in values.items())
    change = prepare(spec, args, config, on_backend(spec.label, args.backend, listed))

    async def work(client: HttpAgentClient) -> int:
        result = await send(
            change, lambda pin, key: client.change_settings(args.backend, values, pin=pin, key=key)
        )
        return report(spec, clean(args.backend), result)

    return with_agent(config, work)


async def show(client: HttpAgentClient, backend: str) -> int:
    for setting in await client.settings(backend):
        mark = "" if setting.editable else "  " + _("(read-only)")
        print(f"{clean(setting.key):<28} {clean(setting.value):<16} {clean(setting.label)}{mark}")
        if setting.help:
            print(f"{'':<28} {clean(setting.help)}")
    return exits.OK
