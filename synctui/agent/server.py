"""Serving the agent: uvicorn on a private Unix socket (and TCP only with a token).

Each listener is its own server with its own limits (synctui.agent.connections), so a flood on TCP
never locks out the local tools on the Unix socket.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import logging
import os
import socket
import stat
import time
from pathlib import Path

import uvicorn
from starlette.types import ASGIApp

from synctui.agent.connections import BodyLimit, ConnectionPool, GuardedH11Protocol, Limits
from synctui.config_values import ConfigError, parse_tcp
from synctui.sockets import agent_listening


class StartError(Exception):
    """The agent cannot start; the message is one line for the user (exit 1)."""


class SocketInUse(StartError):
    pass


# --- sockets ----------------------------------------------------------------------------------------


def bind_unix_socket(path: Path) -> socket.socket:
    """Bind `path` with mode 0600 from the start (umask), in a folder only we can enter."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError as exc:
        raise StartError(f"cannot make the socket folder {path.parent}: {_reason(exc)}") from None
    if agent_listening(path):
        raise SocketInUse(f"an agent is already listening on {path}")
    try:
        mode = path.lstat().st_mode
    except FileNotFoundError:
        mode = None
    except OSError as exc:
        raise StartError(f"cannot use the socket path {path}: {_reason(exc)}") from None
    if mode is not None:
        if not stat.S_ISSOCK(mode):
            what = "a folder" if stat.S_ISDIR(mode) else "a file"
            raise StartError(f"cannot listen on {path}: it is {what}, not a socket")
        with contextlib.suppress(FileNotFoundError):
            path.unlink()  # left behind by an agent that died
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    old = os.umask(0o177)
    try:
        sock.bind(str(path))
        os.chmod(path, 0o600)
        sock.listen(Limits.backlog)
    except OSError as exc:
        sock.close()
        raise StartError(f"cannot listen on {path}: {_reason(exc)}") from None
    finally:
        os.umask(old)
    sock.setblocking(False)
    return sock


def bind_tcp(address: str) -> socket.socket:
    try:
        host, port = parse_tcp(address)
    except ConfigError as exc:
        raise StartError(str(exc)) from None
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP so asyncio sets TCP_NODELAY on accepted connections (else ~40 ms per keep-alive answer)
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(Limits.backlog)
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise SocketInUse(
                f"cannot listen on TCP {address}: the port is already in use ([agent] tcp)"
            ) from None
        raise StartError(f"cannot listen on TCP {address}: {_reason(exc)} ([agent] tcp)") from None
    except (OverflowError, UnicodeError) as exc:  # a host name idna cannot encode
        sock.close()
        raise StartError(f"cannot listen on TCP {address}: {exc} ([agent] tcp)") from None
    sock.setblocking(False)
    return sock


def _reason(exc: OSError) -> str:
    return exc.strerror or str(exc) or type(exc).__name__


# --- logs -------------------------------------------------------------------------------------------


class _Repeats(logging.Filter):
    """The same server message again within `interval` is counted, not logged; the next one logged
    says how many were left out. (uvicorn logs "Invalid HTTP request received." per request.)"""

    def __init__(self, interval: float = 60.0) -> None:
        super().__init__()
        self.interval = interval
        self.seen: dict[tuple[str, int, object], list[float | int]] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        key = (record.name, record.levelno, record.msg)
        now = time.monotonic()
        seen = self.seen.get(key)
        if seen is None or now - seen[0] >= self.interval:
            left_out = int(seen[1]) if seen else 0
            self.seen[key] = [now, 0]
            if len(self.seen) > 256:
                self.seen.clear()
            if left_out:
                record.msg = f"{record.msg} ({left_out} more like this in the last {self.interval:.0f} s)"
            return True
        seen[1] = int(seen[1]) + 1
        return False


def _limit_repeats(logger_name: str) -> None:
    target = logging.getLogger(logger_name)
    if not any(isinstance(f, _Repeats) for f in target.filters):
        target.addFilter(_Repeats())


# --- the server -------------------------------------------------------------------------------------


class ApiServer:
    """uvicorn's protocol and connection handling without `Server.serve()`, for one listener.

    `serve()` wakes every 0.1 s (its main-loop tick only refreshes the Date header and checks for
    exit) and installs its own SIGTERM/SIGINT handlers; on an idle field device those ticks were
    most of the agent's CPU, and the agent must own its signals to flush the store on the way out.
    So the agent calls `startup()` and `shutdown()` itself; the Date header is off.
    """

    def __init__(
        self,
        app: ASGIApp,
        sockets: list[socket.socket],
        unix_path: Path | None = None,
        *,
        limits: Limits | None = None,
        name: str | None = None,
    ) -> None:
        self.limits = limits or Limits()
        self.name = name or (f"agent socket {unix_path}" if unix_path else "agent API")
        self.pool = ConnectionPool(self.name, self.limits)
        self.config = uvicorn.Config(
            BodyLimit(app, self.limits),
            http=functools.partial(GuardedH11Protocol, pool=self.pool),  # type: ignore[arg-type]
            lifespan="off",
            ws="none",  # no WebSocket routes: an upgrade would leave these limits behind
            log_config=None,  # uvicorn's lines go through the agent's own logging (file or stderr)
            log_level="warning",
            access_log=False,
            server_header=False,
            date_header=False,
            timeout_graceful_shutdown=2,
            timeout_keep_alive=self.limits.idle_timeout,  # type: ignore[arg-type]
            h11_max_incomplete_event_size=self.limits.max_header_bytes,
            backlog=self.limits.backlog,
        )
        self.server = uvicorn.Server(self.config)
        self.sockets = sockets
        self.unix_path = unix_path
        for name in ("uvicorn.error", "asyncio"):
            _limit_repeats(name)

    async def start(self) -> None:
        if not self.config.loaded:
            self.config.load()
        self.server.lifespan = self.config.lifespan_class(self.config)
        await self.server.startup(sockets=self.sockets)

    async def stop(self) -> None:
        if self.server.started:
            await self.server.shutdown(sockets=self.sockets)
        else:
            for sock in self.sockets:
                sock.close()
        self.pool.close()
        if self.unix_path is not None:
            with contextlib.suppress(FileNotFoundError):
                self.unix_path.unlink()

    @property
    def connections(self) -> int:
        return len(self.pool.open)
