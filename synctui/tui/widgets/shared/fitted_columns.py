"""Table columns fitted to the width: as wide as their content when there is room, else the widest
gives way and its cells wrap (every word shown, rows taller), never cut with "…"."""

from __future__ import annotations

from collections.abc import Collection, Iterable

from rich.cells import cell_len
from rich.console import Console
from rich.text import Text


def fitted_widths(
    titles: list[tuple[str, str]], rows: list[list[Text]], room: int, wrapping: Collection[str]
) -> list[int]:
    """Each column (key, title) as wide as its widest cell, title included. When they do not fit in
    `room`, the widest column gives way first, those of `wrapping` (free text) before the others, each
    down to its title and its longest word (up to a fair share of the room): its cells wrap."""
    room = max(room, 0)
    keys = [key for key, _title in titles]
    columns = [[row[i] for row in rows] for i in range(len(titles))]
    widths = [
        max([cell_len(title), *(cell.cell_len for cell in cells)])
        for (_key, title), cells in zip(titles, columns, strict=True)
    ]
    least = [
        max(cell_len(title), min(room // len(titles), longest_word(cells)))
        for (_key, title), cells in zip(titles, columns, strict=True)
    ]
    free_text = [i for i, key in enumerate(keys) if key in wrapping]
    return given_way(widths, least, room, (free_text, range(len(keys))))


def given_way(widths: list[int], least: list[int], room: int, order: Iterable[Collection[int]]) -> list[int]:
    """`widths` narrowed to fit `room`: the columns of each group of `order` in turn, the one with the
    most to spare first, one cell at a time, none below its `least`."""
    widths = list(widths)
    over = sum(widths) - room
    for giving in order:
        while over > 0:
            candidates = [i for i in giving if widths[i] > least[i]]
            if not candidates:
                break
            widest = max(candidates, key=lambda i: widths[i] - least[i])
            widths[widest] -= 1
            over -= 1
    return widths


def longest_word(cells: list[Text]) -> int:
    return max([0, *(cell_len(word) for cell in cells for word in cell.plain.split())])


def wrapped(cells: list[Text], widths: list[int], console: Console) -> tuple[list[Text], int]:
    """The row's cells wrapped at their column's width, and the row's height: every word shown."""
    lines = [cell.wrap(console, width) for cell, width in zip(cells, widths, strict=True)]
    return [Text("\n").join(cell_lines) for cell_lines in lines], max([1, *(len(c) for c in lines)])
