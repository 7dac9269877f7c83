"""`synctui` and its subcommands.

    synctui                 the dashboard, on the running agent (or an embedded one if none runs)
    synctui demo            the dashboard on simulated backends, with an embedded agent
    synctui agent           run the agent (API on a Unix socket) until stopped
    synctui status [--json] queue counts, sync log and jobs of every backend
    synctui plugins         registered backends and broken plugins
    synctui sync|queue|reset|audit|archive|set-pin   scripting and repairs (see synctui.scripting)

Heavy imports stay inside the commands so that each pays only for what it uses.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from synctui import __version__, scripting
from synctui.config import Config, ConfigError, load_config

if TYPE_CHECKING:
    from synctui.client import AgentClient
    from synctui.model import AgentState

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_UNREACHABLE = 3


def _common_options(parser: argparse.ArgumentParser, *, suppress: bool) -> None:
    """Options every command takes, before or after its name (`synctui agent --config F`)."""
    default = {"default": argparse.SUPPRESS} if suppress else {}
    parser.add_argument(
        "--config", type=Path, help="config file (default: $SYNCTUI_CONFIG or XDG config dir)", **default
    )
    parser.add_argument("--socket", type=Path, help="agent socket (default: from config)", **default)
    parser.add_argument("--theme", help="dashboard theme: dark, light, sunlight, console", **default)
    parser.add_argument(
        "--readonly", action="store_true", help="hide and refuse actions that change data", **default
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log more (to stderr)", **default)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="synctui", description="Is everything on this device on the server?"
    )
    parser.add_argument("--version", action="version", version=f"synctui {__version__}")
    _common_options(parser, suppress=False)
    common = argparse.ArgumentParser(add_help=False)
    _common_options(common, suppress=True)
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("dashboard", help="open the dashboard (the default)", parents=[common])
    sub.add_parser("demo", help="open the dashboard on simulated backends", parents=[common])
    sub.add_parser("agent", help="run the agent until stopped", parents=[common])
    status = sub.add_parser("status", help="print queue counts, sync log and jobs", parents=[common])
    status.add_argument("--json", action="store_true", help="print JSON instead of text")
    plugins = sub.add_parser("plugins", help="list backend plugins and broken ones", parents=[common])
    plugins.add_argument("--json", action="store_true", help="print JSON instead of text")
    scripting.add_parsers(sub, parents=[common])
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        config = load_config(args.config, required=args.config is not None)
    except ConfigError as exc:
        print(f"synctui: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if args.readonly:
        config.agent.readonly = True
    if args.socket:
        config.agent.socket = args.socket
    command = args.command or "dashboard"
    _setup_logging(config, verbose=args.verbose, to_file=command in ("dashboard", "demo"))
    try:
        if command == "agent":
            return _agent(config)
        if command == "status":
            return asyncio.run(_status(config, as_json=args.json))
        if command == "plugins":
            return _plugins(config, as_json=args.json)
        if command in scripting.COMMANDS:
            return scripting.run(args, config)
        return _dashboard(config, demo=command == "demo", theme=args.theme)
    except KeyboardInterrupt:
        return 130


def _setup_logging(config: Config, *, verbose: bool, to_file: bool) -> None:
    """The dashboard owns the terminal, so it logs to a file; other commands log to stderr."""
    level = logging.INFO if verbose else logging.WARNING
    fmt = "%(asctime)s %(levelname)s %(name)s: %(message)s"
    if to_file:
        try:
            config.agent.state_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
            logging.basicConfig(level=level, format=fmt, filename=config.agent.state_dir / "synctui.log")
            return
        except OSError:
            logging.disable(logging.CRITICAL)  # never write over the screen
            return
    logging.basicConfig(level=level, format=fmt, stream=sys.stderr)


def _registry(config: Config) -> Any:
    from synctui.plugins import PluginLoadError, load_plugins

    try:
        return load_plugins(config.agent.plugins)
    except PluginLoadError as exc:
        print(f"synctui: {exc}", file=sys.stderr)
        raise SystemExit(EXIT_ERROR) from None


def _agent(config: Config) -> int:
    from synctui.agent.run import run_agent_forever
    from synctui.agent.server import SocketInUse

    try:
        asyncio.run(run_agent_forever(config, _registry(config)))
    except SocketInUse as exc:
        print(f"synctui: {exc}", file=sys.stderr)
        return EXIT_ERROR
    return EXIT_OK


def _dashboard(config: Config, *, demo: bool, theme: str | None) -> int:
    from synctui.client import HttpAgentClient
    from synctui.tui.app import SyncTuiApp

    def make_app(client: AgentClient) -> SyncTuiApp:
        return SyncTuiApp(
            client,
            theme=theme or config.theme,
            keymap=config.keymap,
            readonly=config.agent.readonly,
            close_client=True,
        )

    if not demo and _agent_running(config.agent.socket):
        make_app(HttpAgentClient(socket=config.agent.socket)).run()  # the app closes the client
        return EXIT_OK

    async def embedded() -> None:
        from synctui.agent.run import start_agent

        running = await start_agent(config, _registry(config), embedded=True, demo=demo)
        client = HttpAgentClient(
            socket=running.socket, description="demo (embedded agent)" if demo else "embedded agent"
        )
        try:
            await make_app(client).run_async()
        finally:
            await running.stop()

    asyncio.run(embedded())
    return EXIT_OK


def _agent_running(socket: Path) -> bool:
    from synctui.sockets import agent_listening

    return socket.exists() and agent_listening(socket)


async def _status(config: Config, *, as_json: bool) -> int:
    from synctui.client import AgentRefused, AgentUnavailable, HttpAgentClient
    from synctui.model import to_data

    client = HttpAgentClient(socket=config.agent.socket, timeout=5.0)
    try:
        state = await client.state()
    except (AgentUnavailable, AgentRefused) as exc:
        print(f"synctui: {exc}", file=sys.stderr)
        return EXIT_UNREACHABLE
    finally:
        await client.aclose()
    if as_json:
        print(json.dumps(to_data(state), indent=2))
    else:
        print(format_status(state, datetime.now(UTC)))
    return EXIT_OK


def format_status(state: AgentState, now: datetime) -> str:
    from synctui.model import QueueKind

    names = {
        QueueKind.OUTBOX: "Outbox",
        QueueKind.INBOX: "Inbox",
        QueueKind.ADMIN: "Admin",
        QueueKind.CONFLICTS: "Conflicts",
    }
    lines: list[str] = []
    if not state.backends:
        lines.append("No backends configured. Add [[backends]] to the config, or try `synctui demo`.")
    for view in state.backends:
        snap = view.snapshot
        health = "online" if snap.health.online and not snap.stale else "OFFLINE"
        if snap.stale and snap.health.online:
            health = "stale"
        verdict = "all synced" if snap.all_synced else ""
        lines.append(
            f"{snap.backend} ({snap.kind})  {health}  data of {_when(snap.taken_at, now)}"
            + (f"  — {verdict}" if verdict else "")
        )
        if snap.health.error:
            lines.append(f"  ! {snap.health.error.message}")
            if snap.health.error.advice:
                lines.append(f"    {snap.health.error.advice}")
        for stat in snap.queues:
            label = stat.label or names[stat.kind]
            count = "n/a" if stat.count is None else str(stat.count)
            extra = f"   oldest {_age(stat.oldest, now)}" if stat.count and stat.oldest else ""
            detail = f"   ({stat.detail})" if stat.detail else ""
            lines.append(f"  {label:<22} {count:>6}{extra}{detail}")
        if snap.log:
            lines.append("  Sync log:")
            for row in snap.log:
                level = snap.thresholds.level(row.last_success, now)
                mark = {"ok": "", "warning": "  [old]", "error": "  [TOO OLD]"}[level]
                name = row.record_type + (f" {row.filter}" if row.filter else "")
                success = _when(row.last_success, now) if row.last_success else "never"
                lines.append(f"    {name[:40]:<40} last success {success}{mark}")
                if row.last_error:
                    lines.append(f"      error: {row.last_error.splitlines()[0][:100]}")
        if snap.jobs:
            lines.append("  Jobs:")
            for job in snap.jobs:
                progress = (
                    f" {job.progress:.0%}" if job.progress is not None and job.state == "running" else ""
                )
                finished = f", last finished {_when(job.last_finish, now)}" if job.last_finish else ""
                message = f" — {job.message}" if job.message else ""
                lines.append(f"    {job.name[:40]:<40} {job.state.value}{progress}{finished}{message}")
        if view.action:
            a = view.action
            lines.append(f"  Action: {a.action} {a.state}" + (f" — {a.message}" if a.message else ""))
    broken = [p for p in state.plugins if p.error]
    for plugin in broken:
        lines.append(f"Broken plugin {plugin.name}: {plugin.error}")
    return "\n".join(lines)


def _when(moment: datetime | None, now: datetime) -> str:
    if moment is None:
        return "never"
    local = moment.astimezone()
    return f"{local:%Y-%m-%d %H:%M:%S} ({_age(moment, now)} ago)"


def _age(moment: datetime | None, now: datetime) -> str:
    if moment is None:
        return "?"
    seconds = max(0, int((now - moment).total_seconds()))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {minutes:02d}m"
    if minutes:
        return f"{minutes}m {seconds:02d}s"
    return f"{seconds}s"


def _plugins(config: Config, *, as_json: bool) -> int:
    registry = _registry(config)
    if as_json:
        from synctui.model import to_data

        print(json.dumps(to_data(registry.plugins), indent=2))
    else:
        for info in registry.plugins:
            kinds = ", ".join(info.kinds) or "-"
            status = f"BROKEN: {info.error}" if info.error else "ok"
            print(f"{info.name:<20} {info.source:<16} backends: {kinds:<20} {status}")
        if not registry.plugins:
            print("no plugins found")
    return EXIT_ERROR if any(p.error for p in registry.plugins) else EXIT_OK


if __name__ == "__main__":
    raise SystemExit(main())
