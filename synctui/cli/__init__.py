"""`synctui` and its verbs, one module each (see `synctui --help`); exit codes in synctui.cli.exits.

Each verb module registers its parser with `register(sub, common)` and runs through
`set_defaults(func=…)`: `func(args, config) -> exit code`. Heavy imports (httpx, Textual, the agent)
stay inside the functions that need them, so that each command pays only for what it uses.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import logging
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

from synctui import __version__, i18n
from synctui.cli import dashboard, exits
from synctui.cli.common import CommandError
from synctui.config import Config, RemoteAgent, load_config
from synctui.config_values import ConfigError, parse_tcp, read_secret_file
from synctui.i18n import LANGUAGES, _
from synctui.text import visible_logs

# The verbs' modules under synctui.cli, in `--help` order. A command line that names no verb (the
# dashboard) does not import them: they are a part of the dashboard's start-up it does not need.
VERBS = (
    "dashboard",
    "agent",
    "status",
    "plugins",
    "new_plugin",
    "sync",
    "queue",
    "resubmit",
    "check",
    "reset",
    "settings",
    "audit",
    "archive",
    "set_pin",
    "bug_report",
    "open_bundle",
    "fleet",
)


def _global_options(parser: argparse.ArgumentParser, *, suppress: bool) -> None:
    """Options every verb takes, before or after its name (`synctui status --config F`)."""
    default = {"default": argparse.SUPPRESS} if suppress else {}
    parser.add_argument(
        "--config", type=Path, help=_("config file (default: $SYNCTUI_CONFIG or XDG config dir)"), **default
    )
    parser.add_argument("--socket", type=Path, help=_("agent socket (default: from config)"), **default)
    parser.add_argument(
        "--agent",
        dest="agent_address",
        metavar="tcp://HOST:PORT",
        help=_("reach the agent over TCP instead of its socket (support staff; needs --token-file)"),
        **default,
    )
    parser.add_argument(
        "--token-file",
        type=Path,
        metavar="FILE",
        help=_("private file (chmod 600) holding the agent's bearer token, for --agent"),
        **default,
    )
    parser.add_argument("--theme", help=_("dashboard theme: dark, light, sunlight, console"), **default)
    parser.add_argument(
        "--lang",
        metavar="LANG",
        help=_("language: {languages} (default: lang in the config, else the locale)").format(
            languages=", ".join(LANGUAGES)
        ),
        **default,
    )
    parser.add_argument(
        "--readonly",
        action="store_true",
        help=_("change nothing: hide changes in the dashboard, refuse them here (exit 4)"),
        **default,
    )
    parser.add_argument("-v", "--verbose", action="store_true", help=_("log more (to stderr)"), **default)


def _top_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="synctui",
        description=_("Is everything recorded on this device safely on the server?"),
        epilog=_("Exit codes of status and sync: 0 safe, 1 waiting, 2 attention, 3 unknown or no agent."),
    )
    parser.add_argument("--version", action="version", version=f"synctui {__version__}")
    _global_options(parser, suppress=False)
    dashboard.add_options(parser, suppress=False)
    return parser


def names_a_verb(argv: Sequence[str], top: argparse.ArgumentParser | None = None) -> bool:
    """Whether `argv` may name a verb (or asks for help): anything but the top-level options (read with
    `top`, the top-level parser before its verbs are added, when given)."""
    if "-h" in argv or "--help" in argv:
        return True
    _, rest = (top or _top_parser()).parse_known_args(argv)
    return bool(rest)


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The parser of every verb; of the dashboard only when `argv` is given and names no verb."""
    parser = _top_parser()
    names = VERBS if argv is None or names_a_verb(argv, parser) else ("dashboard",)
    common = argparse.ArgumentParser(add_help=False)
    _global_options(common, suppress=True)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in names:
        importlib.import_module(f"synctui.cli.{name}").register(sub, common)
    parser.set_defaults(func=dashboard.run, demo=False)  # no verb: the dashboard
    return parser


class _EarlyParser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise ValueError(message)


