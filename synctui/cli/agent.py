"""`synctui agent`: run the agent (API on a Unix socket, mode 0600) until SIGTERM/SIGINT."""

from __future__ import annotations

import argparse
from typing import Any

from synctui.cli import exits
from synctui.cli.common import clean, say
from synctui.cli.plugins import load_checked_registry
from synctui.config import Config
from synctui.i18n import _


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    parser = sub.add_parser("agent", parents=[common], help=_("run the agent until stopped"))
    parser.set_defaults(func=run)


def run(args: argparse.Namespace, config: Config) -> int:
    import asyncio

    from synctui.agent.run import run_agent_forever
    from synctui.agent.server import StartError

    try:
        asyncio.run(run_agent_forever(config, load_checked_registry(config)))
    except StartError as exc:  # socket or port in use, state folder unusable: one line
        say(f"synctui: {clean(str(exc))}")
        return exits.FAILED
    return exits.OK
