"""The console's glyph set: each character the console font lacks gets a drawable stand-in of the same
width, one the font has stays as it is."""

from __future__ import annotations

import pytest
from rich.cells import cell_len

from synctui.tui.console_glyphs import drawable, fold, stand_in


@pytest.mark.parametrize(
    ("char", "expected"),
    [
        ("┏", "╔"),  # heavy box drawing: double, still apart from light
        ("━", "═"),
        ("┃", "║"),
        ("╭", "┌"),  # rounded corners: light
        ("╯", "┘"),
        ("╌", "─"),  # dashed: light
        ("…", "."),
        ("—", "-"),
        ("⏎", "<"),
        ("▂", "▄"),
        ("ã", "a"),  # Portuguese letters the font lacks lose their accent, not the letter
        ("õ", "o"),
        ("日", "??"),  # a wide character keeps its two cells
        ("🔎", "> "),
    ],
)
def test_stand_ins(char: str, expected: str) -> None:
    assert not drawable(char)
    assert stand_in(char) == expected


@pytest.mark.parametrize("char", ["a", " ", "─", "│", "┌", "═", "█", "▓", "▀", "▄", "■", "·", "é", "ç"])
def test_what_the_font_has_stays(char: str) -> None:
    assert drawable(char)
    assert stand_in(char) == char


def test_fold_keeps_every_line_its_width() -> None:
    line = "╭─ Outbox ─╮ ●12 ✔ ⚠ stuck — 06:42–06:43 ▁▂▃▄▅▆▇█ São Tomé 日本 \x1b"
    folded = fold(line)
    assert cell_len(folded) == cell_len(line)
    assert all(drawable(char) for char in folded)
