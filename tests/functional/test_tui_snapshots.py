"""SVG snapshots of the dashboard on fixed data and a fixed clock (update with --snapshot-update)."""

from __future__ import annotations

from synctui.tui.screens.sync_progress import SyncProgressScreen
from tests.functional.tui_fakes import FakeAgentClient, first_refresh_state, make_app, synced_state, until


async def _loaded(pilot) -> None:
    await until(
        pilot,
        lambda: pilot.app.agent_state is not None and pilot.app.fully_composed,
        "first state, whole screen",
    )
    await pilot.pause()


def test_main_80x24(snap_compare):
    assert snap_compare(make_app(), run_before=_loaded, terminal_size=(80, 24))


def test_main_wide(snap_compare):
    assert snap_compare(make_app(), run_before=_loaded, terminal_size=(120, 32))


def test_all_synced(snap_compare):
    assert snap_compare(make_app(FakeAgentClient(synced_state())), run_before=_loaded, terminal_size=(80, 24))


def test_sync_failed_modal(snap_compare):
    async def run_before(pilot) -> None:
        await _loaded(pilot)
        await pilot.press("s")
        await until(
            pilot,
            lambda: isinstance(pilot.app.screen, SyncProgressScreen) and pilot.app.screen.phase == "failed",
            "Sync Failed",
        )

    app = make_app(FakeAgentClient(sync_outcomes=["fail"]))
    assert snap_compare(app, run_before=run_before, terminal_size=(80, 24))


def test_sunlight_theme(snap_compare):
    assert snap_compare(make_app(theme="sunlight"), run_before=_loaded, terminal_size=(80, 24))


def test_console_16_colour_theme(snap_compare):
    assert snap_compare(make_app(theme="console"), run_before=_loaded, terminal_size=(80, 24))


def test_sync_finished_needs_attention(snap_compare):
    """The sync ended well but 2 entries stay rejected: not "Data Synced", and the key that opens them."""

    async def run_before(pilot) -> None:
        await _loaded(pilot)
        await pilot.press("s")
        await until(
            pilot,
            lambda: isinstance(pilot.app.screen, SyncProgressScreen) and pilot.app.screen.phase == "done",
            "the end of the sync, judged",
        )
        await pilot.pause()

    app = make_app(FakeAgentClient(sync_outcomes=["conflicts"]))
    assert snap_compare(app, run_before=run_before, terminal_size=(80, 24))


def test_unknown_before_first_refresh(snap_compare):
    """Before the agent's first good read: "?" and why on every card, never 0 or n/a."""
    app = make_app(FakeAgentClient(first_refresh_state()))
    assert snap_compare(app, run_before=_loaded, terminal_size=(80, 24))
