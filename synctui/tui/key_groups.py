"""Every binding of the dashboard, grouped by the screen (or widget, or the app) that declares it: what
the help screen lists, the command palette offers and a keymap may name. Imported when first needed
(help, palette, checking a keymap), since it imports every screen.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache

from synctui.i18n import N_
from synctui.tui.keymap import DashboardBinding


@dataclass(frozen=True)
class KeyGroup:
    scope: str  # short name: "main", "browser"…
    title: str  # where the keys work, for the help screen (English; shown through _())
    owner: type  # the class whose BINDINGS these are

    @property
    def bindings(self) -> list[DashboardBinding]:
        return [b for b in self.owner.BINDINGS if isinstance(b, DashboardBinding)]  # type: ignore[attr-defined]


@cache
def key_groups() -> tuple[KeyGroup, ...]:
    from synctui.tui.app import SyncTuiApp
    from synctui.tui.screens.archive import ArchiveScreen
    from synctui.tui.screens.audit import AuditScreen
    from synctui.tui.screens.backend_details import BackendDetailsScreen
    from synctui.tui.screens.bug_report import BugReportScreen
    from synctui.tui.screens.compare import CompareScreen
    from synctui.tui.screens.confirm import ConfirmScreen
    from synctui.tui.screens.entry_inspector import EntryInspectorScreen
    from synctui.tui.screens.help import HelpScreen
    from synctui.tui.screens.main import MainScreen
    from synctui.tui.screens.queue_browser import QueueBrowserScreen
    from synctui.tui.screens.sync_progress import SyncProgressScreen
    from synctui.tui.widgets.queues.queue_card import QueueCard

    return (
        KeyGroup("app", N_("Everywhere"), SyncTuiApp),
        KeyGroup("main", N_("Dashboard"), MainScreen),
        KeyGroup("card", N_("Queue card"), QueueCard),
        KeyGroup("browser", N_("Queue browser"), QueueBrowserScreen),
        KeyGroup("inspector", N_("Entry inspector"), EntryInspectorScreen),
        KeyGroup("sync", N_("Synchronize dialog"), SyncProgressScreen),
        KeyGroup("compare", N_("Compare"), CompareScreen),
        KeyGroup("confirm", N_("Confirmation"), ConfirmScreen),
        KeyGroup("audit", N_("Audit log"), AuditScreen),
        KeyGroup("archive", N_("Archive"), ArchiveScreen),
        KeyGroup("details", N_("Backend details"), BackendDetailsScreen),
        KeyGroup("help", N_("Help"), HelpScreen),
        KeyGroup("bugreport", N_("Submit a Bug"), BugReportScreen),
    )


def grouped_bindings() -> Iterator[tuple[KeyGroup, DashboardBinding]]:
    for group in key_groups():
        for binding in group.bindings:
            yield group, binding


def binding_ids() -> set[str]:
    return {binding.id for _, binding in grouped_bindings() if binding.id}
