"""`synctui audit [--limit N] [--json]`: who did what, newest last; refusals included."""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING, Any

from synctui.actions import AUDIT_PHASES, action_label
from synctui.cli import exits
from synctui.cli.changes import counted
from synctui.cli.common import clean, with_agent
from synctui.config import Config
from synctui.i18n import _, labelled

if TYPE_CHECKING:
    from synctui.client import HttpAgentClient


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    parser = sub.add_parser("audit", parents=[common], help=_("who did what, newest last (refusals too)"))
    parser.add_argument("--limit", type=int, default=50)
    parser.add_argument("--json", action="store_true", help=_("print JSON instead of text"))
    parser.set_defaults(func=run)


def run(args: argparse.Namespace, config: Config) -> int:
    async def work(client: HttpAgentClient) -> int:
        records = await client.audit(args.limit)
        if args.json:
            print(json.dumps(records, indent=2))
            return exits.OK
        for record in records:
            print(line(record))
        return exits.OK

    return with_agent(config, work)


def line(record: dict[str, Any]) -> str:
    def field(key: str) -> str:
        return clean(record.get(key)) or "?"

    action = clean(action_label(str(record.get("action") or "?")))
    phase = AUDIT_PHASES.get(record.get("phase")) or field("phase")
    return (
        f"{field('time')[:19]}  {field('user'):<10} {field('backend'):<16} {action} "
        f"{phase}{outcome(record)} {short(record.get('target'))}"
    ).rstrip()


def outcome(record: dict[str, Any]) -> str:
    """What the record says happened: counted when it was done, the reason when it was not."""
    phase = record.get("phase")
    result = record.get("result")
    if phase == "before" or not isinstance(result, dict):
        return ""
    message = clean(result.get("message"))
    if phase == "refused":
        status = result.get("status")
        refused = _("REFUSED") + (f" ({status})" if status else "")
        return " → " + (labelled(refused, message) if message else refused)
    if not result.get("ok"):
        return " → " + (labelled(_("FAILED"), message) if message else _("FAILED"))
    counts = result.get("counts") if isinstance(result.get("counts"), dict) else {}
    entries = result.get("entries") if isinstance(result.get("entries"), list) else []
    if not counts and entries:
        counts = {
            "done": sum(bool(e.get("ok")) for e in entries if isinstance(e, dict)),
            "failed": sum(not e.get("ok") for e in entries if isinstance(e, dict)),
        }
    what = counted(str(record.get("action", "")), {k: v for k, v in counts.items() if isinstance(v, int)})
    return " → " + (what or message or _("finished"))


def short(target: Any) -> str:
    text = "" if target is None else clean(json.dumps(target))
    return text if len(text) < 60 else text[:57] + "…"
