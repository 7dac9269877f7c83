"""SVG snapshots of mSupply and HCM dashboards and of the repair screens (update with --snapshot-update)."""

from __future__ import annotations

import pytest
from textual.widgets import DataTable, Input

from synctui.tui.screens.compare import CompareScreen
from synctui.tui.screens.confirm import ConfirmScreen
from synctui.tui.screens.sync_progress import SyncProgressScreen
from synctui.tui.widgets.queues.entry_rows import EntryRows
from tests.functional.backend_fakes import (
    MSUPPLY_ERRORS,
    hcm_progress,
    hcm_snapshot,
    hcm_sync,
    msupply_failed_sync,
    msupply_snapshot,
    state_of,
)
from tests.functional.repair_helpers import loaded, open_browser, open_inspector, repair_app
from tests.functional.tui_fakes import FakeAgentClient, make_app, until


def app_for(*snapshots, **changes):
    return make_app(FakeAgentClient(state_of(*snapshots, **changes)))


def sync_until(phase: str):
    async def run_before(pilot) -> None:
        await loaded(pilot)
        await pilot.press("s")
        await until(
            pilot,
            lambda: isinstance(pilot.app.screen, SyncProgressScreen) and pilot.app.screen.phase == phase,
            phase,
        )
        await pilot.pause()

    return run_before


def test_msupply_mid_sync(snap_compare):
    assert snap_compare(app_for(msupply_snapshot("running")), run_before=loaded, terminal_size=(80, 24))


def test_msupply_hung(snap_compare):
    assert snap_compare(app_for(msupply_snapshot("hung")), run_before=loaded, terminal_size=(80, 24))


@pytest.mark.parametrize("kind", sorted(MSUPPLY_ERRORS))
def test_msupply_sync_failed(snap_compare, kind):
    """Sync Failed as a field technician sees it, for one mSupply error of every category."""
    app = app_for(msupply_snapshot("failed"))
    app.client.sync_plans["clinic"] = [msupply_failed_sync(kind)]
    assert snap_compare(app, run_before=sync_until("failed"), terminal_size=(80, 24))


def test_hcm_dashboard(snap_compare):
    assert snap_compare(app_for(hcm_snapshot()), run_before=loaded, terminal_size=(80, 24))


def test_hcm_progress_dialog(snap_compare):
    app = app_for(hcm_snapshot(progress=hcm_progress()))
    app.client.sync_plans["hcm"] = [hcm_sync(final=False)]
    assert snap_compare(app, run_before=sync_until("running"), terminal_size=(80, 24))


def test_hcm_sync_failed(snap_compare):
    app = app_for(hcm_snapshot())
    app.client.sync_plans["hcm"] = [hcm_sync(final=True)]
    assert snap_compare(app, run_before=sync_until("failed"), terminal_size=(80, 24))


def test_inspector_409(snap_compare):
    async def run_before(pilot) -> None:
        browser = await open_browser(pilot)
        browser.query_one(EntryRows).move_cursor(row=2)  # attempts 2: the "tried 2 times" marker
        await pilot.press("enter")
        await until(pilot, lambda: getattr(pilot.app.screen, "detail", None) is not None, "entry detail")
        await pilot.pause()

    assert snap_compare(repair_app()[1], run_before=run_before, terminal_size=(80, 24))


@pytest.mark.parametrize("size", [(80, 24), (120, 24)])
def test_compare_view(snap_compare, size):
    async def run_before(pilot) -> None:
        await open_inspector(pilot)
        await pilot.press("c")
        await until(
            pilot, lambda: isinstance(pilot.app.screen, CompareScreen) and pilot.app.screen.fields, "diff"
        )
        await pilot.pause()

    assert snap_compare(repair_app()[1], run_before=run_before, terminal_size=size)


def test_confirm_with_pin(snap_compare):
    async def run_before(pilot) -> None:
        await open_inspector(pilot)
        await pilot.press("d")
        await until(pilot, lambda: isinstance(pilot.app.screen, ConfirmScreen), "confirm")
        dialog = pilot.app.screen
        dialog.query_one("#confirm-word", Input).value = "DISCARD"
        dialog.query_one("#confirm-pin", Input).value = "2468"
        dialog.query_one("#confirm-pin", Input).focus()
        await pilot.pause()

    assert snap_compare(repair_app(pin_required=True)[1], run_before=run_before, terminal_size=(80, 24))


def test_readonly_main(snap_compare):
    async def run_before(pilot) -> None:
        await loaded(pilot)
        pilot.app.screen.query_one("#sync-log", DataTable).focus()
        await pilot.pause()

    assert snap_compare(repair_app(readonly=True)[1], run_before=run_before, terminal_size=(80, 24))
