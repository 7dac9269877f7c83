"""`synctui set-pin`: print the hash of a new admin PIN, for `[agent] admin_pin_hash` (the PIN itself is
never written anywhere)."""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import Any

from synctui.cli import exits
from synctui.cli.common import say
from synctui.config import Config
from synctui.i18n import _

MIN_LENGTH = 4


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    parser = sub.add_parser(
        "set-pin", parents=[common], help=_("print a hash of a new admin PIN for [agent] admin_pin_hash")
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace, config: Config) -> int:
    from synctui.pin import hash_pin

    if not sys.stdin.isatty():
        pin = sys.stdin.readline().strip()
    else:
        pin = getpass.getpass(_("New admin PIN: "))
        if getpass.getpass(_("Again: ")) != pin:
            say("synctui: " + _("the PINs differ"))
            return exits.USAGE
    if len(pin) < MIN_LENGTH:
        say("synctui: " + _("use at least {n} characters").format(n=MIN_LENGTH))
        return exits.USAGE
    where = _("put this under [agent] in the config")
    print(f'admin_pin_hash = "{hash_pin(pin)}"   # {where}')
    return exits.OK
