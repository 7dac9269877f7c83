"""`synctui fleet`: every device's verdict, read from Prometheus (any PromQL HTTP API).

    synctui fleet --prometheus URL [--label site=X] [--verdict attention]   the screen
    synctui fleet --prometheus URL --json | --stuck                          for scripts
    synctui fleet gate --prometheus URL [--label site=X]                     exit 0 only if all SAFE
    synctui fleet rules                                                      the rules file to load

Exit codes of `--json`, `--stuck` and `gate`: the worst level among the selected devices (0 safe,
1 waiting, 2 attention, 3 unknown, silent, none selected, or Prometheus unreachable); 2 on bad usage.
"""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from synctui.cli import exits
from synctui.cli.common import clean, say
from synctui.config import Config
from synctui.config_values import ConfigError, parse_duration, read_secret_file
from synctui.i18n import _, ngettext, number
from synctui.model import Level

if TYPE_CHECKING:
    from synctui.fleet.queries import DeviceRow, FleetClient


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    reading = argparse.ArgumentParser(add_help=False)
    reading.add_argument(
        "--prometheus", metavar="URL", help=_("Prometheus (or Thanos, Mimir, VictoriaMetrics) URL")
    )
    reading.add_argument(
        "--prometheus-token-file", metavar="FILE", help=_("private file holding a bearer token")
    )
    reading.add_argument("--prometheus-user", metavar="NAME", help=_("basic-auth user name"))
    reading.add_argument(
        "--prometheus-password-file", metavar="FILE", help=_("private file holding the password")
    )
    reading.add_argument("--prometheus-ca-file", metavar="FILE", help=_("CA certificate for an https:// URL"))
    reading.add_argument(
        "--label", action="append", default=[], metavar="NAME=VALUE", help=_("only devices with this label")
    )
    reading.add_argument(
        "--silent-after",
        default="15m",
        metavar="DURATION",
        help=_("a device whose newest data is older is shown as unknown (default 15m)"),
    )
    parser = sub.add_parser(
        "fleet", parents=[common, reading], help=_("every device's verdict, from Prometheus (support staff)")
    )
    parser.add_argument(
        "--verdict",
        action="append",
        default=[],
        choices=[lv.value for lv in Level],
        help=_("only these levels"),
    )
    parser.add_argument("--json", action="store_true", help=_("print the devices as JSON, riskiest first"))
    parser.add_argument("--stuck", action="store_true", help=_("only the devices with a stuck queue"))
    parser.set_defaults(func=run, fleet_command=None)
    verbs = parser.add_subparsers(dest="fleet_command", metavar="{gate,rules}")
    gate = verbs.add_parser(
        "gate", parents=[common, reading], help=_("exit 0 only when every selected device is SAFE")
    )
    gate.set_defaults(func=run_gate)
    rules = verbs.add_parser(
        "rules", parents=[common], help=_("print the Prometheus rules file synctui ships")
    )
    rules.set_defaults(func=run_rules)


def run_rules(args: argparse.Namespace, config: Config) -> int:
    from synctui.fleet.rules import rules_text

    print(rules_text(), end="")
    return exits.OK


def _labels(pairs: list[str]) -> dict[str, str]:
    from synctui.fleet.queries import SELECTOR_NAME_RE

    labels = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not SELECTOR_NAME_RE.match(name.strip()):
            said = _("--label expects NAME=VALUE such as site=Kisumu-03, got {text}")
            raise ConfigError(said.format(text=repr(pair[:100])))
        labels[name.strip()] = value
    return labels


def _client(args: argparse.Namespace) -> FleetClient:
    from pathlib import Path

    from synctui.fleet.queries import FleetClient

    if not args.prometheus:
        raise ConfigError(_("--prometheus URL is required, e.g. --prometheus http://127.0.0.1:9090"))
    if not args.prometheus.startswith(("http://", "https://")):
        said = _("--prometheus: expected an http(s):// URL, got {text}")
        raise ConfigError(said.format(text=repr(args.prometheus[:100])))
    token = password = None
    if args.prometheus_token_file:
        token = read_secret_file(Path(args.prometheus_token_file), "--prometheus-token-file")
    if args.prometheus_password_file:
        password = read_secret_file(Path(args.prometheus_password_file), "--prometheus-password-file")
    if (args.prometheus_user is None) != (password is None):
        raise ConfigError(_("basic auth needs both --prometheus-user and --prometheus-password-file"))
    ca = Path(args.prometheus_ca_file) if args.prometheus_ca_file else None
    if ca is not None and not ca.is_file():
        raise ConfigError(_("--prometheus-ca-file {path} is not a file").format(path=ca))
    return FleetClient(
        args.prometheus, token=token, username=args.prometheus_user, password=password, ca_file=ca
    )


