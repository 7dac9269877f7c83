"""The mSupply simulator as a real process for the chaos test, with the run-time controls it lacks.

`python -m synctui_msupply.simulator` takes its fault rate and traffic only on the command line and has
no state endpoint, so a test cannot stop its faults, stop its traffic or read its push queue while it
runs. This script builds the same simulator (`synctui_msupply.simulator.build`, the same fault
middleware, background traffic and scheduled syncs, the same sync_buffer database) and serves it with
uvicorn on 127.0.0.1, adding never-faulted test controls under `/__chaos/`:

- `GET /__chaos/state`: push queue length, sync_buffer integration errors, whether a sync runs, faults;
- `POST /__chaos/faults` `{"rate": 0..1}`;
- `POST /__chaos/traffic` `{"on": false}`: stops the traffic and the scheduled syncs.

Run as a script: `python chaos_msupply_sim.py --port N --faults 0.3 --database F`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import sys
from pathlib import Path
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from synctui_msupply.simulator.app import Simulator, build


class _QuietSimulatedResets(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        return not (isinstance(exc, ConnectionResetError) and "simulated" in str(exc))


def controls(sim: Simulator) -> Starlette:
    async def state(request: Request) -> Response:
        site = sim.s
        return JSONResponse(
            {
                "push_queue": len(site.push_queue),
                "integration_errors": len(site.buffer_errors),
                "syncing": site.running,
                "faults": {"rate": sim.faults.rate, "injected": dict(sim.faults.counts)},
                "calls": len(sim.calls),
            }
        )

    async def faults(request: Request) -> Response:
        try:
            rate = float(json.loads(await request.body())["rate"])
        except (ValueError, KeyError, TypeError):
            return JSONResponse({"error": 'expected {"rate": 0..1}'}, status_code=400)
        sim.faults.rate = max(0.0, min(1.0, rate))
        return JSONResponse({"rate": sim.faults.rate})

    async def traffic(request: Request) -> Response:
        body = json.loads(await request.body() or b"{}")
        if not body.get("on", False):
            for task in sim._tasks:
                task.cancel()
            for task in sim._tasks:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
            sim._tasks.clear()
        elif not sim._tasks:
            sim.start_background()
        return JSONResponse({"on": bool(sim._tasks)})

    return Starlette(
        routes=[
            Route("/__chaos/state", state, methods=["GET"]),
            Route("/__chaos/faults", faults, methods=["POST"]),
            Route("/__chaos/traffic", traffic, methods=["POST"]),
        ]
    )


def dispatcher(sim: Simulator) -> Any:
    faulty = sim.app()
    control = controls(sim)

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope.get("path", "").startswith("/__chaos/"):
            await control(scope, receive, send)
        else:
            await faulty(scope, receive, send)

    return app


async def serve(ns: argparse.Namespace) -> None:
    base = f"http://127.0.0.1:{ns.port}"
    sim = build(
        faults=ns.faults,
        step_delay=ns.step_delay,
        interval_seconds=ns.interval,
        db_path=ns.database,
        url=base,
    )
    sim.faults.timeout_seconds = ns.timeout_seconds
    sim.s.integration_error_rate = 0.01
    sim.start_background()
    logging.getLogger("uvicorn.error").addFilter(_QuietSimulatedResets())
    config = uvicorn.Config(
        dispatcher(sim), host="127.0.0.1", port=ns.port, log_level="warning", lifespan="off"
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started and not task.done():
        await asyncio.sleep(0.01)
    if server.started:
        print(
            f"listening on {base} hardware_id={sim.s.hardware_id} password={sim.central.password}",
            flush=True,
        )
    try:
        await task
    finally:
        await sim.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--faults", type=float, default=0.0)
    parser.add_argument("--timeout-seconds", type=float, default=30.0, help="how long a 'timeout' stalls")
    parser.add_argument("--interval", type=int, default=20, help="seconds between scheduled syncs")
    parser.add_argument("--step-delay", type=float, default=0.05)
    parser.add_argument("--database", type=Path, required=True)
    ns = parser.parse_args()
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(ns))


if __name__ == "__main__":
    sys.exit(main())
