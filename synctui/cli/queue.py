"""`synctui queue ls|show|retry|discard`: read a queue, and the entry actions of the catalogue.

retry IDS is "retry", retry --all is "retry-all" (Re-Queue Conflicted); discard from Conflicts is
"discard" (Leave Server Version), from the Outbox "discard-unsent" (Drop Unsent Change).
"""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING, Any

from synctui.actions import action, discard_action
from synctui.cli import exits
from synctui.cli.changes import on_backend, prepare, report, send
from synctui.cli.common import add_change_options, clean, usage_error, with_agent
from synctui.config import Config
from synctui.i18n import _, labelled, ngettext, number
from synctui.model import CATEGORY_WORDS, QueueKind, to_data

if TYPE_CHECKING:
    from synctui.client import HttpAgentClient

QUEUES = [k.value for k in QueueKind]


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    queue = sub.add_parser("queue", parents=[common], help=_("list, show, retry or discard queue entries"))
    verbs = queue.add_subparsers(dest="queue_command", required=True, metavar="ls|show|retry|discard")

    ls = verbs.add_parser("ls", parents=[common], help=_("one page of a queue"))
    ls.add_argument("backend")
    ls.add_argument("queue", choices=QUEUES)
    ls.add_argument("--offset", type=int, default=0)
    ls.add_argument("--limit", type=int, default=50)
    ls.add_argument("--filter")
    ls.add_argument("--json", action="store_true", help=_("print JSON instead of text"))
    ls.set_defaults(func=list_entries)

    show = verbs.add_parser("show", parents=[common], help=_("one entry with its payload and rejection"))
    show.add_argument("backend")
    show.add_argument("queue", choices=QUEUES)
    show.add_argument("id")
    show.add_argument("--json", action="store_true", help=_("print JSON instead of text"))
    show.set_defaults(func=show_entry)

    retry = verbs.add_parser("retry", parents=[common], help=_("send rejected entries again"))
    retry.add_argument("backend")
    retry.add_argument("ids", nargs="*")
    retry.add_argument("--all", action="store_true", help=_("every rejected entry (Re-Queue Conflicted)"))
    add_change_options(retry)
    retry.set_defaults(func=retry_entries)

    discard = verbs.add_parser(
        "discard",
        parents=[common],
        help=_("conflicts: Leave Server Version; outbox: Drop Unsent Change (archived first)"),
    )
    discard.add_argument("backend")
    discard.add_argument("queue", choices=QUEUES)
    discard.add_argument("ids", nargs="+")
    add_change_options(discard)
    discard.set_defaults(func=discard_entries)


def list_entries(args: argparse.Namespace, config: Config) -> int:
    async def work(client: HttpAgentClient) -> int:
        page = await client.entries(args.backend, QueueKind(args.queue), args.offset, args.limit, args.filter)
        if args.json:
            print(json.dumps(to_data(page), indent=2))
            return exits.OK
        total = _("? (not known)") if page.total is None else number(page.total)
        if page.entries:
            first, last = page.offset + 1, page.offset + len(page.entries)
            print(
                _("{queue}: entries {first}–{last} of {total}").format(
                    queue=args.queue, first=number(first), last=number(last), total=total
                )
            )
        elif page.offset:
            print(
                _("{queue}: no entries after {offset}").format(queue=args.queue, offset=number(page.offset))
            )
        else:
            print(_("{queue}: no entries").format(queue=args.queue))
        for e in page.entries:
            reason = (
                "  " + labelled(CATEGORY_WORDS[e.rejection.category], clean(e.rejection.message)[:60])
                if e.rejection
                else ""
            )
            created = e.created.astimezone().strftime("%Y-%m-%d %H:%M") if e.created else "?"
            print(
                f"  {clean(e.id):>8}  {created}  {clean(e.record_type):<24} {clean(e.operation):<8} "
                + _("tries {n}").format(n=number(e.attempts))
                + reason
            )
        return exits.OK

    return with_agent(config, work)


def show_entry(args: argparse.Namespace, config: Config) -> int:
    async def work(client: HttpAgentClient) -> int:
        detail = await client.entry(args.backend, QueueKind(args.queue), args.id)
        if args.json:
            print(json.dumps(to_data(detail), indent=2))
            return exits.OK
        e = detail.entry
        facts = _("id {id}  attempts {attempts}  reference {reference}").format(
            id=clean(e.id), attempts=number(e.attempts), reference=clean(e.correlation or "") or "-"
        )
        print(f"{clean(e.record_type)} {clean(e.operation)}  {facts}")
        if e.rejection:
            r = e.rejection
            kind = CATEGORY_WORDS[r.category] + (f", HTTP {r.status}" if r.status else "")
            print(_("Rejected: {message}").format(message=clean(r.message)) + f"  [{kind}]")
            if r.advice:
                print(_("What to do: {step}").format(step=clean(r.advice)))
        print(clean(detail.payload, multiline=True) + ("\n" + _("… (truncated)") if detail.truncated else ""))
        return exits.OK

    return with_agent(config, work)


def retry_entries(args: argparse.Namespace, config: Config) -> int:
    if args.all == bool(args.ids):
        raise usage_error("synctui: " + _("give entry ids or --all"))
    spec = action("retry-all" if args.all else "retry")
    target = _("every rejected entry") if args.all else entries_words(len(args.ids))
    change = prepare(spec, args, config, on_backend(spec.label, args.backend, target))
    ids = None if args.all else args.ids

    async def work(client: HttpAgentClient) -> int:
        result = await send(change, lambda pin, key: client.retry(args.backend, ids, pin=pin, key=key))
        return report(spec, clean(args.backend), result)

    return with_agent(config, work)


def discard_entries(args: argparse.Namespace, config: Config) -> int:
    queue = QueueKind(args.queue)
    spec = discard_action(queue)
    if not spec.applies_to(queue):
        raise usage_error(
            "synctui: "
            + _("entries of {queue} cannot be discarded (conflicts or outbox only)").format(queue=queue.value)
        )
    target = _("{entries} of {queue}").format(entries=entries_words(len(args.ids)), queue=queue.value)
    change = prepare(spec, args, config, on_backend(spec.label, args.backend, target))

    async def work(client: HttpAgentClient) -> int:
        result = await send(
            change, lambda pin, key: client.discard(args.backend, queue, args.ids, pin=pin, key=key)
        )
        return report(spec, clean(args.backend), result)

    return with_agent(config, work)


def entries_words(n: int) -> str:
    return ngettext("{n} entry", "{n} entries", n).format(n=number(n))