def _read(args: argparse.Namespace, *, stuck: bool = False) -> tuple[list[DeviceRow], timedelta]:
    """The selected devices, riskiest first; ConfigError or FleetError with one line."""
    import asyncio

    from synctui.fleet.table import by_risk

    labels = _labels(args.label)
    silent_after = parse_duration(args.silent_after, timedelta(minutes=15), "--silent-after")
    client = _client(args)

    async def fetch() -> list[DeviceRow]:
        try:
            if stuck:  # without reading every device
                return await client.named(await client.stuck(labels), labels)
            return await client.devices(labels)
        finally:
            await client.aclose()

    rows = asyncio.run(fetch())
    return by_risk(rows, datetime.now(UTC), silent_after), silent_after


def _guarded(body: Any) -> int:
    from synctui.fleet.queries import FleetError

    try:
        return body()
    except ConfigError as exc:
        say(f"synctui: {exc}")
        return exits.USAGE
    except FleetError as exc:
        say(f"synctui: {clean(str(exc))}")
        return exits.UNKNOWN


def _worst(rows: list[DeviceRow], now: datetime, silent_after: timedelta) -> int:
    from synctui.fleet.table import level_of

    if not rows:
        return exits.UNKNOWN
    return max(level_of(r, now, silent_after).exit_code for r in rows)


def run(args: argparse.Namespace, config: Config) -> int:
    if not (args.json or args.stuck):
        return _guarded(lambda: _screen(args, config))

    def report() -> int:
        from synctui.fleet.table import diagnosis, level_of, row_data

        rows, silent_after = _read(args, stuck=args.stuck)
        now = datetime.now(UTC)
        if args.verdict:
            rows = [r for r in rows if level_of(r, now, silent_after).value in args.verdict]
        if args.json:
            print(json.dumps([row_data(r, now, silent_after) for r in rows], indent=2, ensure_ascii=False))
        else:
            for row in rows:
                site = row.labels.get("site", "")
                print(clean(f"{row.device}\t{site}\t{diagnosis(row, now, silent_after)}"))
            if not rows:
                print(_("no device selected"))
        return _worst(rows, now, silent_after)

    return _guarded(report)


def run_gate(args: argparse.Namespace, config: Config) -> int:
    """ "Safe to upgrade or reset these devices?": 0 only when every selected device is SAFE."""

    def gate() -> int:
        from synctui.fleet.table import level_of

        rows, silent_after = _read(args)
        now = datetime.now(UTC)
        if not rows:
            say("synctui: " + _("no device matches; nothing is known to be safe"))
            return exits.UNKNOWN
        unsafe = [r for r in rows if level_of(r, now, silent_after) is not Level.SAFE]
        for row in unsafe:
            said = _("not safe: {device} ({level})")
            print(clean(said.format(device=row.device, level=level_of(row, now, silent_after).value)))
        safe = ngettext("{safe} of {n} device safe", "{safe} of {n} devices safe", len(rows))
        print(safe.format(safe=number(len(rows) - len(unsafe)), n=number(len(rows))))
        return _worst(rows, now, silent_after)

    return _guarded(gate)


def _screen(args: argparse.Namespace, config: Config) -> int:
    from synctui.fleet.screen import FleetApp

    labels = _labels(args.label)
    silent_after = parse_duration(args.silent_after, timedelta(minutes=15), "--silent-after")
    app = FleetApp(
        _client(args),
        labels=labels,
        levels=set(args.verdict),
        silent_after=silent_after,
        remote=config.agent.remote,
        token_file=getattr(args, "token_file", None),
    )
    app.run()
    return exits.OK
