"""`python -m synctui_hcm.simulator --port N --oplog FILE`: the DIGIT-like server on loopback and a field
worker writing OpLog rows into FILE."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import sys
from pathlib import Path

from ..simulator import FieldWorker, SimConfig, SimServer, simulator_app
from ..simulator.faults import QuietInjectedFaults

DEFAULT_TOKEN = "sim-token"
# DIGIT is served behind ingress-nginx, whose `keep-alive` (nginx's keepalive_timeout) is 75 s by default;
# uvicorn's own default would close an idle connection after 5 s.
KEEP_ALIVE_SECONDS = 75


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m synctui_hcm.simulator", description=__doc__)
    p.add_argument("--port", type=int, required=True, help="TCP port on 127.0.0.1")
    p.add_argument("--oplog", type=Path, required=True, help="OpLog SQLite file the field worker writes")
    p.add_argument(
        "--token",
        default=DEFAULT_TOKEN,
        help=f"auth token the server accepts (default {DEFAULT_TOKEN}; '' accepts any)",
    )
    p.add_argument("--tenant", default="default", help="tenant id of the server and of the records")
    p.add_argument("--delay", type=float, default=0.5, help="seconds between a 202 and the record persisting")
    p.add_argument("--faults", type=float, default=0.0, help="fraction of API calls that fail (0..1)")
    p.add_argument("--seed", type=int, default=None, help="seed for faults and generated data")
    p.add_argument(
        "--interval", type=float, default=10.0, help="seconds between field-worker saves (0: none)"
    )
    p.add_argument("--households", type=int, default=0, help="households to register before serving")
    p.add_argument("--user", default="fw-0001", help="user uuid of the field worker (createdBy)")
    return p.parse_args(argv)


async def serve(args: argparse.Namespace) -> None:
    import uvicorn

    config = SimConfig(
        tenant_id=args.tenant,
        token=args.token or None,
        persist_delay=args.delay,
        fault_rate=args.faults,
        seed=args.seed,
        hang_seconds=30.0,
    )
    server = SimServer(config)
    worker = FieldWorker(args.oplog, user_uuid=args.user, tenant_id=args.tenant, seed=args.seed)
    for _ in range(args.households):
        worker.register_household()
    stop = asyncio.Event()
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(message)s", stream=sys.stderr)
    logging.getLogger("synctui_hcm.simulator").setLevel(logging.INFO)  # one line per injected fault
    logging.getLogger("uvicorn.error").addFilter(QuietInjectedFaults())
    uv = uvicorn.Server(
        uvicorn.Config(
            simulator_app(server),
            host="127.0.0.1",
            port=args.port,
            log_level="warning",
            lifespan="off",
            timeout_keep_alive=KEEP_ALIVE_SECONDS,
        )
    )
    tasks = [asyncio.create_task(uv.serve())]
    if args.interval > 0:
        tasks.append(asyncio.create_task(worker.run(args.interval, stop)))
    token = f"token {args.token!r}" if args.token else "any token"
    print(
        f"HCM simulator on http://127.0.0.1:{args.port} (OpLog {args.oplog}; {token}, tenant {args.tenant!r})",
        file=sys.stderr,
        flush=True,
    )
    try:
        await tasks[0]
    finally:
        stop.set()
        for task in tasks[1:]:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        worker.close()


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(args))


if __name__ == "__main__":
    main()
