"""The fleet screen on a generated fleet in a real Prometheus, drawn with a clock at the fleet's time:
riskiest first, filter, the device screen from Prometheus, and SVG snapshots of both screens at 80×24
and 120×40 (update with --snapshot-update)."""

from __future__ import annotations

from datetime import UTC, datetime

from textual.widgets import DataTable, Input, Static

from synctui.fleet.queries import FleetClient
from synctui.fleet.screen import DeviceScreen, FleetApp
from synctui.fleet.table import Summary, risk, summarise
from tests.functional.tui_fakes import until

from .generator import device_name


def fleet_app(generated_fleet) -> FleetApp:
    prom, now = generated_fleet
    return FleetApp(FleetClient(prom.url), clock=lambda: datetime.fromtimestamp(now, UTC))


async def loaded(pilot) -> None:
    await until(pilot, lambda: pilot.app.loaded, "the fleet read from Prometheus", steps=1000)
    await pilot.pause()


async def filter_by(pilot, words: str) -> None:
    await pilot.press("slash")
    box = pilot.app.query_one("#filter", Input)
    assert box.has_focus
    box.value = words
    await pilot.pause()


async def test_rows_are_riskiest_first_and_filter_narrows_them(generated_fleet):
    app = fleet_app(generated_fleet)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        await pilot.press("r")  # keys go to the table (a refresh), not to the hidden filter box
        assert app.query_one("#filter", Input).value == ""
        now = app.clock()
        risks = [risk(row, now) for row in app.shown]
        assert len(risks) == 30 and risks == sorted(risks, reverse=True)
        table = app.query_one(DataTable)
        assert table.row_count == 30
        await filter_by(pilot, "site=site-03")
        assert [row.device for row in app.shown] == [device_name(3)]
        await pilot.press("escape")
        assert len(app.shown) == 30
        await filter_by(pilot, "unknown")
        assert [row.device for row in app.shown] == [device_name(12), device_name(25)]


async def device_shown(pilot, site: str = "site-24") -> None:
    """The device of `site` opened with Enter, its backends read from Prometheus."""
    await loaded(pilot)
    await filter_by(pilot, f"site={site}")
    await pilot.press("enter", "enter")  # out of the filter box, then on the device
    app = pilot.app
    await until(pilot, lambda: isinstance(app.screen, DeviceScreen) and app.screen.backends, "the detail")
    await pilot.pause()


async def test_enter_shows_the_device_backends_from_prometheus(generated_fleet):
    app = fleet_app(generated_fleet)
    async with app.run_test(size=(120, 40)) as pilot:
        await device_shown(pilot)
        screen = app.screen
        assert [b.backend for b in screen.backends] == ["campaign", "dcdr", "stock"]
        dcdr = screen.backends[1]
        assert ("attention", "stuck") in dcdr.reasons and dcdr.queues["conflicts"] == 2
        assert dcdr.adapter_version == "0.1.0"
        await pilot.press("slash", "o")  # the table's filter is not reachable from here; no agent to open
        assert app.screen is screen and app.query_one("#filter", Input).value == "site=site-24"
        await pilot.press("escape", "r")
        assert not isinstance(app.screen, DeviceScreen)
        assert app.query_one("#filter", Input).value == "site=site-24"


def test_fleet_80x24(snap_compare, generated_fleet):
    assert snap_compare(fleet_app(generated_fleet), run_before=loaded, terminal_size=(80, 24))


def test_fleet_120x40(snap_compare, generated_fleet):
    assert snap_compare(fleet_app(generated_fleet), run_before=loaded, terminal_size=(120, 40))


async def test_a_silent_device_shows_what_its_backends_said_not_a_current_verdict(generated_fleet):
    app = fleet_app(generated_fleet)
    async with app.run_test(size=(120, 40)) as pilot:
        await device_shown(pilot, "site-12")  # silent for 3 days
        body = str(app.screen.query_one("#device-body", Static).content)
        assert "as it last reported, 3d 0h ago (not known now):" in body
        assert body.count("said: Waiting") == 3 and "\ndcdr (santedb) Waiting" not in body


def test_device_80x24(snap_compare, generated_fleet):
    assert snap_compare(fleet_app(generated_fleet), run_before=device_shown, terminal_size=(80, 24))


def test_device_120x40(snap_compare, generated_fleet):
    assert snap_compare(fleet_app(generated_fleet), run_before=device_shown, terminal_size=(120, 40))


async def test_the_first_page_and_the_counted_summary_agree_with_reading_every_device(generated_fleet):
    prom, _ = generated_fleet
    client = FleetClient(prom.url)
    try:
        at = datetime.now(UTC)  # the time Prometheus counts at, give or take the queries
        every = await client.devices()
        first = await client.first_page({}, 5)
        devices, histogram, never = await client.full_sync_counts()
    finally:
        await client.aclose()
    riskiest = sorted(every, key=lambda row: -risk(row, at))[:5]
    assert {row.device for row in first} == {row.device for row in riskiest}
    counted = Summary.of(devices, histogram, never)
    read = summarise(every, at)
    assert (counted.devices, counted.never, counted.unknown) == (read.devices, read.never, read.unknown)
    assert counted.histogram == read.histogram
