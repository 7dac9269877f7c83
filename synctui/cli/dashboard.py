"""`synctui` / `synctui dashboard`: the dashboard on the running agent, or on an agent embedded in it
when none runs; `synctui demo`: on simulated backends, always embedded; `synctui --agent tcp://HOST:PORT
--token-file F`: on that agent over TCP, never embedded."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from synctui.cli import exits
from synctui.cli.common import CommandError, clean, connect, say
from synctui.cli.plugins import load_registry
from synctui.config import Config

if TYPE_CHECKING:
    from synctui.client import AgentClient
    from synctui.tui.app import SyncTuiApp


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    dashboard = sub.add_parser("dashboard", parents=[common], help="open the dashboard (the default)")
    dashboard.set_defaults(func=run, demo=False, log_to_file=True)
    demo = sub.add_parser("demo", parents=[common], help="open the dashboard on simulated backends")
    demo.set_defaults(func=run, demo=True, log_to_file=True)


def run(args: argparse.Namespace, config: Config) -> int:
    import asyncio

    from synctui.client import HttpAgentClient
    from synctui.tui.app import SyncTuiApp

    demo = bool(getattr(args, "demo", False))

    def make_app(client: AgentClient) -> SyncTuiApp:
        return SyncTuiApp(
            client,
            theme=args.theme or config.theme,
            keymap=config.keymap,
            readonly=config.agent.readonly,
            close_client=True,
            config=config,
        )

    if not demo and config.agent.remote is not None:
        return asyncio.run(remote(config, make_app))

    if not demo and agent_running(config.agent.socket):
        make_app(HttpAgentClient(socket=config.agent.socket)).run()  # the app closes the client
        return exits.OK

    async def embedded() -> None:
        from synctui.agent.run import start_agent

        running = await start_agent(config, load_registry(config), embedded=True, demo=demo)
        client = HttpAgentClient(
            socket=running.socket, description="demo (embedded agent)" if demo else "embedded agent"
        )
        try:
            await make_app(client).run_async()
        finally:
            await running.stop()

    from synctui.agent.server import StartError

    try:
        asyncio.run(embedded())
    except StartError as exc:
        say(f"synctui: {clean(str(exc))}")
        return exits.FAILED
    return exits.OK


async def remote(config: Config, make_app: Callable[[AgentClient], SyncTuiApp]) -> int:
    """The dashboard on the agent of `--agent`: asked once before the screen opens, so that an agent
    that cannot be reached, or refuses the token, ends it with one line (exit 3 or 4) instead of an
    empty dashboard. Never starts an agent of its own."""
    from synctui.client import AgentTokenRefused, AgentUnavailable

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
    await make_app(client).run_async()  # the app closes the client
    return exits.OK


def agent_running(socket: Path) -> bool:
    from synctui.sockets import agent_listening

    return socket.exists() and agent_listening(socket)
