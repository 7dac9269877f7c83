"""Text from a backend, a plugin or the agent, made safe for a terminal (no Textual, no I/O).

A record type, a reason, a payload or an error message may hold anything, escape sequences included:
printed raw, `ESC ] 52 ; …` fills the clipboard, `ESC [ 2 J` blanks the screen, `U+202E` turns the
rest of the line around. `visible()` is the one function that shows such characters instead of
obeying them: each becomes an escape a person can read (`\\x1b`, `\\x07`, `\\x9b`, `\\u202e`), so an
escape sequence is printed as text, e.g. `\\x1b[2J`. Markup (`[bold]`) is not touched: showing it
literally is the job of whoever draws the text.
"""

from __future__ import annotations

import logging
import unicodedata

# Unicode categories that are never drawn as themselves: controls (C0, DEL, C1), format characters
# (bidi embeddings, overrides and isolates, zero-width space, BOM, …), lone surrogates, and the line
# and paragraph separators (which some terminals and log readers treat as line breaks).
_UNSAFE_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})
# Format characters that real text needs: the zero-width (non-)joiner of Persian, Indic scripts and
# emoji sequences. They move no cursor and reorder nothing.
_KEPT_FORMAT = frozenset({"\u200c", "\u200d"})

_cache: dict[str, str] = {}


_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(ch: str) -> str:
    if ch in _NAMED:
        return _NAMED[ch]
    code = ord(ch)
    if code < 0x100:
        return f"\\x{code:02x}"
    if code < 0x10000:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def _shown(ch: str) -> str:
    """`ch` as it may reach a terminal: itself, or its escape."""
    shown = _cache.get(ch)
    if shown is None:
        if ch == " " or ch in _KEPT_FORMAT or unicodedata.category(ch) not in _UNSAFE_CATEGORIES:
            shown = ch
        else:
            shown = _escape(ch)
        if len(_cache) < 4096:
            _cache[ch] = shown
    return shown


def is_safe(ch: str) -> bool:
    """True when the character `ch` may reach a terminal as it is (a line break never may)."""
    return _shown(ch) == ch


def visible(text: object, *, multiline: bool = False) -> str:
    """`text` with every character a terminal would obey shown as an escape instead (`\\x1b`).

    Control characters (C0, DEL, C1), escape sequences (their ESC, so the rest shows as text), lone
    surrogates, bidi overrides and other invisible format characters are all escaped. With
    `multiline`, line breaks (`\\n`, `\\r\\n` read as `\\n`) and tabs are kept; otherwise they are
    escaped too (`\\n`), so the result is always one line. `None` is the empty string."""
    if text is None:
        return ""
    value = text if isinstance(text, str) else str(text)
    if multiline:
        value = value.replace("\r\n", "\n")
    if value.isascii() and value.isprintable():
        return value  # the common case: nothing to do
    if multiline:
        return "".join(ch if ch in "\n\t" else _shown(ch) for ch in value)
    return "".join(_shown(ch) for ch in value)


def one_line(text: object, limit: int | None = None) -> str:
    """`text` as one printable line: runs of whitespace and line breaks become one space, control
    characters and escape sequences are shown as escapes (`visible`), and the line is cut to `limit`
    characters with "…"."""
    if text is None:
        return ""
    flat = visible(" ".join(str(text).split()))
    if limit is not None and len(flat) > limit:
        return flat[: max(limit - 1, 0)] + "…"
    return flat


class VisibleFormatter(logging.Formatter):
    """A log formatter whose lines hold no raw control character: the message is one line (a line
    break in it is shown as `\\n`, so nobody can forge a second log line), and a traceback keeps its
    line breaks but shows every other control character as an escape."""

    def formatMessage(self, record: logging.LogRecord) -> str:
        return visible(super().formatMessage(record))

    def formatException(self, ei) -> str:  # type: ignore[no-untyped-def]
        return visible(super().formatException(ei), multiline=True)

    def formatStack(self, stack_info: str) -> str:
        return visible(super().formatStack(stack_info), multiline=True)


def plural(count: int, one: str, many: str | None = None) -> str:
    """A count with its noun: "1 record", "3 records", "2 entries" (`many` when not `one` + "s")."""
    return f"{count:,} {one if count == 1 else (many or one + 's')}"


def visible_logs(logger: logging.Logger | None = None) -> None:
    """Give every handler of `logger` (the root logger by default) a `VisibleFormatter` with the format
    it has now, so that nothing a backend said reaches a log line raw. Call it after logging is set up
    (`logging.basicConfig`)."""
    for handler in (logger or logging.getLogger()).handlers:
        current = handler.formatter
        if isinstance(current, VisibleFormatter):
            continue
        if current is None:
            handler.setFormatter(VisibleFormatter())
            continue
        style = next((key for key, (cls, _) in logging._STYLES.items() if type(current._style) is cls), "%")
        formatter = VisibleFormatter(current._fmt, current.datefmt, style=style)  # type: ignore[arg-type]
        formatter.converter = current.converter
        handler.setFormatter(formatter)
