"""The archive: entries that were discarded (archived first), newest first, and Restore of one.

Restore is the catalogue's `restore`: offered only where the entry's backend can re-queue and the entry
was not restored yet, confirmed with its word (and the PIN when one is set), told counted.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any, ClassVar

from rich.text import Text
from textual.binding import BindingType
from textual.widget import Widget
from textual.widgets import DataTable

from synctui.actions import action, queue_name
from synctui.i18n import N_, _, ngettext
from synctui.model import ActionResult, Capability
from synctui.tui.changes import backend_view, offers, run_change
from synctui.tui.format import one_line
from synctui.tui.keymap import DashboardBinding
from synctui.tui.screens.confirm import Confirmation, ConfirmRequest, ConfirmScreen
from synctui.tui.screens.records import RecordsScreen, when
from synctui.tui.widgets.shared.action_result import ActionResultView


def entry_of(record: dict[str, Any]) -> dict[str, Any]:
    entry = record.get("entry")
    return entry if isinstance(entry, dict) else {}


def record_words(record: dict[str, Any]) -> str:
    """ "Patient Insert from conflicts of santedb", from what the agent archived."""
    entry = entry_of(record)
    what = " ".join(one_line(str(entry.get(k) or ""), 40) for k in ("record_type", "operation")).strip()
    queue = one_line(queue_name(record.get("queue") or "?"), 20)
    backend = one_line(str(record.get("backend") or "?"), 40)
    return _("{what} from {queue} of {backend}").format(what=what or _("entry"), queue=queue, backend=backend)


class ArchiveScreen(RecordsScreen):
    BINDINGS: ClassVar[list[BindingType]] = [
        DashboardBinding(
            "R",
            "restore_archived",
            N_("Restore"),
            id="restore_archived",
            palette=N_("Restore archived entry"),
            help=N_("Put the selected discarded entry back in its queue, to be sent again"),
            catalogue="restore",
        ),
        DashboardBinding(
            "r",
            "reload",
            N_("Reload"),
            id="reload_archive",
            palette=N_("Reload archive"),
            help=N_("Read it again"),
        ),
        DashboardBinding("escape", "close", N_("Back"), id="close_archive", help=N_("Back")),
    ]
    PREFIX = "archive"
    HEADING = N_("Archive: discarded entries (newest first)")
    COLUMNS = (N_("Discarded"), N_("Backend"), N_("Queue"), N_("Record"), N_("By"), N_("Restored"))
    WRAPPING = ("record",)
    WHAT = N_("the archive")

    def compose_below_table(self) -> Iterator[Widget]:
        yield ActionResultView(id="action-result")

    async def read(self, limit: int) -> list[dict[str, Any]]:
        return await self.tui.client.archive(limit)

    def cells(self, record: dict[str, Any], now: datetime) -> list[Text]:
        entry = entry_of(record)
        restored = record.get("restored")
        what = f"{entry.get('record_type') or '?'} {entry.get('operation') or ''}".strip()
        return [
            Text(when(record.get("time"), now)),
            Text(one_line(str(record.get("backend") or "—"), 16)),
            Text(one_line(queue_name(record.get("queue") or "?"), 20)),
            Text(one_line(what, 30), style="bold"),
            Text(one_line(str(record.get("user") or "?"), 16)),
            Text(when(restored, now) if restored else _("no"), style="dim" if restored else ""),
        ]

    def show_caption(self) -> None:
        """How many, then what Restore would do for the selected entry, or why it is not offered."""
        if not self.records:
            self.caption.update(_("nothing archived: no entry was discarded"))
            return
        record = self.selected()
        note = f" · {self.restore_note(record)}" if record is not None else ""
        counted = ngettext("{n} archived", "{n} archived", len(self.records))
        self.caption.update(self.count_text(counted) + note)
        self.refresh_bindings()

    def restore_note(self, record: dict[str, Any]) -> str:
        backend = str(record.get("backend") or "?")
        if record.get("restored"):
            return _("this one was restored already")
        if offers(self.tui, backend, "restore"):
            return _("R puts it back in its queue")
        view = backend_view(self.tui, backend)
        if view is not None and Capability.RESTORE in view.snapshot.capabilities:
            return _("restoring is a change: this dashboard is read-only")
        return _("{backend} cannot take an entry back: no restore in its plugin").format(
            backend=one_line(backend, 40)
        )

    def selected(self) -> dict[str, Any] | None:
        table = self.query_one(DataTable)
        records = self.records or []
        return records[table.cursor_row] if 0 <= table.cursor_row < len(records) else None

    def on_data_table_row_highlighted(self) -> None:
        self.show_caption()

    def check_action(self, name: str, parameters: tuple[object, ...]) -> bool | None:
        if name != "restore_archived":
            return True
        record = self.selected()
        if record is None or not offers(self.tui, str(record.get("backend")), "restore"):
            return False
        return None if record.get("restored") else True  # shown, greyed, once it was restored

    def action_restore_archived(self) -> None:
        record = self.selected()
        if record is None or self.check_action("restore_archived", ()) is not True:
            return
        spec = action("restore")
        archive_id = str(record.get("archive_id"))
        request = ConfirmRequest.for_action(
            spec,
            _("archived {record}").format(record=record_words(record)),
            pin_required=self.tui.pin_required,
            count=1,
        )

        def confirmed(answer: Confirmation | None) -> None:
            if answer is None:
                return
            client = self.tui.client
            run_change(
                self,
                f"restore:{archive_id}",
                lambda: client.restore(archive_id, pin=answer.pin),
                self.after_restore,
            )

        self.app.push_screen(ConfirmScreen(request), confirmed)

    def after_restore(self, result: ActionResult | None, error: str | None) -> None:
        spec = action("restore")
        view = self.query_one("#action-result", ActionResultView)
        if result is None:
            view.show_error(spec.label, error or _("no answer"))
        else:
            view.show_result(spec, result)
        self.load()
