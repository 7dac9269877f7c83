"""`python -m synctui_msupply.simulator --port N`: the simulated site and central on loopback."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import sys
from pathlib import Path

import uvicorn

from .app import build
from .central import Central
from .faults import FAULT_KINDS

# Open mSupply's server is actix-web with its default keep-alive (server/server/src/lib.rs sets none):
# an idle connection is closed after 5 s (uvicorn's default too; set here so it cannot drift with uvicorn).
KEEP_ALIVE_SECONDS = 5


class _QuietSimulatedResets(logging.Filter):
    """uvicorn logs a traceback for every app exception; the simulated resets are intended."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        return not (isinstance(exc, ConnectionResetError) and "simulated" in str(exc))


def _args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m synctui_msupply.simulator", description=__doc__)
    parser.add_argument("--port", type=int, default=8010, help="TCP port on 127.0.0.1 (default 8010)")
    parser.add_argument("--faults", type=float, default=0.0, help="fraction of calls that fail (0..1)")
    parser.add_argument(
        "--fault-kinds",
        default=",".join(FAULT_KINDS),
        help=f"comma-separated subset of {','.join(FAULT_KINDS)}",
    )
    parser.add_argument("--interval", type=int, default=60, help="sync interval in seconds (default 60)")
    parser.add_argument("--step-delay", type=float, default=0.3, help="seconds per sync batch (default 0.3)")
    parser.add_argument(
        "--database", type=Path, help="write the site's sync_buffer errors to this SQLite file"
    )
    parser.add_argument(
        "--om-central", action="store_true", help="also simulate an Open mSupply central (v6 steps)"
    )
    parser.add_argument("--hang", help="hang every sync at this step (e.g. pull_remote)")
    parser.add_argument("--error", help="fail every sync with this error code (e.g. HARDWARE_ID_MISMATCH)")
    parser.add_argument("--no-traffic", action="store_true", help="no new records and no scheduled syncs")
    return parser.parse_args(argv)


async def _serve(ns: argparse.Namespace) -> None:
    base = f"http://127.0.0.1:{ns.port}"
    sim = build(
        faults=ns.faults,
        fault_kinds=ns.fault_kinds,
        step_delay=ns.step_delay,
        interval_seconds=ns.interval,
        db_path=ns.database,
        om_central_url=base if ns.om_central else None,
        url=base,
    )
    sim.s.integration_error_rate = 0.01
    if ns.hang:
        sim.s.hang_at = ns.hang
    if ns.error:
        sim.s.inject(ns.error, sticky=True)
    if not ns.no_traffic:
        sim.start_background()
    creds = Central()
    print(
        f"mSupply simulator on {base}: GraphQL {base}/graphql (user admin / pass), central {base}/sync/v5 "
        f"(site {creds.site_name} / {creds.password}, hardware id {sim.s.hardware_id})",
        file=sys.stderr,
    )
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(message)s", stream=sys.stderr)
    logging.getLogger("uvicorn.error").addFilter(_QuietSimulatedResets())
    config = uvicorn.Config(
        sim.app(),
        host="127.0.0.1",
        port=ns.port,
        log_level="warning",
        lifespan="off",
        timeout_keep_alive=KEEP_ALIVE_SECONDS,
    )
    try:
        await uvicorn.Server(config).serve()
    finally:
        await sim.stop()


def main(argv: list[str] | None = None) -> None:
    ns = _args(argv)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(ns))


if __name__ == "__main__":
    main()
