"""Putting an agent together: plugins, backends (real or demo), store, API server."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import socket
import tempfile
from dataclasses import dataclass, field, replace
from pathlib import Path

from synctui._httpx import httpx
from synctui.agent.api import create_api
from synctui.agent.core import Agent
from synctui.agent.server import ApiServer, StartError, bind_tcp, bind_unix_socket
from synctui.backend import BackendSettings, DemoBackend
from synctui.config import Config
from synctui.plugins import Registry

log = logging.getLogger(__name__)


@dataclass
class RunningAgent:
    agent: Agent
    servers: list[ApiServer]  # the Unix socket's first, then TCP's when configured
    socket: Path
    demos: list[DemoBackend] = field(default_factory=list)
    private_dir: Path | None = None

    @property
    def server(self) -> ApiServer:
        """The Unix socket's server."""
        return self.servers[0]

    async def stop(self) -> None:
        await asyncio.gather(*(server.stop() for server in self.servers))
        await self.agent.stop()
        await _stop_demos(self.demos)
        if self.private_dir is not None:
            with contextlib.suppress(OSError):
                self.private_dir.rmdir()


async def _stop_demos(demos: list[DemoBackend]) -> None:
    for demo in demos:
        try:
            await demo.stop()
        except Exception:
            log.warning("demo %s did not stop cleanly", demo.name, exc_info=True)


async def start_agent(
    config: Config,
    registry: Registry,
    *,
    embedded: bool = False,
    demo: bool = False,
    socket_path: Path | None = None,
) -> RunningAgent:
    """Start an agent serving its API; with `demo`, on simulated backends and a private socket.

    Raises StartError (one line for the user) when it cannot: a socket or port in use, a path it
    cannot use, a state folder it cannot write.

    The Unix socket serves without a token: its mode (0600, in a 0700 folder) keeps other users out.
    TCP (`[agent] tcp`, never for an embedded agent) is a second server whose every route needs the
    bearer token; each listener has its own connection limits, so a flood on one leaves the other."""
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
    tcp_address = config.agent.tcp if not embedded else None
    listeners: list[socket.socket] = []
    try:
        # Bind first: a second agent stops here, before it touches the first one's state.
        listeners.append(bind_unix_socket(socket_path))
        if tcp_address:
            if config.agent.token is None:
                raise StartError("[agent] tcp needs a token (token_file or token_env)")
            listeners.append(bind_tcp(tcp_address))
        try:
            agent = Agent(config, registry, embedded=embedded, transports=transports, backends=backends)
        except OSError as exc:
            raise StartError(
                f"cannot use the state folder {config.agent.state_dir}: {exc.strerror or exc}"
            ) from None
    except BaseException:
        for sock in listeners:
            sock.close()
        if listeners:
            with contextlib.suppress(OSError):
                socket_path.unlink()
        await _stop_demos(demos)
        raise
    servers = [ApiServer(create_api(agent), listeners[:1], socket_path, name=f"agent socket {socket_path}")]
    if tcp_address:
        assert config.agent.token is not None
        servers.append(
            ApiServer(
                create_api(agent, token=config.agent.token.reveal()),
                listeners[1:],
                name=f"agent TCP {tcp_address}",
            )
        )
    await agent.start()
    for server in servers:
        await server.start()
    return RunningAgent(agent, servers, socket_path, demos, private_dir)


async def run_agent_forever(config: Config, registry: Registry) -> None:
    """`synctui agent`: serve until SIGTERM or SIGINT, then flush and close."""
    running = await start_agent(config, registry)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    where = str(running.socket)
    if len(running.servers) > 1:
        where += f" and TCP {config.agent.tcp} (bearer token required)"
    log.warning("synctui agent listening on %s with %d backend(s)", where, len(running.agent.services))
    print(f"synctui agent listening on {where}", flush=True)
    try:
        await stop.wait()
    finally:
        await running.stop()
