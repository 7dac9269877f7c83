"""`synctui check BACKEND`: a read-only probe of the backend's server. It says only what it verified:
"credentials accepted" when the server accepted them, never "reachable" when it did not answer."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from synctui.cli import exits
from synctui.cli.common import clean, with_agent
from synctui.config import Config
from synctui.model import Health

if TYPE_CHECKING:
    from synctui.client import HttpAgentClient

CREDENTIALS = {
    True: "credentials accepted",
    False: "credentials REFUSED",
    None: "credentials not verified by this probe",
}


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    parser = sub.add_parser(
        "check",
        parents=[common],
        help="probe a backend's server (read-only): reachable, latency, credentials",
    )
    parser.add_argument("backend")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace, config: Config) -> int:
    async def work(client: HttpAgentClient) -> int:
        health = await client.check_connection(args.backend)
        print(*health_lines(args.backend, health), sep="\n")
        return exits.OK if health.online and health.auth_ok is not False else exits.FAILED

    return with_agent(config, work)


def health_lines(backend: str, health: Health) -> list[str]:
    """What a probe found, and the server's reason and advice when it failed."""
    lines = [describe(clean(backend), health)]
    if health.error:
        lines.append(f"  {clean(health.error.message)}")
        if health.error.advice:
            lines.append(f"  What to do: {clean(health.error.advice)}")
    return lines


def describe(name: str, health: Health) -> str:
    if not health.online:
        return f"{name}: NOT reachable; credentials not verified (the server did not answer)"
    latency = (
        f"latency {health.latency_ms:.0f} ms" if health.latency_ms is not None else "latency not measured"
    )
    server = f", server {clean(health.server_version)}" if health.server_version else ""
    return f"{name}: reachable, {latency}, {CREDENTIALS[health.auth_ok]}{server}"
