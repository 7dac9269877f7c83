"""`synctui bug-report`: write a support bundle (Submit a Bug) of this device's state, without secrets.

With no agent to ask, the bundle still holds the config, logs, plugins and versions; the exit code is 3."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from synctui.cli import exits
from synctui.cli.common import CommandError, clean, say, usage_error
from synctui.cli.plugins import load_registry
from synctui.config import Config
from synctui.i18n import _


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    from synctui.bundle.parts import PARTS

    parser = sub.add_parser(
        "bug-report",
        parents=[common],
        help=_("write a support bundle (Submit a Bug): state, screenshots, logs; never a secret"),
        epilog=_("parts: {parts}").format(parts="; ".join(f"{p.name} ({_(p.title)})" for p in PARTS)),
    )
    parser.add_argument("--output", "-o", type=Path, metavar="FILE", help=_("where to write the .tar.gz"))
    parser.add_argument(
        "--exclude",
        nargs="+",
        default=[],
        metavar="PART",
        help=_("leave these parts out (see the list below)"),
    )
    parser.add_argument(
        "--with-payloads",
        action="store_true",
        help=_("also put in the contents of conflicted records (may hold personal data)"),
    )
    parser.add_argument(
        "--encrypt-to",
        metavar="KEY",
        help=_("encrypt to support's public key (age1…, ssh-ed25519 …, or a file holding one)"),
    )
    parser.add_argument(
        "--pseudonymise",
        action="store_true",
        help=_(
            "replace host names, IP addresses and user names by pseudonyms (the map stays on this device)"
        ),
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace, config: Config) -> int:
    import asyncio
    import shutil
    from datetime import UTC, datetime

    from synctui.bundle import age
    from synctui.bundle.build import Sources, default_output, prepare
    from synctui.bundle.parts import DEFAULT_PARTS, check_part_names
    from synctui.bundle.words import written_lines
    from synctui.bundle.write import write
    from synctui.cli.common import connect

    try:
        check_part_names(args.exclude)
    except ValueError as exc:
        raise usage_error(f"synctui: --exclude: {exc}") from None
    try:
        if args.encrypt_to:
            age.recipient(args.encrypt_to)
    except ValueError as exc:
        raise usage_error(f"synctui: {clean(str(exc))}") from None
    include = (set(DEFAULT_PARTS) | ({"payloads"} if args.with_payloads else set())) - set(args.exclude)
    registry = load_registry(config)
    columns, lines = shutil.get_terminal_size()
    client = connect(config)

    async def gather() -> Any:
        try:
            sources = Sources(
                config,
                registry,
                client.description,
                datetime.now(UTC).astimezone(),
                readonly=config.agent.readonly,
                theme=args.theme or config.theme,
                terminal=(columns, lines),
            )
            return await prepare(
                client, sources, payloads="payloads" in include, pseudonymise=args.pseudonymise
            )
        finally:
            await client.aclose()

    prepared = asyncio.run(gather())
    for note in prepared.notes:
        say(f"synctui: {clean(note.shown())}")
    output = args.output or default_output(config.agent.state_dir, prepared.bundle_id, prepared.created)
    if args.encrypt_to and args.output is None:
        output = output.with_name(output.name + ".age")
    try:
        written = write(prepared, include, output, encrypt_to=args.encrypt_to)
    except ValueError as exc:
        raise usage_error(f"synctui: {clean(str(exc))}") from None
    except OSError as exc:
        said = _("cannot write {path}: {error}").format(path=output, error=exc.strerror or exc)
        raise CommandError(clean(f"synctui: {said}"), exits.FAILED) from None
    for line in written_lines(written):
        print(clean(line))
    return exits.OK if prepared.agent_answered else exits.UNREACHABLE
