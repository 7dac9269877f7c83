"""`synctui open BUNDLE`: the dashboard on a support bundle's state, read-only, as the technician saw it."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from synctui.cli import exits
from synctui.cli.common import CommandError, clean
from synctui.config import Config
from synctui.i18n import _


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    parser = sub.add_parser(
        "open", parents=[common], help=_("open a support bundle (from `synctui bug-report`) read-only")
    )
    parser.add_argument("bundle", type=Path, metavar="BUNDLE", help=_("the .tar.gz (or .tar.gz.age) file"))
    parser.add_argument(
        "--identity",
        "-i",
        type=Path,
        metavar="FILE",
        help=_("age or SSH private key, for an encrypted bundle"),
    )
    parser.set_defaults(func=run, log_to_file=True)


def run(args: argparse.Namespace, config: Config) -> int:
    from synctui.bundle.client import BundleClient
    from synctui.bundle.contents import BundleError
    from synctui.bundle.reader import open_bundle
    from synctui.bundle.words import spoken_id
    from synctui.tui.app import SyncTuiApp

    try:
        opened = open_bundle(args.bundle, args.identity)
    except BundleError as exc:
        said = _("{path} is not a readable support bundle: {error}").format(path=args.bundle, error=exc)
        raise CommandError(clean(f"synctui: {said}"), exits.FAILED) from None
    contents = opened.contents
    client = BundleClient(contents, _("bundle {id}").format(id=spoken_id(opened.bundle_id)))
    SyncTuiApp(
        client,
        theme=args.theme or config.theme,
        keymap=config.keymap,
        readonly=True,
        clock=lambda: contents.taken_at,
        close_client=True,
    ).run()
    return exits.OK
