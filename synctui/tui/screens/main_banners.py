"""The main screen's banners above the cards, each mounted the first time it has something to show.

Composing the four banners while empty cost ≈ 5 ms of the first frame, and usually none but the
verdict banner has anything to say then. Once mounted, a banner stays and hides itself when empty
(its `-shown` class); mounting one later is cheap."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import TypeVar

from textual.widget import Widget

from synctui.diagnosis import diagnoses
from synctui.model import AgentState, BackendView, Verdict
from synctui.tui.widgets.header.status_banner import StatusBanner, notices
from synctui.tui.widgets.queues.queue_diagnosis import QueueDiagnosis
from synctui.tui.widgets.shared.steady_static import SteadyStatic
from synctui.tui.widgets.sync.all_synced_banner import AllSyncedBanner
from synctui.tui.widgets.sync.sync_progress_panel import SyncProgressPanel, shown, sync_progress

B = TypeVar("B", bound=SteadyStatic)

ORDER: tuple[tuple[type[SteadyStatic], str], ...] = (  # on screen, above the cards; with their ids
    (StatusBanner, "notices"),
    (AllSyncedBanner, "synced"),
    (SyncProgressPanel, "progress"),
    (QueueDiagnosis, "diagnosis"),
)


class Banners:
    """The banners mounted so far on one screen."""

    def __init__(self) -> None:
        self.mounted: dict[type[SteadyStatic], SteadyStatic] = {}

    def get(self, kind: type[B]) -> B | None:
        return self.mounted.get(kind)  # type: ignore[return-value]

    def due(
        self,
        state: AgentState | None,
        view: BackendView | None,
        error: str | None,
        now: datetime,
        verdict: Verdict | None,
    ) -> Iterator[tuple[SteadyStatic, Widget | str]]:
        """(banner, what to mount it before) for each banner not mounted yet that now has something to
        show; each counts as mounted once given out."""
        wanted = {
            StatusBanner: lambda: bool(notices(state, view, error, now, verdict)),
            AllSyncedBanner: lambda: state is not None,
            SyncProgressPanel: lambda: shown(sync_progress(view)),
            QueueDiagnosis: lambda: view is not None and bool(diagnoses(view, now)),
        }
        for index, (kind, name) in enumerate(ORDER):
            if kind in self.mounted or not wanted[kind]():
                continue
            later = (self.mounted[k] for k, _name in ORDER[index + 1 :] if k in self.mounted)
            before = next(later, "#cards")
            self.mounted[kind] = banner = kind("", id=name)
            yield banner, before
