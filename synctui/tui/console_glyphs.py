"""The characters a bare Linux console can draw, and what stands in for the others.

The console's default font (TERM=linux) holds the CP437 / VGA set: ASCII, light and double box
drawing, the shades and half blocks (█▓▒░ ▀▄▌▐), ■ and some Latin letters; rounded or heavy corners,
eighth blocks, ●, ✔, ⏎, "…" and the dashes show as a blank or a diamond there. Under the console theme
every line the dashboard draws (its own words, Textual's borders, footer and scroll bars, a backend's
text) goes through `ConsoleGlyphs`, which puts a drawable character of the same width in place of each
other one. This is the one place that decides the glyph set.
"""

from __future__ import annotations

import unicodedata
from functools import cache

from rich.cells import cell_len
from rich.segment import Segment
from textual.color import Color
from textual.filter import LineFilter

STAND_INS = {
    "…": ".",
    "—": "-",
    "–": "-",
    "‐": "-",
    "‒": "-",
    "―": "-",
    "−": "-",
    "‘": "'",
    "’": "'",
    "“": '"',
    "”": '"',
    "•": "*",
    "●": "*",
    "◌": "o",
    "◐": "~",
    "▲": "!",
    "✔": "v",
    "✓": "v",
    "✖": "x",
    "✗": "x",
    "×": "x",
    "⚠": "!",
    "⟳": "~",
    "⏎": "<",
    "→": ">",
    "←": "<",
    "↑": "^",
    "↓": "v",
    "›": ">",
    "‹": "<",
    "▁": "▄",  # a button's bottom edge (under its ▀ top), a scroll bar's thumb
    "▂": "▄",
    "▃": "▄",
    "▅": "▄",
    "▆": "█",
    "▇": "█",
    "▔": "▀",
    "▏": "│",
    "▎": "▌",
    "▍": "▌",
    "▋": "▌",
    "▊": "█",
    "▉": "█",
    "▕": "│",
    "🔎": "> ",  # the command palette's prompt (two cells)
    "\u00a0": " ",
    "\u202f": " ",  # French: before ; ? ! and between a number's thousands (Babel)
}


def drawable(char: str) -> bool:
    """Whether the console's default font has `char` (the CP437 set, control characters aside)."""
    if char.isascii():
        return char.isprintable() or char == " "
    try:
        char.encode("cp437")
    except UnicodeEncodeError:
        return False
    return True


def _box_stand_in(name: str) -> str | None:
    """Heavy box drawing becomes double (still distinct from light), arcs and dashes become light."""
    if not name.startswith("BOX DRAWINGS "):
        return None
    for old, new in (
        ("HEAVY", "DOUBLE"),
        ("HEAVY", "LIGHT"),
        ("ARC ", ""),
        ("DOUBLE DASH ", ""),
        ("TRIPLE DASH ", ""),
        ("QUADRUPLE DASH ", ""),
    ):
        try:
            candidate = unicodedata.lookup(name.replace(old, new))
        except KeyError:
            continue
        if drawable(candidate):
            return candidate
    if "VERTICAL" in name or name.endswith((" UP", " DOWN")):
        return "│"
    return "─"


@cache
def stand_in(char: str) -> str:
    """`char` itself when the console draws it, else a drawable stand-in of the same width."""
    if drawable(char):
        return char
    if char in STAND_INS:
        return STAND_INS[char]
    box = _box_stand_in(unicodedata.name(char, ""))
    if box is not None:
        return box
    plain = "".join(c for c in unicodedata.normalize("NFKD", char) if drawable(c) and c.isprintable())
    width = cell_len(char)
    if plain and cell_len(plain) == width:
        return plain
    return "?" * width  # zero-width (combining, control) characters: nothing


class _Table(dict[int, str]):
    def __missing__(self, code: int) -> str:
        self[code] = stand_in(chr(code))
        return self[code]


_TABLE = _Table()


def fold(text: str) -> str:
    """`text` with every character the console cannot draw replaced by its stand-in."""
    return text if text.isascii() else text.translate(_TABLE)


class ConsoleGlyphs(LineFilter):
    """A Textual line filter: enabled while the console theme is on."""

    def apply(self, segments: list[Segment], background: Color) -> list[Segment]:
        return [
            segment
            if segment.control or segment.text.isascii()
            else Segment(fold(segment.text), *segment[1:])
            for segment in segments
        ]
