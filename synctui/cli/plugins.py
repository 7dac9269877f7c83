"""`synctui plugins [--json]`: registered backend plugins and those that failed to load (exit 1 then)."""

from __future__ import annotations

import argparse
import json
from typing import Any

from synctui.cli import exits
from synctui.cli.common import clean
from synctui.config import Config


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    parser = sub.add_parser("plugins", parents=[common], help="list backend plugins and broken ones")
    parser.add_argument("--json", action="store_true", help="print JSON instead of text")
    parser.set_defaults(func=run)


def load_registry(config: Config) -> Any:
    """The plugins the config names plus the installed ones; a fatal load error ends the command."""
    from synctui.cli.common import CommandError
    from synctui.plugins import PluginLoadError, load_plugins

    try:
        return load_plugins(config.agent.plugins)
    except PluginLoadError as exc:
        raise CommandError(f"synctui: {clean(str(exc))}", exits.FAILED) from None


def run(args: argparse.Namespace, config: Config) -> int:
    registry = load_registry(config)
    if args.json:
        from synctui.model import to_data

        print(json.dumps(to_data(registry.plugins), indent=2))
    else:
        for info in registry.plugins:
            kinds = ", ".join(clean(k) for k in info.kinds) or "-"
            status = f"BROKEN: {clean(info.error)}" if info.error else "ok"
            print(f"{clean(info.name):<20} {clean(info.source):<16} backends: {kinds:<20} {status}")
        if not registry.plugins:
            print("no plugins found")
    return exits.FAILED if any(p.error for p in registry.plugins) else exits.OK
