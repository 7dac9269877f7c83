"""Putting an agent together: plugins, backends (real or demo), store, API server."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import tempfile
from dataclasses import dataclass, field, replace
from pathlib import Path

from synctui._httpx import httpx
from synctui.agent.api import create_api
from synctui.agent.core import Agent
from synctui.agent.server import ApiServer, bind_tcp, bind_unix_socket
from synctui.backend import BackendSettings, DemoBackend
from synctui.config import Config
from synctui.plugins import Registry

log = logging.getLogger(__name__)


@dataclass
class RunningAgent:
    agent: Agent
    server: ApiServer
    socket: Path
    demos: list[DemoBackend] = field(default_factory=list)
    private_dir: Path | None = None

    async def stop(self) -> None:
        await self.server.stop()
        await self.agent.stop()
        for demo in self.demos:
            try:
                await demo.stop()
            except Exception:
                log.warning("demo %s did not stop cleanly", demo.name, exc_info=True)
        if self.private_dir is not None:
            with contextlib.suppress(OSError):
                self.private_dir.rmdir()


async def start_agent(
    config: Config,
    registry: Registry,
    *,
    embedded: bool = False,
    demo: bool = False,
    socket_path: Path | None = None,
) -> RunningAgent:
    """Start an agent serving its API; with `demo`, on simulated backends and a private socket."""
    backends: list[BackendSettings] | None = None
    transports: dict[str, httpx.AsyncBaseTransport] = {}
    demos: list[DemoBackend] = []
    private_dir: Path | None = None
    if demo:
        config = replace(config, agent=replace(config.agent, state_dir=config.agent.state_dir / "demo"))
        backends = []
        for candidate in registry.demos():
            try:
                settings, transport = await candidate.start(config.agent.state_dir / candidate.name)
            except Exception as exc:
                log.warning("demo backend %s failed to start: %s", getattr(candidate, "name", "?"), exc)
                continue
            demos.append(candidate)
            backends.append(settings)
            transports[settings.name] = transport
        if socket_path is None:
            private_dir = Path(tempfile.mkdtemp(prefix="synctui-demo-"))
            socket_path = private_dir / "agent.sock"
    socket_path = socket_path or config.agent.socket
    agent = Agent(
        config,
        registry,
        embedded=embedded,
        transports=transports,
        backends=backends,
    )
    sockets = [bind_unix_socket(socket_path)]
    token = config.agent.token.reveal() if config.agent.token else None
    if config.agent.tcp and not embedded:
        sockets.append(bind_tcp(config.agent.tcp))
    server = ApiServer(create_api(agent, token=token if len(sockets) > 1 else None), sockets, socket_path)
    await agent.start()
    await server.start()
    return RunningAgent(agent, server, socket_path, demos, private_dir)


async def run_agent_forever(config: Config, registry: Registry) -> None:
    """`synctui agent`: serve until SIGTERM or SIGINT, then flush and close."""
    running = await start_agent(config, registry)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    log.warning(
        "synctui agent listening on %s with %d backend(s)", running.socket, len(running.agent.services)
    )
    print(f"synctui agent listening on {running.socket}", flush=True)
    try:
        await stop.wait()
    finally:
        await running.stop()
