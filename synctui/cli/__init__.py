"""`synctui` and its verbs, one module each (see `synctui --help`); exit codes in synctui.cli.exits.

Each verb module registers its parser with `register(sub, common)` and runs through
`set_defaults(func=…)`: `func(args, config) -> exit code`. Heavy imports (httpx, Textual, the agent)
stay inside the functions that need them, so that each command pays only for what it uses.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from synctui import __version__
from synctui.cli import (
    agent,
    archive,
    audit,
    check,
    dashboard,
    exits,
    plugins,
    queue,
    reset,
    resubmit,
    set_pin,
    settings,
    status,
    sync,
)
from synctui.cli.common import CommandError
from synctui.config import Config, ConfigError, load_config

VERBS = (
    dashboard,
    agent,
    status,
    plugins,
    sync,
    queue,
    resubmit,
    check,
    reset,
    settings,
    audit,
    archive,
    set_pin,
)


def _global_options(parser: argparse.ArgumentParser, *, suppress: bool) -> None:
    """Options every verb takes, before or after its name (`synctui status --config F`)."""
    default = {"default": argparse.SUPPRESS} if suppress else {}
    parser.add_argument(
        "--config", type=Path, help="config file (default: $SYNCTUI_CONFIG or XDG config dir)", **default
    )
    parser.add_argument("--socket", type=Path, help="agent socket (default: from config)", **default)
    parser.add_argument("--theme", help="dashboard theme: dark, light, sunlight, console", **default)
    parser.add_argument(
        "--readonly",
        action="store_true",
        help="change nothing: hide changes in the dashboard, refuse them here (exit 4)",
        **default,
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log more (to stderr)", **default)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="synctui",
        description="Is everything recorded on this device safely on the server?",
        epilog="Exit codes of status and sync: 0 safe, 1 waiting, 2 attention, 3 unknown or no agent.",
    )
    parser.add_argument("--version", action="version", version=f"synctui {__version__}")
    _global_options(parser, suppress=False)
    common = argparse.ArgumentParser(add_help=False)
    _global_options(common, suppress=True)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for verb in VERBS:
        verb.register(sub, common)
    parser.set_defaults(func=dashboard.run, demo=False)  # no verb: the dashboard
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        config = load_config(args.config, required=args.config is not None)
    except ConfigError as exc:
        print(f"synctui: {exc}", file=sys.stderr)
        return exits.USAGE
    if args.readonly:
        config.agent.readonly = True
    if args.socket:
        config.agent.socket = args.socket
    # The dashboard owns the terminal, so it logs to a file; every other verb, the agent included, to stderr.
    _setup_logging(config, verbose=args.verbose, to_file=getattr(args, "log_to_file", args.command is None))
    try:
        return args.func(args, config)
    except CommandError as exc:
        print(exc.message, file=sys.stderr)
        return exc.code
    except KeyboardInterrupt:
        return exits.INTERRUPTED


def _setup_logging(config: Config, *, verbose: bool, to_file: bool) -> None:
    """The dashboard owns the terminal, so it logs to a file; other verbs log to stderr."""
    level = logging.INFO if verbose else logging.WARNING
    fmt = "%(asctime)s %(levelname)s %(name)s: %(message)s"
    if to_file:
        try:
            config.agent.state_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
            logging.basicConfig(level=level, format=fmt, filename=config.agent.state_dir / "synctui.log")
        except OSError:
            logging.disable(logging.CRITICAL)  # never write over the screen
        return
    logging.basicConfig(level=level, format=fmt, stream=sys.stderr)
