"""Symbols and theme colours for the parts drawn as text (tables, bars, markers).

The console theme uses ASCII symbols: the Linux console font lacks most dingbats, and every state must
read without colour as well (a symbol or a word next to it); whatever else is drawn then goes through
`synctui.tui.console_glyphs`.
"""

from __future__ import annotations

from typing import NamedTuple

from rich.style import Style
from textual.app import App
from textual.color import Color, ColorParseError

from synctui.model import Level


class Glyphs(NamedTuple):
    """The symbols of one look: Unicode, or ASCII for the console theme."""

    online: str
    offline: str
    stale: str
    ok: str
    warning: str
    error: str
    running: str
    bar_full: str
    bar_empty: str
    spark: str
    dash: str
    safe: str  # the verdict marks (synctui.verdict): distinct shapes, so they read without colour
    waiting: str
    attention: str
    unknown: str

    def level(self, level: Level) -> str:
        return {
            Level.SAFE: self.safe,
            Level.WAITING: self.waiting,
            Level.ATTENTION: self.attention,
            Level.UNKNOWN: self.unknown,
        }[level]


UNICODE = Glyphs("●", "✖", "◌", "✔", "⚠", "✖", "⟳", "█", "░", " ▁▂▃▄▅▆▇█", "—", "●", "◐", "▲", "?")
ASCII = Glyphs("*", "x", "?", "OK", "!", "X", "~", "#", ".", " ._-=+*#@", "-", "*", "~", "!", "?")

# The theme colour of each verdict level: success green only for SAFE.
LEVEL_STYLE = {
    Level.SAFE: "$success",
    Level.WAITING: "$warning",
    Level.ATTENTION: "$error",
    Level.UNKNOWN: "$accent",
}


def low_bandwidth(app: App) -> bool:
    """The dashboard runs with --low-bandwidth: ages in steps of a minute, sparklines moved by whole
    slots."""
    return bool(getattr(app, "low_bandwidth", False))  # only SyncTuiApp has the option


def console_look(app: App) -> bool:
    """Whether the dashboard draws for a bare console (the console theme: 16 colours, the console
    font's characters only, see `synctui.tui.console_glyphs`)."""
    try:
        return app.current_theme.ansi
    except Exception:  # no app running (unit use)
        return False


def glyphs(app: App) -> Glyphs:
    return ASCII if console_look(app) else UNICODE


_FALLBACK = {
    "error": "red",
    "warning": "yellow",
    "success": "green",
    "primary": "blue",
    "text-muted": "grey50",
}


def theme_style(app: App, name: str, *, bold: bool = False) -> Style:
    """A Rich style in a theme colour, for renderables that cannot use `$variables` (DataTable cells)."""
    try:
        value = app.get_css_variables().get(name) or _FALLBACK.get(name, "default")
        color = Color.parse(value).rich_color
    except (ColorParseError, ValueError, KeyError):
        return Style(bold=bold, color=_FALLBACK.get(name))
    return Style(color=color, bold=bold)
