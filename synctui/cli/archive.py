"""`synctui archive ls|show|restore`: what was discarded (archived first), and putting it back."""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING, Any

from synctui.actions import action, queue_name
from synctui.cli import exits
from synctui.cli.changes import prepare, report, send
from synctui.cli.common import add_change_options, clean, with_agent
from synctui.config import Config
from synctui.i18n import _

if TYPE_CHECKING:
    from synctui.client import HttpAgentClient


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    archive = sub.add_parser("archive", parents=[common], help=_("entries that were discarded, and restore"))
    verbs = archive.add_subparsers(dest="archive_command", required=True, metavar="ls|show|restore")
    ls = verbs.add_parser("ls", parents=[common], help=_("the newest archived entries"))
    ls.add_argument("--limit", type=int, default=50)
    ls.set_defaults(func=list_archived)
    show = verbs.add_parser("show", parents=[common], help=_("one archived entry with its payload (JSON)"))
    show.add_argument("id")
    show.set_defaults(func=show_archived)
    restore = verbs.add_parser("restore", parents=[common], help=_("put a discarded entry back in its queue"))
    restore.add_argument("id")
    add_change_options(restore)
    restore.set_defaults(func=restore_archived)


def list_archived(args: argparse.Namespace, config: Config) -> int:
    async def work(client: HttpAgentClient) -> int:
        for record in await client.archive(args.limit):
            entry = record.get("entry") if isinstance(record.get("entry"), dict) else {}
            restored = (
                "  " + _("(restored {time})").format(time=clean(record["restored"])[:19])
                if record.get("restored")
                else ""
            )
            by = _("by {user}").format(user=clean(record.get("user")) or "?")
            print(
                f"{clean(record.get('archive_id'))}  {clean(record.get('time'))[:19]}  "
                f"{clean(record.get('backend'))}  {clean(queue_name(record.get('queue') or '?'))}  "
                f"{clean(entry.get('record_type')) or '?'} {clean(entry.get('operation'))} "
                f"{by}{restored}"
            )
        return exits.OK

    return with_agent(config, work)


def show_archived(args: argparse.Namespace, config: Config) -> int:
    async def work(client: HttpAgentClient) -> int:
        print(json.dumps(await client.archived(args.id), indent=2))
        return exits.OK

    return with_agent(config, work)


def restore_archived(args: argparse.Namespace, config: Config) -> int:
    spec = action("restore")
    change = prepare(spec, args, config, f"{spec.label} {archived_entry(args.id)}")

    async def work(client: HttpAgentClient) -> int:
        result = await send(change, lambda pin, key: client.restore(args.id, pin=pin, key=key))
        return report(spec, archived_entry(clean(args.id)), result)

    return with_agent(config, work)


def archived_entry(archive_id: str) -> str:
    return _("archived entry {id}").format(id=archive_id)
