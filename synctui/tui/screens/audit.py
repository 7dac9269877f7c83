"""The agent's audit log: who asked for which change, when, and how it ended (newest first)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.content import Content
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static

from synctui.text import plural
from synctui.tui.actions import refusal_text
from synctui.tui.bindings import bindings_for
from synctui.tui.format import clock_time, one_line
from synctui.tui.look import theme_style

if TYPE_CHECKING:
    from synctui.tui.app import SyncTuiApp

LIMIT = 200
COLUMNS = ("Time", "User", "Backend", "Action", "Phase", "Result", "Target")


def when(value: Any, now: datetime) -> str:
    try:
        return clock_time(datetime.fromisoformat(str(value)), now)
    except (TypeError, ValueError):
        return one_line(str(value or "—"), 16)


def result_text(result: Any) -> tuple[str, str | None]:
    """(text, level) of an audit record's result: None before the action ended."""
    if not isinstance(result, dict):
        return ("", None) if result is None else (one_line(str(result), 60), None)
    ok = result.get("ok")
    message = one_line(str(result.get("message") or ""), 60)
    word = "ok" if ok else "failed" if ok is False else ""
    return (f"{word}: {message}" if message and word else word or message), (
        "success" if ok else "error" if ok is False else None
    )


def target_text(target: Any) -> str:
    if target is None:
        return "—"
    if isinstance(target, (list, tuple)):
        shown = ", ".join(one_line(str(t), 60) for t in target[:3])
        return shown + (f" +{len(target) - 3}" if len(target) > 3 else "") if target else "all"
    if isinstance(target, dict):
        return one_line(", ".join(f"{k}={v}" for k, v in target.items()), 60)
    return one_line(str(target), 60)


class AuditScreen(Screen):
    SCOPE = "audit"
    BINDINGS: list[Binding] = bindings_for("audit")
    DEFAULT_CSS = """
    AuditScreen #audit-title { height: 1; background: $panel; padding: 0 1; text-style: bold; }
    AuditScreen #audit-table { height: 1fr; }
    AuditScreen #audit-caption { height: 1; padding: 0 1; background: $boost; }
    """

    def __init__(self) -> None:
        super().__init__()
        self.records: list[dict[str, Any]] | None = None

    @property
    def tui(self) -> SyncTuiApp:
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        yield Static("Audit log (newest first)", id="audit-title")
        yield DataTable(cursor_type="row", id="audit-table")
        yield Static("loading…", id="audit-caption")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        for name in COLUMNS:
            table.add_column(name, key=name.lower())
        table.focus()
        self.load()

    @work(exclusive=True, group="audit")
    async def load(self) -> None:
        caption = self.query_one("#audit-caption", Static)
        caption.update("loading…")
        try:
            records = await self.tui.client.audit(LIMIT)
        except Exception as exc:  # refused, unreachable or broken: say so
            caption.update(
                Content.from_markup("[$error]could not read the audit log: $why[/]", why=refusal_text(exc))
            )
            return
        self.records = [r for r in records if isinstance(r, dict)]
        self.draw()

    def draw(self) -> None:
        table = self.query_one(DataTable)
        table.clear()
        now = self.tui.now()
        records = sorted(self.records or [], key=lambda r: str(r.get("time", "")), reverse=True)
        for index, record in enumerate(records):
            text, level = result_text(record.get("result"))
            style = theme_style(self.app, level) if level else ""
            table.add_row(
                Text(when(record.get("time"), now)),
                Text(one_line(str(record.get("user") or "?"), 16)),
                Text(one_line(str(record.get("backend") or "—"), 16)),
                Text(one_line(str(record.get("action") or "?"), 20), style="bold"),
                Text(one_line(str(record.get("phase") or ""), 10)),
                Text(text, style=style),
                Text(target_text(record.get("target")), style="dim"),
                key=str(index),
            )
        count = len(records)
        self.query_one("#audit-caption", Static).update(
            plural(count, "record") + (f" (the last {LIMIT})" if count >= LIMIT else "")
            if count
            else "no records yet"
        )

    def action_reload(self) -> None:
        self.load()

    def action_close(self) -> None:
        self.dismiss()
