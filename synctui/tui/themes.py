"""Theme definitions (one TOML per theme in the top-level themes/ folder) loaded into Textual themes."""

from __future__ import annotations

import logging
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from textual.theme import Theme

import synctui

log = logging.getLogger(__name__)

DEFAULT_THEME = "synctui-dark"
CONSOLE_THEME = "synctui-console"
STYLESHEET = "synctui.tcss"
_THEME_FIELDS = (
    "primary",
    "secondary",
    "warning",
    "error",
    "success",
    "accent",
    "foreground",
    "background",
    "surface",
    "panel",
    "boost",
)


def themes_dir() -> Path:
    """themes/ beside the package in a checkout, or synctui/_themes inside a wheel."""
    package = Path(synctui.__file__).parent
    checkout = package.parent / "themes"
    return checkout if checkout.is_dir() else package / "_themes"


def stylesheets() -> list[Path]:
    path = themes_dir() / STYLESHEET
    return [path] if path.is_file() else []


@dataclass
class ThemeSet:
    """The themes found (shipped and the user's), their aliases and what was wrong with any."""

    themes: list[Theme] = field(default_factory=list)
    aliases: dict[str, str] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)

    @property
    def names(self) -> list[str]:
        return [theme.name for theme in self.themes]

    def resolve(self, name: str | None) -> str | None:
        """The registered name for a theme name or alias; None when unknown."""
        if not name:
            return None
        key = name.strip().lower()
        if key in self.names:
            return key
        return self.aliases.get(key)


def load_theme(path: Path) -> tuple[Theme, list[str]]:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    name = data.get("name")
    if not isinstance(name, str) or not data.get("primary"):
        raise ValueError("needs at least `name` and `primary`")
    colours = {key: str(data[key]) for key in _THEME_FIELDS if data.get(key) is not None}
    extras = {}
    for key in ("text_alpha", "luminosity_spread"):
        if isinstance(data.get(key), (int, float)):
            extras[key] = float(data[key])
    variables = {str(k): str(v) for k, v in (data.get("variables") or {}).items()}
    theme = Theme(
        name=name,
        dark=bool(data.get("dark", True)),
        ansi=bool(data.get("ansi", False)),
        variables=variables,
        **colours,
        **extras,
    )
    aliases = [str(alias).lower() for alias in data.get("aliases", [])]
    return theme, aliases


def load_themes(folder: Path | None = None) -> ThemeSet:
    """Every *.toml theme in the folder; a broken file is skipped and reported, never fatal."""
    folder = folder or themes_dir()
    result = ThemeSet()
    for path in sorted(folder.glob("*.toml")) if folder.is_dir() else []:
        try:
            theme, aliases = load_theme(path)
        except (OSError, ValueError, TypeError, tomllib.TOMLDecodeError) as exc:
            result.errors.append(f"theme {path.name}: {exc}")
            log.warning("skipping theme %s: %s", path, exc)
            continue
        result.themes.append(theme)
        for alias in aliases:
            result.aliases.setdefault(alias, theme.name)
    return result


def default_theme_name(environ: dict[str, str] | None = None) -> str:
    """The bare Linux console has 16 colours; everything else starts dark."""
    environ = os.environ if environ is None else environ
    return CONSOLE_THEME if environ.get("TERM") == "linux" else DEFAULT_THEME
