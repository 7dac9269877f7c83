"""The agent's audit log: who asked for which change, when, and how it ended (newest first)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from rich.text import Text
from textual.binding import BindingType

from synctui.actions import AUDIT_PHASES, action_label
from synctui.i18n import N_, _, ngettext
from synctui.tui.format import one_line
from synctui.tui.keymap import DashboardBinding
from synctui.tui.look import theme_style
from synctui.tui.screens.records import RecordsScreen, when


def result_text(result: Any) -> tuple[str, str | None]:
    """(text, level) of an audit record's result: None before the action ended."""
    if not isinstance(result, dict):
        return ("", None) if result is None else (one_line(str(result), 60), None)
    ok = result.get("ok")
    message = one_line(str(result.get("message") or ""), 60)
    word = _("ok") if ok else _("failed") if ok is False else ""
    return (
        _("{result}: {message}").format(result=word, message=message) if message and word else word or message
    ), ("success" if ok else "error" if ok is False else None)


def target_text(target: Any) -> str:
    if target is None:
        return "—"
    if isinstance(target, (list, tuple)):
        shown = ", ".join(one_line(str(t), 60) for t in target[:3])
        return shown + (f" +{len(target) - 3}" if len(target) > 3 else "") if target else _("all")
    if isinstance(target, dict):
        return one_line(", ".join(f"{k}={v}" for k, v in target.items()), 60)
    return one_line(str(target), 60)


class AuditScreen(RecordsScreen):
    BINDINGS: ClassVar[list[BindingType]] = [
        DashboardBinding(
            "r",
            "reload",
            N_("Reload"),
            id="reload_audit",
            palette=N_("Reload audit log"),
            help=N_("Read it again"),
        ),
        DashboardBinding("escape", "close", N_("Back"), id="close_audit", help=N_("Back")),
    ]
    PREFIX = "audit"
    HEADING = N_("Audit log (newest first)")
    COLUMNS = (N_("Time"), N_("User"), N_("Backend"), N_("Action"), N_("Phase"), N_("Result"), N_("Target"))
    WRAPPING = ("action", "result", "target")  # the action: "Leave Server Version" in words
    WHAT = N_("the audit log")

    async def read(self, limit: int) -> list[dict[str, Any]]:
        return await self.tui.client.audit(limit)

    def cells(self, record: dict[str, Any], now: datetime) -> list[Text]:
        text, level = result_text(record.get("result"))
        return [
            Text(when(record.get("time"), now)),
            Text(one_line(str(record.get("user") or "?"), 16)),
            Text(one_line(str(record.get("backend") or "—"), 16)),
            Text(one_line(action_label(str(record.get("action") or "?")), 30), style="bold"),
            Text(one_line(AUDIT_PHASES.get(record.get("phase"), str(record.get("phase") or "")), 16)),
            Text(text, style=theme_style(self.app, level) if level else ""),
            Text(target_text(record.get("target")), style="dim"),
        ]

    def show_caption(self) -> None:
        count = len(self.records or [])
        self.caption.update(
            self.count_text(ngettext("{n} record", "{n} records", count)) if count else _("no records yet")
        )
