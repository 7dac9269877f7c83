"""`synctui check BACKEND`: a read-only probe of the backend's server. It says only what it verified:
"credentials accepted" when the server accepted them, never "reachable" when it did not answer."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from synctui.cli import exits
from synctui.cli.common import clean, with_agent
from synctui.config import Config
from synctui.i18n import N_, Words, _, number
from synctui.model import Health

if TYPE_CHECKING:
    from synctui.client import HttpAgentClient

CREDENTIALS = Words(
    {
        True: N_("credentials accepted"),
        False: N_("credentials REFUSED"),
        None: N_("credentials not verified by this probe"),
    }
)


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    parser = sub.add_parser(
        "check",
        parents=[common],
        help=_("probe a backend's server (read-only): reachable, latency, credentials"),
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
            lines.append("  " + _("What to do: {step}").format(step=clean(health.error.advice)))
    return lines


def describe(name: str, health: Health) -> str:
    if not health.online:
        return _("{backend}: NOT reachable; credentials not verified (the server did not answer)").format(
            backend=name
        )
    latency = (
        _("latency {ms} ms").format(ms=number(round(health.latency_ms)))
        if health.latency_ms is not None
        else _("latency not measured")
    )
    server = (
        _(", server {version}").format(version=clean(health.server_version)) if health.server_version else ""
    )
    return (
        _("{backend}: reachable, {latency}, {credentials}").format(
            backend=name, latency=latency, credentials=CREDENTIALS[health.auth_ok]
        )
        + server
    )
