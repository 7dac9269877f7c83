"""Subcommands for scripts and support staff: sync, queue ls/show/retry/discard, reset, audit, archive.

Destructive ones (retry --all, discard, reset) ask for the word to be typed, or take `--yes` when run
without a terminal; the admin PIN comes from $SYNCTUI_PIN, `--pin-file` or a prompt. Exit codes:
0 done, 1 the action failed (or some entries did), 2 usage / not confirmed, 3 agent unreachable,
4 refused (read-only agent, PIN).
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import json
import os
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from synctui.codec import to_data
from synctui.config import Config
from synctui.model import ActionResult, QueueKind

if TYPE_CHECKING:
    from synctui.client import HttpAgentClient

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_UNREACHABLE, EXIT_REFUSED = 0, 1, 2, 3, 4
QUEUES = [k.value for k in QueueKind]


def add_parsers(sub: Any, parents: list[argparse.ArgumentParser]) -> None:
    sync = sub.add_parser("sync", parents=parents, help="Synchronize Now and wait for the result")
    sync.add_argument("backend")
    sync.add_argument("--no-wait", action="store_true", help="start it and return")
    sync.add_argument("--timeout", type=float, default=1800, help="seconds to wait (default 1800)")

    queue = sub.add_parser("queue", parents=parents, help="list, show, retry or discard queue entries")
    qsub = queue.add_subparsers(dest="queue_command", required=True)
    ls = qsub.add_parser("ls", parents=parents, help="one page of a queue")
    ls.add_argument("backend")
    ls.add_argument("queue", choices=QUEUES)
    ls.add_argument("--offset", type=int, default=0)
    ls.add_argument("--limit", type=int, default=50)
    ls.add_argument("--filter")
    ls.add_argument("--json", action="store_true")
    show = qsub.add_parser("show", parents=parents, help="one entry with its payload and rejection")
    show.add_argument("backend")
    show.add_argument("queue", choices=QUEUES)
    show.add_argument("id")
    show.add_argument("--json", action="store_true")
    retry = qsub.add_parser("retry", parents=parents, help="send rejected entries again")
    retry.add_argument("backend")
    retry.add_argument("ids", nargs="*")
    retry.add_argument("--all", action="store_true", help="every conflicted entry (Re-Queue Conflicted)")
    _destructive_options(retry)
    discard = qsub.add_parser(
        "discard", parents=parents, help="drop local changes (Leave Server Version); archived first"
    )
    discard.add_argument("backend")
    discard.add_argument("queue", choices=QUEUES)
    discard.add_argument("ids", nargs="+")
    _destructive_options(discard)

    resubmit = sub.add_parser(
        "resubmit", parents=parents, help="Re-Submit To Server what was created in a date range (OpenIZ)"
    )
    resubmit.add_argument("backend")
    resubmit.add_argument("--since", required=True, type=_day, help="first day, YYYY-MM-DD")
    resubmit.add_argument("--until", required=True, type=_day, help="last day, YYYY-MM-DD (included)")
    _destructive_options(resubmit)

    check = sub.add_parser(
        "check", parents=parents, help="probe a backend's server (read-only): reachable, latency, credentials"
    )
    check.add_argument("backend")

    reset = sub.add_parser("reset", parents=parents, help="clear sync markers (no data is deleted)")
    reset.add_argument("backend")
    reset.add_argument("keys", nargs="*", help="sync-log row keys; none with --all")
    reset.add_argument("--all", action="store_true")
    _destructive_options(reset)

    audit = sub.add_parser("audit", parents=parents, help="who did what, newest last")
    audit.add_argument("--limit", type=int, default=50)
    audit.add_argument("--json", action="store_true")

    archive = sub.add_parser("archive", parents=parents, help="entries that were discarded")
    asub = archive.add_subparsers(dest="archive_command", required=True)
    als = asub.add_parser("ls", parents=parents)
    als.add_argument("--limit", type=int, default=50)
    ashow = asub.add_parser("show", parents=parents)
    ashow.add_argument("id")
    arestore = asub.add_parser("restore", parents=parents, help="put a discarded entry back in its queue")
    arestore.add_argument("id")
    _destructive_options(arestore)

    sub.add_parser(
        "set-pin", parents=parents, help="print a hash of a new admin PIN for [agent] admin_pin_hash"
    )


def _destructive_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    parser.add_argument("--pin-file", type=Path, help="file holding the admin PIN (or set $SYNCTUI_PIN)")


COMMANDS = {"sync", "queue", "resubmit", "check", "reset", "audit", "archive", "set-pin"}


def _day(text: str) -> datetime:
    try:
        return datetime.strptime(text, "%Y-%m-%d").replace(tzinfo=UTC)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a day like 2026-11-01") from None


def run(args: argparse.Namespace, config: Config) -> int:
    if args.command == "set-pin":
        return _set_pin()
    return asyncio.run(_run(args, config))


async def _run(args: argparse.Namespace, config: Config) -> int:
    from synctui.client import (  # only these commands pay for httpx
        AgentRefused,
        AgentUnavailable,
        HttpAgentClient,
    )

    client = HttpAgentClient(socket=config.agent.socket, timeout=30.0)
    try:
        return await _dispatch(client, args)
    except AgentUnavailable as exc:
        print(f"synctui: {exc}", file=sys.stderr)
        return EXIT_UNREACHABLE
    except AgentRefused as exc:
        print(f"synctui: {exc.message}", file=sys.stderr)
        return EXIT_REFUSED if exc.status in (401, 403, 429) else EXIT_FAILED
    finally:
        await client.aclose()


async def _dispatch(client: HttpAgentClient, args: argparse.Namespace) -> int:
    command = args.command
    if command == "sync":
        return await _sync(client, args)
    if command == "resubmit":
        until = args.until + timedelta(days=1) - timedelta(seconds=1)
        what = f"Re-submit to the server what {args.backend} created from {args.since:%Y-%m-%d} to {args.until:%Y-%m-%d}"
        if not _confirm(args, "RESUBMIT", what + " (may take 20-30 minutes)"):
            return EXIT_USAGE
        status = await client.resubmit(args.backend, args.since, until, pin=_pin(args))
        labels = ("Re-submitted", "Re-Submit Failed")
        return await _follow(client, args.backend, status.id, labels, cancel_on_interrupt=True)
    if command == "check":
        health = await client.check_connection(args.backend)
        latency = f"{health.latency_ms:.0f} ms" if health.latency_ms is not None else "?"
        credentials = {True: "accepted", False: "REFUSED", None: "not checked"}[health.auth_ok]
        print(f"{args.backend}: {'reachable' if health.online else 'NOT reachable'}, latency {latency}, "
              f"credentials {credentials}" + (f", server {health.server_version}" if health.server_version else ""))  # fmt: skip
        if health.error:
            print(
                f"  {health.error.message}"
                + (f"\n  What to do: {health.error.advice}" if health.error.advice else "")
            )
        return EXIT_OK if health.online and health.auth_ok is not False else EXIT_FAILED
    if command == "audit":
        records = await client.audit(args.limit)
        if args.json:
            print(json.dumps(records, indent=2))
        for r in [] if args.json else records:
            result = r.get("result") or {}
            outcome = "" if r.get("phase") == "before" else f" → {'ok' if result.get('ok') else 'FAILED'}"
            print(
                f"{r.get('time', '?')[:19]}  {r.get('user', '?'):<10} {r.get('backend', '?'):<16} "
                f"{r.get('action', '?')} {r.get('phase', '')}{outcome} {_short(r.get('target'))}"
            )
        return EXIT_OK
    if command == "archive":
        if args.archive_command == "ls":
            for r in await client.archive(args.limit):
                entry = r.get("entry") or {}
                print(
                    f"{r.get('archive_id')}  {r.get('time', '')[:19]}  {r.get('backend')}  {r.get('queue')}  "
                    f"{entry.get('record_type', '?')} {entry.get('operation', '')} by {r.get('user')}"
                    + (f"  (restored {r['restored'][:19]})" if r.get("restored") else "")
                )
            return EXIT_OK
        if args.archive_command == "restore":
            if not _confirm(
                args, "RESTORE", f"Put archived entry {args.id} back in its queue, to be sent again"
            ):
                return EXIT_USAGE
            return _report(await client.restore(args.id, pin=_pin(args)))
        print(json.dumps(await client.archived(args.id), indent=2))
        return EXIT_OK
    if command == "reset":
        if args.all == bool(args.keys):
            print("synctui: give sync-log keys or --all", file=sys.stderr)
            return EXIT_USAGE
        what = "all sync markers" if args.all else f"{len(args.keys)} sync-log row(s)"
        if not _confirm(
            args, "RESET", f"Reset {what} of {args.backend}: markers are cleared, no data is deleted"
        ):
            return EXIT_USAGE
        result = await client.reset(args.backend, None if args.all else args.keys, pin=_pin(args))
        return _report(result)
    return await _queue(client, args)


async def _queue(client: HttpAgentClient, args: argparse.Namespace) -> int:
    sub = args.queue_command
    if sub == "ls":
        page = await client.entries(args.backend, QueueKind(args.queue), args.offset, args.limit, args.filter)
        if args.json:
            print(json.dumps(to_data(page), indent=2))
            return EXIT_OK
        total = "?" if page.total is None else page.total
        print(f"{args.queue}: entries {page.offset + 1}–{page.offset + len(page.entries)} of {total}")
        for e in page.entries:
            reason = f"  {e.rejection.category}: {e.rejection.message[:60]}" if e.rejection else ""
            created = e.created.astimezone().strftime("%Y-%m-%d %H:%M") if e.created else "?"
            print(f"  {e.id:>8}  {created}  {e.record_type:<24} {e.operation:<8} tries {e.attempts}{reason}")
        return EXIT_OK
    if sub == "show":
        detail = await client.entry(args.backend, QueueKind(args.queue), args.id)
        if args.json:
            print(json.dumps(to_data(detail), indent=2))
            return EXIT_OK
        e = detail.entry
        print(f"{e.record_type} {e.operation}  id {e.id}  attempts {e.attempts}  correlation {e.correlation}")
        if e.rejection:
            r = e.rejection
            print(f"Rejected: {r.message}  [{r.category}{f', HTTP {r.status}' if r.status else ''}]")
            if r.advice:
                print(f"What to do: {r.advice}")
        print(detail.payload + ("\n… (truncated)" if detail.truncated else ""))
        return EXIT_OK
    if sub == "retry":
        if args.all == bool(args.ids):
            print("synctui: give entry ids or --all", file=sys.stderr)
            return EXIT_USAGE
        if args.all and not _confirm(args, "RETRY", f"Send every conflicted entry of {args.backend} again"):
            return EXIT_USAGE
        return _report(await client.retry(args.backend, None if args.all else args.ids, pin=_pin(args)))
    queue = QueueKind(args.queue)
    prompt = (
        f"Discard {len(args.ids)} {queue.value} entr{'y' if len(args.ids) == 1 else 'ies'} of {args.backend}"
    )
    if not _confirm(args, "DISCARD", prompt + " (archived first; the server version stays)"):
        return EXIT_USAGE
    return _report(await client.discard(args.backend, queue, args.ids, pin=_pin(args)))


async def _follow(
    client: HttpAgentClient,
    backend: str,
    action_id: str,
    labels: tuple[str, str],
    *,
    cancel_on_interrupt: bool,
) -> int:
    """Print a long action's progress until it ends, then its outcome (and the advice when it
    failed). Ctrl-C cancels it on the agent, or with `cancel_on_interrupt=False` only stops watching."""
    shown = ""
    try:
        async for state in client.updates():
            view = state.view(backend)
            action = view.action if view else None
            if action is None or action.id != action_id:
                continue
            line = action.progress.message if action.progress else ""
            if line and line != shown:
                print(f"  {line}", file=sys.stderr)
                shown = line
            if action.state == "running":
                continue
            label = labels[0] if action.ok else labels[1]
            reason = action.rejection.message if action.rejection and not action.ok else action.message
            print(label if not reason or reason == label else f"{label} — {reason}")
            if not action.ok and action.rejection and action.rejection.advice:
                print(f"What to do: {action.rejection.advice}")
            return EXIT_OK if action.ok else EXIT_FAILED
    except asyncio.CancelledError:
        if not cancel_on_interrupt:
            raise
        await client.cancel(backend, action_id)
        print("cancelled; what was already queued stays queued", file=sys.stderr)
    return EXIT_FAILED


async def _sync(client: HttpAgentClient, args: argparse.Namespace) -> int:
    status = await client.synchronize(args.backend)
    print(f"Synchronize Now started on {args.backend}", file=sys.stderr)
    if args.no_wait:
        return EXIT_OK
    async with asyncio.timeout(args.timeout):
        labels = ("Data Synced", "Sync Failed")
        return await _follow(client, args.backend, status.id, labels, cancel_on_interrupt=False)


def _confirm(args: argparse.Namespace, word: str, what: str) -> bool:
    if args.yes:
        return True
    if not sys.stdin.isatty():
        print(f"synctui: {what}: not confirmed (run with --yes when there is no terminal)", file=sys.stderr)
        return False
    answer = input(f"{what}.\nType {word} to confirm: ")
    if answer.strip() != word:
        print("Not confirmed; nothing was changed.", file=sys.stderr)
        return False
    return True


def _pin(args: argparse.Namespace) -> str | None:
    if getattr(args, "pin_file", None):
        return args.pin_file.read_text(encoding="utf-8").strip()
    return os.environ.get("SYNCTUI_PIN") or None


def _report(result: ActionResult) -> int:
    print(result.message)
    for r in result.results:
        print(f"  {r.id}: {'ok' if r.ok else 'FAILED'} {r.message}")
    return EXIT_OK if result.ok else EXIT_FAILED


def _short(target: Any) -> str:
    text = "" if target is None else json.dumps(target)
    return text if len(text) < 60 else text[:57] + "…"


def _set_pin() -> int:
    from synctui.pin import hash_pin

    if not sys.stdin.isatty():
        pin = sys.stdin.readline().strip()
    else:
        pin = getpass.getpass("New admin PIN: ")
        if getpass.getpass("Again: ") != pin:
            print("synctui: the PINs differ", file=sys.stderr)
            return EXIT_USAGE
    if len(pin) < 4:
        print("synctui: use at least 4 characters", file=sys.stderr)
        return EXIT_USAGE
    print(f'admin_pin_hash = "{hash_pin(pin)}"   # put this under [agent] in the config')
    return EXIT_OK
