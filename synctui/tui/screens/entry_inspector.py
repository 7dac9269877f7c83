"""Read-only view of one queued entry: facts, rejection with advice, payload, raw text on demand."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Footer, Static

from synctui.client import AgentRefused, AgentUnavailable
from synctui.model import EntryDetail, QueueEntry, QueueKind, Rejection
from synctui.tui.bindings import bindings_for
from synctui.tui.format import ago, clock_time, one_line

if TYPE_CHECKING:
    from synctui.tui.app import SyncTuiApp

MAX_PAYLOAD_CHARS = 200_000


def pretty_payload(text: str, content_type: str) -> str:
    """Indented JSON / XML when it parses, the text as stored otherwise."""
    text = text or ""
    if len(text) > MAX_PAYLOAD_CHARS:
        return text[:MAX_PAYLOAD_CHARS] + f"\n… ({len(text) - MAX_PAYLOAD_CHARS:,} more characters not shown)"
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


def entry_facts(entry: QueueEntry, now) -> Content:
    facts = [
        ("Id", entry.id),
        ("Queue", str(entry.queue)),
        ("Record type", entry.record_type),
        ("Operation", entry.operation),
        (
            "Created",
            f"{clock_time(entry.created, now)} ({ago(entry.created, now)})" if entry.created else "—",
        ),
        ("Attempts", str(entry.attempts)),
        ("Reference", entry.correlation or "—"),
    ]
    if entry.original_queue is not None:
        facts.append(("Came from", str(entry.original_queue)))
    return Content("\n").join(
        Content.assemble((f"{label:<12}", "$text-muted"), one_line(str(value), 300)) for label, value in facts
    )


def rejection_text(rejection: Rejection) -> Content:
    lines = [Content.assemble(("Message     ", "$text-muted"), (rejection.message or "—", "bold"))]
    if rejection.advice:
        lines.append(Content.assemble(("Advice      ", "$text-muted"), (rejection.advice, "$success")))
    lines.append(Content.assemble(("Category    ", "$text-muted"), str(rejection.category)))
    lines.append(Content.assemble(("Code        ", "$text-muted"), rejection.code or "—"))
    lines.append(
        Content.assemble(("HTTP status ", "$text-muted"), str(rejection.status) if rejection.status else "—")
    )
    if rejection.raw:
        lines.append(Content.from_markup("[$text-muted]press v for the raw text[/]"))
    return Content("\n").join(lines)


class EntryInspectorScreen(Screen):
    SCOPE = "inspector"
    BINDINGS: list[Binding] = bindings_for("inspector")
    DEFAULT_CSS = """
    EntryInspectorScreen #inspector-title { height: 1; background: $panel; padding: 0 1; text-style: bold; }
    EntryInspectorScreen .section { height: auto; padding: 0 1; margin-bottom: 1; border: round $secondary; }
    EntryInspectorScreen #rejection { border: round $error; }
    EntryInspectorScreen #payload, EntryInspectorScreen #raw { text-wrap: nowrap; width: auto; min-width: 100%; }
    EntryInspectorScreen #inspector-body { overflow-x: auto; }
    EntryInspectorScreen #raw { display: none; }
    EntryInspectorScreen #raw.-shown { display: block; }
    """

    def __init__(self, backend: str, kind: QueueKind, entry: QueueEntry) -> None:
        super().__init__()
        self.backend = backend
        self.kind = kind
        self.entry = entry
        self.detail: EntryDetail | None = None

    @property
    def tui(self) -> SyncTuiApp:
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        yield Static(
            Content(f"{self.backend} › {self.kind.value} › {one_line(self.entry.id, 60)}"),
            id="inspector-title",
        )
        with VerticalScroll(id="inspector-body"):
            yield Static(entry_facts(self.entry, self.tui.now()), id="facts", classes="section")
            yield Static("", id="rejection", classes="section")
            yield Static("", id="raw", classes="section")
            yield Static("loading payload…", id="payload", classes="section")
        yield Footer()

    def on_mount(self) -> None:
        for section, title in (
            ("facts", "Entry"),
            ("rejection", "Rejection"),
            ("raw", "Raw"),
            ("payload", "Payload"),
        ):
            self.query_one(f"#{section}").border_title = title
        self.show_rejection(self.entry.rejection)
        self.query_one("#inspector-body").focus()
        self.load()

    def show_rejection(self, rejection: Rejection | None) -> None:
        box = self.query_one("#rejection", Static)
        box.display = rejection is not None
        if rejection is not None:
            box.update(rejection_text(rejection))
            self.query_one("#raw", Static).update(Content(rejection.raw or "(no raw text)"))

    @work(exclusive=True, group="entry")
    async def load(self) -> None:
        payload = self.query_one("#payload", Static)
        try:
            detail = await self.tui.client.entry(self.backend, self.kind, self.entry.id)
        except (AgentUnavailable, AgentRefused) as exc:
            payload.update(Content.from_markup("[$error]could not load the entry: $why[/]", why=str(exc)))
            return
        self.detail = detail
        self.entry = detail.entry
        self.query_one("#facts", Static).update(entry_facts(detail.entry, self.tui.now()))
        self.show_rejection(detail.entry.rejection or self.entry.rejection)
        text = pretty_payload(detail.payload, detail.content_type)
        if detail.truncated:
            text += "\n… (truncated by the backend)"
        payload.border_title = f"Payload ({detail.content_type})"
        payload.update(Content(text or "(empty)"))

    def action_toggle_raw(self) -> None:
        self.query_one("#raw").toggle_class("-shown")

    def action_close(self) -> None:
        self.dismiss()
