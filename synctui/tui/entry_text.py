"""Text of the entry inspector: facts, rejection, payload pretty-printed and cut to a first part."""

from __future__ import annotations

import json
from datetime import datetime

from textual.content import Content

from synctui.i18n import _, number
from synctui.model import CATEGORY_WORDS, QueueEntry, Rejection
from synctui.tui.format import ago, clock_time, one_line, queue_label, safe

MAX_PAYLOAD_CHARS = 200_000  # never draw more than this, even when "show all" is asked
PREVIEW_LINES = 60  # the first part shown until the user asks for all of it


def pretty_payload(text: str, content_type: str) -> str:
    """Indented JSON / XML when it parses, the text as stored otherwise; safe to draw (control
    characters and escape sequences shown as `\\x1b`, line breaks kept)."""
    return safe(_pretty(text, content_type), multiline=True)


def _pretty(text: str, content_type: str) -> str:
    text = text or ""
    if len(text) > MAX_PAYLOAD_CHARS:
        return (
            text[:MAX_PAYLOAD_CHARS]
            + "\n… "
            + _("({n} more characters not shown)").format(n=number(len(text) - MAX_PAYLOAD_CHARS))
        )
    stripped = text.lstrip()
    if "json" in (content_type or "") or stripped.startswith(("{", "[")):
        try:
            return json.dumps(json.loads(text), indent=2, ensure_ascii=False)
        except ValueError:
            return text
    if "xml" in (content_type or "") or stripped.startswith("<"):
        try:
            from xml.dom import minidom

            pretty = minidom.parseString(text).toprettyxml(indent="  ")
            return "\n".join(line for line in pretty.splitlines() if line.strip())
        except Exception:  # any parser complaint: show it as stored
            return text
    return text


def payload_part(text: str, full: bool, limit: int = PREVIEW_LINES) -> tuple[str, int]:
    """The text to draw and how many lines were left out (0 = all of it is shown)."""
    lines = text.splitlines()
    if full or len(lines) <= limit:
        return text, 0
    return "\n".join(lines[:limit]), len(lines) - limit


def tries_marker(attempts: int) -> str:
    """Marks an entry sent more than once. Backends count differently (SanteDB its retries, HCM its
    sends, mSupply one try), so it says "tried", never "retried": nobody may have retried it."""
    return _("tried {n} times").format(n=attempts) if attempts > 1 else ""


def entry_facts(entry: QueueEntry, now: datetime) -> Content:
    attempts = Content(str(entry.attempts))
    if marker := tries_marker(entry.attempts):
        attempts = Content.assemble(str(entry.attempts), "  ", (f" {marker} ", "reverse $warning"))
    facts: list[tuple[str, str | Content]] = [
        (_("Id"), entry.id),
        (_("Queue"), queue_label(None, entry.queue)),
        (_("Record type"), entry.record_type),
        (_("Operation"), entry.operation),
        (
            _("Created"),
            f"{clock_time(entry.created, now)} ({ago(entry.created, now)})" if entry.created else "—",
        ),
        (_("Tries"), attempts),
        (_("Reference"), entry.correlation or "—"),
    ]
    if entry.original_queue is not None:
        facts.append((_("Came from"), queue_label(None, entry.original_queue)))
    return Content("\n").join(
        labelled(
            [
                (label, value if isinstance(value, Content) else one_line(str(value), 300))
                for label, value in facts
            ]
        )
    )


LABEL_CELLS = 12  # the labels' least width, so that short ones line up the same in every language


def labelled(rows: list[tuple[str, str | Content | tuple[str, str]]]) -> list[Content]:
    """Label and value lines, the values lined up after the longest label (Swahili's "Aina ya rekodi")."""
    width = max([LABEL_CELLS - 1, *(len(label) for label, _value in rows)]) + 1
    return [Content.assemble((label.ljust(width), "$text-muted"), value) for label, value in rows]


def rejection_text(rejection: Rejection, raw_key: str = "v") -> Content:
    rows: list[tuple[str, str | Content | tuple[str, str]]] = [
        (_("HTTP status"), str(rejection.status) if rejection.status else "—"),
        (_("Code"), one_line(rejection.code, 80) or "—"),
        (_("Kind"), CATEGORY_WORDS[rejection.category]),
        (_("Message"), (one_line(rejection.message, 400) or "—", "bold")),
    ]
    if rejection.advice:
        rows.append((_("Advice"), (safe(rejection.advice, multiline=True), "$success")))
    lines = labelled(rows)
    if rejection.raw:
        lines.append(
            Content.assemble((_("press {key} for the raw reason").format(key=raw_key), "$text-muted"))
        )
    return Content("\n").join(lines)
