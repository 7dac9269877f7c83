"""`synctui new-plugin NAME [--dir D]`: write a new backend plugin project — pyproject with the
`synctui` entry point, an adapter, its options, a minimal simulator, the conformance test class and
a README — whose tests pass as generated. The templates are package data (synctui/testing/template)."""

from __future__ import annotations

import argparse
import re
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path
from string import Template
from typing import Any

from synctui.cli import exits
from synctui.cli.common import CommandError, clean
from synctui.config import Config
from synctui.i18n import _, ngettext, number

NAME = re.compile(r"[a-z][a-z0-9]*(?:[-_][a-z0-9]+)*")
BUILT_IN = frozenset({"santedb", "msupply", "hcm", "static"})
PACKAGE_DIR = "package"  # the template's folder that becomes the plugin's package


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    parser = sub.add_parser(
        "new-plugin",
        parents=[common],
        help=_("write a new backend plugin project: adapter, simulator, conformance tests"),
    )
    parser.add_argument("name", help=_("the backend kind, e.g. acme or acme-field (lower case)"))
    parser.add_argument(
        "--dir",
        type=Path,
        default=Path("."),
        help=_("where to create the synctui-NAME folder (default: here)"),
    )
    parser.set_defaults(func=run)


def names(name: str) -> dict[str, str]:
    """The template's variables for a backend kind, or ValueError saying what a name may be."""
    if len(name) > 24 or not NAME.fullmatch(name):
        raise ValueError(
            _(
                "{name} is not a plugin name: use lower-case letters and digits, words joined by - or _ "
                "(e.g. acme-field), at most 24 characters"
            ).format(name=repr(name))
        )
    if name in BUILT_IN:
        raise ValueError(
            _("{name} is a kind synctui already has; choose another name").format(name=repr(name))
        )
    words = re.split(r"[-_]", name)
    return {
        "kind": name,
        "dist": f"synctui-{name}",
        "package": "synctui_" + "_".join(words),
        "class_name": "".join(w.capitalize() for w in words) + "Backend",
        "title": " ".join(w.capitalize() for w in words),
    }


def write_plugin(name: str, where: Path) -> tuple[Path, list[Path]]:
    """Render the templates into `where`/synctui-NAME; returns the folder and the files written."""
    values = names(name)
    project = where / values["dist"]
    if project.exists() and any(project.iterdir()):
        raise ValueError(
            _("{folder} exists and is not empty; remove it or choose another --dir").format(folder=project)
        )
    written: list[Path] = []
    template = files("synctui.testing") / "template"
    for source, relative in _walk(template, ()):
        parts = [values["package"] if p == PACKAGE_DIR else p for p in relative]
        target = project.joinpath(*parts).with_suffix("")  # drop .tmpl
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(Template(source.read_text(encoding="utf-8")).substitute(values), encoding="utf-8")
        written.append(target)
    return project, written


def _walk(node: Traversable, relative: tuple[str, ...]) -> list[tuple[Traversable, tuple[str, ...]]]:
    found: list[tuple[Traversable, tuple[str, ...]]] = []
    for child in sorted(node.iterdir(), key=lambda c: c.name):
        if child.is_dir():
            found += _walk(child, (*relative, child.name))
        elif child.name.endswith(".tmpl"):
            found.append((child, (*relative, child.name)))
    return found


def run(args: argparse.Namespace, config: Config) -> int:
    try:
        project, written = write_plugin(args.name, args.dir)
    except ValueError as exc:
        raise CommandError(f"synctui: {clean(str(exc))}", exits.USAGE) from None
    except OSError as exc:
        said = _("cannot write the plugin: {error}").format(error=clean(exc.strerror or exc))
        raise CommandError(f"synctui: {said}", exits.FAILED) from None
    files = ngettext("{n} file", "{n} files", len(written)).format(n=number(len(written)))
    print(_("wrote {folder} ({files})").format(folder=clean(project), files=files))
    command = f"cd {clean(project)} && pip install -e '.[test]' && pytest"
    print(_("next: {command}   (then `synctui plugins` lists it)").format(command=command))
    return exits.OK
