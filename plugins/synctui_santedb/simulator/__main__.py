"""`python -m synctui_santedb.simulator --port N`: serve the simulated dCDR with uvicorn on loopback."""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import logging
import socket
import sys

import uvicorn

from .app import create_app
from .faults import FAULT_KINDS, Faults, SimulatedFault
from .faults import log as fault_log
from .state import PROFILES, SimulatorState
from .statefile import StateFileWriter
from .traffic import Traffic

# The dCDR serves its REST API with RestSrvr on System.Net.HttpListener, whose managed implementation
# (Mono / Xamarin, .NET on Linux: HttpConnection's `_sTimeout`) closes a keep-alive connection idle for
# 15 s once it has served a request (90 s before the first). uvicorn's default is 5 s.
KEEP_ALIVE_SECONDS = 15


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m synctui_santedb.simulator",
        description="Simulated SanteDB dCDR sync centre for synctui: 3.x (/auth, /app, /ami, /hdsi), or with "
        "--profile the SanteDB 2.x (/app) or OpenIZ (/__app) API. "
        "Default credentials: username 'demo', password 'demo'. Test controls live under /__sim/.",
    )
    parser.add_argument(
        "--profile", choices=PROFILES, default="santedb3", help="which dCDR API to speak (default: santedb3)"
    )
    parser.add_argument("--port", type=int, default=9200, help="TCP port (0: pick a free one; default 9200)")
    parser.add_argument(
        "--host", default="127.0.0.1", help="bind address (loopback only unless --allow-remote)"
    )
    parser.add_argument("--allow-remote", action="store_true", help="allow binding a non-loopback address")
    parser.add_argument("--faults", type=float, default=0.0, help="fraction of calls that fail (0..1)")
    parser.add_argument(
        "--fault-kinds",
        nargs="+",
        choices=FAULT_KINDS,
        default=list(FAULT_KINDS),
        help="which faults to inject",
    )
    parser.add_argument("--timeout-delay", type=float, default=30.0, help="seconds a 'timeout' fault stalls")
    parser.add_argument("--state-file", help="JSON file rewritten on every change (like the dCDR database)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (traffic, faults, ids)")
    parser.add_argument("--no-traffic", action="store_true", help="do not generate background traffic")
    parser.add_argument(
        "--backlog",
        type=_count,
        default=0,
        help="N older outbound entries (computed on demand: 1000000 costs no memory; default 0)",
    )
    parser.add_argument("--speed", type=float, default=1.0, help="traffic time scale (2 = twice as fast)")
    parser.add_argument("--username", default="demo", help="accepted username (default: demo)")
    parser.add_argument("--password", default="demo", help="accepted password (default: demo)")
    args = parser.parse_args(argv)
    if not args.allow_remote and not _is_loopback(args.host):
        parser.error(f"refusing to bind non-loopback host {args.host!r}; pass --allow-remote to do it anyway")
    if not 0.0 <= args.faults <= 1.0:
        parser.error("--faults must be between 0 and 1")
    if args.speed <= 0:
        parser.error("--speed must be positive")
    return args


def _count(text: str) -> int:
    try:
        value = int(text.replace("_", "").replace(",", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 0:
        raise argparse.ArgumentTypeError("must not be negative")
    return value


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class _DropSimulatedFaults(logging.Filter):
    """uvicorn logs "Exception in ASGI application" with a traceback for every exception an app raises;
    the injected ones are expected and already logged in one line (faults.log)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.exc_info and isinstance(record.exc_info[1], SimulatedFault))


def _log_faults_in_one_line() -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(message)s"))
    fault_log.addHandler(handler)
    fault_log.setLevel(logging.WARNING)
    fault_log.propagate = False


async def serve(args: argparse.Namespace) -> None:
    state = SimulatorState(
        seed=args.seed,
        username=args.username,
        password=args.password,
        profile=args.profile,
        backlog=args.backlog,
    )
    if args.state_file:
        StateFileWriter(args.state_file).attach(state)
    faults = Faults(
        args.faults, args.fault_kinds, seed=args.seed, timeout_delay=args.timeout_delay, real_socket=True
    )
    traffic = None if args.no_traffic else Traffic(state, seed=args.seed, speed=args.speed)
    app = create_app(state, faults, traffic)
    # IPPROTO_TCP explicitly: asyncio sets TCP_NODELAY on accepted connections only when the listening
    # socket says so; without it every keep-alive answer waits ~40 ms for a delayed ACK.
    sock = socket.socket(
        socket.AF_INET6 if ":" in args.host else socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP
    )
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((args.host, args.port))
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        app, log_level="warning", access_log=False, lifespan="off", timeout_keep_alive=KEEP_ALIVE_SECONDS
    )
    server = uvicorn.Server(config)
    logging.getLogger("uvicorn.error").addFilter(_DropSimulatedFaults())
    _log_faults_in_one_line()
    if traffic is not None:
        traffic.start()
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started and not task.done():
        await asyncio.sleep(0.01)
    if server.started:
        host = f"[{args.host}]" if ":" in args.host else args.host
        print(f"listening on http://{host}:{port}", flush=True)
    try:
        await task
    finally:
        if traffic is not None:
            await traffic.stop()
        await state.runner.stop()


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        asyncio.run(serve(args))
    except KeyboardInterrupt:
        pass
    except OSError as exc:
        print(f"simulator: cannot listen on {args.host}:{args.port}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