def _early_options(argv: Sequence[str]) -> argparse.Namespace:
    """--config and --lang, read before the parser is built so that its help and its errors speak the
    language; a mistake in them is left for the full parser to report."""
    early = _EarlyParser(add_help=False, allow_abbrev=False)
    early.add_argument("--config", type=Path)
    early.add_argument("--lang")
    try:
        return early.parse_known_args(argv)[0]
    except ValueError:
        return argparse.Namespace(config=None, lang=None)


def main(argv: list[str] | None = None) -> int:
    if argv is None:
        argv = sys.argv[1:]
    early = _early_options(argv)
    config: Config | ConfigError
    try:
        config = load_config(early.config, required=early.config is not None)
    except ConfigError as exc:
        config = exc  # reported after the parser, so that --help still works with a broken config
    warning = i18n.choose(early.lang, None if isinstance(config, ConfigError) else config.lang)
    args = build_parser(argv).parse_args(argv)
    if args.func is not dashboard.run or dashboard.plain_wanted(args):
        gc.enable()  # paused by synctui.__main__ for the full-screen dashboard, whose app resumes it
    if isinstance(config, ConfigError):
        print(f"synctui: {config}", file=sys.stderr)
        return exits.USAGE
    if args.command == "agent":  # the agent serves clients of every language: it speaks English
        i18n.use(i18n.SOURCE_LANGUAGE)
    elif warning:
        print(f"synctui: {warning}", file=sys.stderr)
    if args.readonly:
        config.agent.readonly = True
    if args.socket:
        config.agent.socket = args.socket
    try:
        config.agent.remote = remote_agent(args)
    except ConfigError as exc:
        print(f"synctui: {exc}", file=sys.stderr)
        return exits.USAGE
    # The dashboard owns the terminal, so it logs to a file; every other verb, the agent included, to stderr.
    _setup_logging(config, verbose=args.verbose, to_file=getattr(args, "log_to_file", args.command is None))
    visible_logs()  # a backend's text in a log line shows its control characters as escapes
    try:
        return args.func(args, config)
    except CommandError as exc:
        print(exc.message, file=sys.stderr)
        return exc.code
    except KeyboardInterrupt:
        return exits.INTERRUPTED


# Verbs that work on this machine, never through an agent: `--agent` makes no sense with them.
LOCAL_VERBS = frozenset({"agent", "demo", "new-plugin", "open", "plugins", "set-pin"})


def remote_agent(args: argparse.Namespace) -> RemoteAgent | None:
    """The agent of `--agent tcp://HOST:PORT --token-file F`, checked; ConfigError (one line, never the
    token) when either is wrong or they do not fit the command."""
    address = getattr(args, "agent_address", None)
    token_file = getattr(args, "token_file", None)
    if address is None:
        if token_file is not None:
            raise ConfigError("--token-file is only used with --agent tcp://HOST:PORT")
        return None
    host, port = parse_agent_address(address)
    if args.command in LOCAL_VERBS:
        raise ConfigError(f"--agent does not apply to `synctui {args.command}`, which works on this machine")
    if getattr(args, "socket", None):
        raise ConfigError("give --agent or --socket, not both")
    if token_file is None:
        raise ConfigError("--agent needs --token-file FILE, the file holding the agent's bearer token")
    token = read_secret_file(token_file, "--token-file")
    if not all("!" <= c <= "~" for c in token.reveal()):
        raise ConfigError(
            f"--token-file {token_file} does not hold a token (one line of ASCII letters, digits "
            "and punctuation, no spaces)"
        )
    return RemoteAgent(host=host, port=port, token=token)


def parse_agent_address(address: str) -> tuple[str, int]:
    """ "tcp://HOST:PORT" ("tcp://[::1]:8765" for IPv6) as (host, port), or ConfigError."""
    expected = f'--agent: expected tcp://HOST:PORT such as "tcp://192.0.2.10:8765", got {address[:200]!r}'
    scheme, sep, rest = address.strip().partition("://")
    if not sep or scheme.lower() != "tcp":
        raise ConfigError(expected)
    _, colon, port = rest.rpartition(":")
    if not colon or not port.isdigit() or len(port) > 5 or rest.startswith(":"):
        raise ConfigError(expected)
    try:
        return parse_tcp(rest, "--agent")
    except ConfigError as exc:
        if "port must be" in str(exc):
            raise
        raise ConfigError(expected) from None


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
