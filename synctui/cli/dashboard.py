"""`synctui` / `synctui dashboard`: the dashboard on the running agent, or on an agent embedded in it
when none runs; `synctui demo`: on simulated backends, always embedded; `synctui --agent tcp://HOST:PORT
--token-file F`: on that agent over TCP, never embedded.

`--plain` (and a terminal that cannot draw a screen: `TERM=dumb`, or stdout not a terminal) gives the
plain dashboard of synctui.cli.plain instead of the Textual one, on the same agent."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from synctui.cli import exits
from synctui.cli.common import CommandError, clean, connect, say
from synctui.cli.plugins import load_checked_registry
from synctui.config import Config
from synctui.i18n import _

if TYPE_CHECKING:
    from synctui.client import HttpAgentClient
    from synctui.model import AgentState


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    dashboard = sub.add_parser("dashboard", parents=[common], help=_("open the dashboard (the default)"))
    dashboard.set_defaults(func=run, demo=False, log_to_file=True)
    demo = sub.add_parser("demo", parents=[common], help=_("open the dashboard on simulated backends"))
    demo.set_defaults(func=run, demo=True, log_to_file=True)
    for parser in (dashboard, demo):
        add_options(parser, suppress=True)


def add_options(parser: argparse.ArgumentParser, *, suppress: bool) -> None:
    """The dashboard's own options, on `synctui` itself too (the dashboard is its default verb); a verb's
    copy is suppressed so that it does not reset what was given before the verb."""
    hidden = {"default": argparse.SUPPRESS} if suppress else {}
    parser.add_argument(
        "--plain",
        action="store_true",
        help=_(
            "the dashboard as plain lines and a numbered menu (screen readers, serial lines; "
            "automatic when TERM=dumb or stdout is not a terminal)"
        ),
        **hidden,
    )
    parser.add_argument(
        "--low-bandwidth",
        action="store_true",
        help=_(
            "fewer bytes to the terminal, for a slow link (SSH over 2G): every age in steps of a minute, "
            "sparklines moved by whole slots, no animations"
        ),
        **hidden,
    )
    parser.add_argument(
        "--screenshot-dir",
        type=Path,
        metavar="DIR",
        help=_("where Screenshot saves its SVG files (default: screenshots/ in the state folder)"),
        **hidden,
    )


def plain_wanted(args: argparse.Namespace) -> bool:
    """`--plain`, or a terminal that cannot show the full-screen dashboard."""
    return bool(getattr(args, "plain", False)) or os.environ.get("TERM") == "dumb" or not sys.stdout.isatty()


def run(args: argparse.Namespace, config: Config) -> int:
    import asyncio
    import gc

    if not plain_wanted(args):
        # Start-up allocates enough to trigger ~100 collections that each walk what it built (≈ 18 ms
        # before the first frame); SyncTuiApp resumes the collector once the first frame is drawn.
        gc.disable()

    from synctui.client import HttpAgentClient

    demo = bool(getattr(args, "demo", False))
    screenshot_dir = getattr(args, "screenshot_dir", None) or config.agent.state_dir / "screenshots"

    def open_dashboard(
        client: HttpAgentClient, first_state: Callable[[], Awaitable[AgentState]] | None = None
    ) -> Awaitable[Any]:
        """The plain or the Textual dashboard on `client`, which it closes when it ends; the Textual
        one draws its first frame with `first_state` when that comes in time."""
        if plain_wanted(args):
            from synctui.cli.plain import run_plain

            return run_plain(client, bell=config.dashboard.bell, readonly=config.agent.readonly)
        from synctui.tui.app import SyncTuiApp

        return SyncTuiApp(
            client,
            theme=args.theme or config.theme,
            keymap=config.keymap,
            readonly=config.agent.readonly,
            close_client=True,
            config=config,
            bell=config.dashboard.bell,
            screenshot_dir=screenshot_dir,
            low_bandwidth=bool(getattr(args, "low_bandwidth", False)),
            first_state=first_state,
        ).run_async()

    if not demo and config.agent.remote is not None:
        return asyncio.run(remote(config, open_dashboard))

    if not demo and agent_running(config.agent.socket):
        client = HttpAgentClient(socket=config.agent.socket)
        if not plain_wanted(args):
            client.ask_state_now()  # answered by the agent while the dashboard imports and starts
        asyncio.run(open_dashboard(client, client.early_state))
        return exits.OK

    async def embedded() -> None:
        from synctui.agent.run import start_agent

        running = await start_agent(config, load_checked_registry(config), embedded=True, demo=demo)
        client = HttpAgentClient(
            socket=running.socket, description="demo (embedded agent)" if demo else "embedded agent"
        )
        try:
            await open_dashboard(client)
        finally:
            await running.stop()

    from synctui.agent.server import StartError

    try:
        asyncio.run(embedded())
    except StartError as exc:
        say(f"synctui: {clean(str(exc))}")
        return exits.FAILED
    return exits.OK


async def remote(config: Config, open_dashboard: Callable[[HttpAgentClient], Awaitable[Any]]) -> int:
    """The dashboard on the agent of `--agent`: asked once before the screen opens, so that an agent
    that cannot be reached, or refuses the token, ends it with one line (exit 3 or 4) instead of an
    empty dashboard. Never starts an agent of its own."""
    from synctui.client_interface import AgentTokenRefused, AgentUnavailable

    client = connect(config, timeout=10.0, command=False)
    try:
        await client.state()
    except AgentTokenRefused as exc:
        await client.aclose()
        raise CommandError(f"synctui: {exc.message}", exits.REFUSED) from None
    except AgentUnavailable as exc:
        await client.aclose()
        raise CommandError(f"synctui: {clean(str(exc))}", exits.UNREACHABLE) from None
    except BaseException:
        await client.aclose()
        raise
    await open_dashboard(client)  # which closes the client
    return exits.OK


def agent_running(socket: Path) -> bool:
    from synctui.sockets import agent_listening

    return socket.exists() and agent_listening(socket)
