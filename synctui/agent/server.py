"""Serving the agent: uvicorn on a private Unix socket (and TCP only with a token)."""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import stat
from pathlib import Path

import uvicorn
from starlette.types import ASGIApp

from synctui.sockets import agent_listening

log = logging.getLogger(__name__)


class SocketInUse(Exception):
    pass


def bind_unix_socket(path: Path) -> socket.socket:
    """Bind `path` with mode 0600 from the start (umask), in a folder only we can enter."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    if agent_listening(path):
        raise SocketInUse(f"an agent is already listening on {path}")
    with contextlib.suppress(FileNotFoundError):
        if stat.S_ISSOCK(path.lstat().st_mode):
            path.unlink()  # left behind by an agent that died
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    old = os.umask(0o177)
    try:
        sock.bind(str(path))
    finally:
        os.umask(old)
    os.chmod(path, 0o600)
    sock.listen(64)
    sock.setblocking(False)
    return sock


def bind_tcp(address: str) -> socket.socket:
    host, _, port = address.rpartition(":")
    # IPPROTO_TCP so asyncio sets TCP_NODELAY on accepted connections (else ~40 ms per keep-alive answer)
    sock = socket.socket(
        socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP
    )
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host.strip("[]") or "127.0.0.1", int(port)))
    sock.listen(64)
    sock.setblocking(False)
    return sock


class ApiServer:
    """uvicorn's protocol and connection handling without `Server.serve()`.

    `serve()` wakes every 0.1 s (its main-loop tick only refreshes the Date header and checks for
    exit) and installs its own SIGTERM/SIGINT handlers; on an idle field device those ticks were
    most of the agent's CPU, and the agent must own its signals to flush the store on the way out.
    So the agent calls `startup()` and `shutdown()` itself; the Date header is off.
    """

    def __init__(self, app: ASGIApp, sockets: list[socket.socket], unix_path: Path | None = None) -> None:
        self.config = uvicorn.Config(
            app,
            lifespan="off",
            log_level="warning",
            access_log=False,
            server_header=False,
            date_header=False,
            timeout_graceful_shutdown=2,
        )
        self.server = uvicorn.Server(self.config)
        self.sockets = sockets
        self.unix_path = unix_path

    async def start(self) -> None:
        if not self.config.loaded:
            self.config.load()
        self.server.lifespan = self.config.lifespan_class(self.config)
        await self.server.startup(sockets=self.sockets)

    async def stop(self) -> None:
        if self.server.started:
            await self.server.shutdown(sockets=self.sockets)
        if self.unix_path is not None:
            with contextlib.suppress(FileNotFoundError):
                self.unix_path.unlink()
