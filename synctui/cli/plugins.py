"""`synctui plugins [--json]`: registered backend plugins and those that failed to load (exit 1 then).
`synctui plugins --options KIND [--markdown]`: the options a backend kind declares (the plugin README's
table is this command's `--markdown` output)."""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from synctui.cli import exits
from synctui.cli.common import clean
from synctui.config import Config
from synctui.i18n import _, pgettext

if TYPE_CHECKING:
    from synctui.backend import Option


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    parser = sub.add_parser("plugins", parents=[common], help=_("list backend plugins and broken ones"))
    parser.add_argument("--json", action="store_true", help=_("print JSON instead of text"))
    parser.add_argument("--options", metavar="KIND", help=_("list the options of backend kind KIND"))
    parser.add_argument("--markdown", action="store_true", help=_("with --options: as a Markdown table"))
    parser.set_defaults(func=run)


def load_registry(config: Config) -> Any:
    """The plugins the config names plus the installed ones; a fatal load error ends the command."""
    from synctui.cli.common import CommandError
    from synctui.plugins import PluginLoadError, load_plugins

    try:
        return load_plugins(config.agent.plugins)
    except PluginLoadError as exc:
        raise CommandError(f"synctui: {clean(str(exc))}", exits.FAILED) from None


def load_checked_registry(config: Config) -> Any:
    """`load_registry`, then each backend's options checked against its adapter's declarations: a bad
    one ends the command with one line naming backend and key (exit 2)."""
    from synctui.cli.common import usage_error
    from synctui.config import check_backend_options
    from synctui.config_values import ConfigError

    registry = load_registry(config)
    try:
        check_backend_options(config, registry.backend_class)
    except ConfigError as exc:
        raise usage_error(f"synctui: {clean(str(exc))}") from None
    return registry


def run(args: argparse.Namespace, config: Config) -> int:
    registry = load_registry(config)
    if args.options is not None:
        return _print_options(registry, args.options, markdown=args.markdown)
    if args.json:
        from synctui.model import to_data

        print(json.dumps(to_data(registry.plugins), indent=2))
    else:
        for info in registry.plugins:
            kinds = ", ".join(clean(k) for k in info.kinds) or "-"
            status = (
                _("BROKEN: {error}").format(error=clean(info.error))
                if info.error
                else pgettext("plugin", "ok")
            )
            backends = _("backends: {kinds}").format(kinds=f"{kinds:<20}")
            print(f"{clean(info.name):<20} {clean(info.source):<16} {backends} {status}")
        if not registry.plugins:
            print(_("no plugins found"))
    return exits.FAILED if any(p.error for p in registry.plugins) else exits.OK


def _print_options(registry: Any, kind: str, *, markdown: bool) -> int:
    from synctui.cli.common import usage_error

    try:
        specs = registry.backend_class(kind).option_specs
    except LookupError as exc:
        raise usage_error(f"synctui: {clean(str(exc))}") from None
    if markdown:
        print("\n".join(options_table(specs)))
    elif not specs:
        print(_("backend kind {kind} declares no options").format(kind=clean(kind)))
    else:
        rows = [(_("option"), _("type"), _("default"), _("secret"), _("meaning"))]
        rows += [
            (s.name, s.type_name, default_text(s, _("required")), _("yes") if s.secret else "", s.help)
            for s in specs
        ]
        widths = [max(len(row[i]) for row in rows) for i in range(4)]
        for row in rows:
            print(
                "  ".join(clean(cell).ljust(width) for cell, width in zip(row, widths, strict=False)), end=""
            )
            print(f"  {clean(row[4])}")
    return exits.OK


def default_text(spec: Option, required: str = "required") -> str:
    """The default of an option as a table shows it; `required` is the word for one without."""
    if spec.required:
        return required
    if spec.default is None:
        return "-"
    if isinstance(spec.default, bool):
        return str(spec.default).lower()
    return str(spec.default)


def options_table(specs: Sequence[Option]) -> list[str]:
    """The options as the Markdown table of a plugin's README."""
    lines = ["| option | type | default | meaning |", "|---|---|---|---|"]
    for spec in specs:
        meaning = f"secret: {spec.help}" if spec.secret else spec.help
        lines.append(f"| `{spec.name}` | {spec.type_name} | {default_text(spec)} | {meaning} |")
    return lines
