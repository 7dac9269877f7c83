"""`synctui open`: the same dashboard on a bundle's state, read-only, through a client of the same
interface as the live agent; a damaged bundle ends in one line."""

from __future__ import annotations

import io
import re
import tarfile
from pathlib import Path

import pytest
from rich.console import Console

from synctui.actions import CATALOGUE
from synctui.bundle import layout
from synctui.bundle.client import BundleClient
from synctui.bundle.contents import BundleError
from synctui.bundle.parts import DEFAULT_PARTS
from synctui.bundle.reader import open_bundle
from synctui.bundle.write import write
from synctui.cli import main
from synctui.client_interface import AgentRefused
from synctui.model import QueueKind
from synctui.tui.app import SyncTuiApp
from synctui.tui.changes import offers
from synctui.tui.commands import DashboardCommands
from synctui.tui.screens.help import help_text
from synctui.tui.screens.queue_browser import QueueBrowserScreen
from synctui.tui.step_keys import step_with_keys
from tests.functional.bundle_fakes import LeakyAgent, canary_config, make_bundle
from tests.functional.tui_fakes import NOW, clock, make_app, until

SIZE = (80, 24)
STALE_STEP = "Wait for the first refresh, or refresh now."


async def settled(pilot) -> None:
    """Two rounds of messages: a layout change after the first frame is drawn too (as in screenshots)."""
    await pilot.pause()
    await pilot.pause()


def screen_lines(app: SyncTuiApp) -> list[str]:
    width, height = app.size
    console = Console(width=width, height=height, file=io.StringIO(), record=True, legacy_windows=False)
    console.print(app.screen._compositor.render_update(full=True, screen_stack=app._background_screens))
    return console.export_text().splitlines()


@pytest.fixture
async def bundle(tmp_path) -> Path:
    prepared = await make_bundle(LeakyAgent(), canary_config(tmp_path / "state"))
    return write(prepared, set(DEFAULT_PARTS), tmp_path / "bundle.tar.gz").path


def opened_app(path: Path) -> SyncTuiApp:
    opened = open_bundle(path)
    client = BundleClient(opened.contents, f"bundle {opened.bundle_id}")
    return SyncTuiApp(client, theme="dark", readonly=True, clock=lambda: opened.contents.taken_at)


async def test_the_bundles_screenshot_is_the_live_dashboards_svg(tmp_path) -> None:
    prepared = await make_bundle(LeakyAgent(), canary_config(tmp_path / "state"))
    _, svg = prepared.files[layout.dashboard_screen("santedb", SIZE)]
    live = make_app(LeakyAgent())
    async with live.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: live.agent_state is not None, "the first state")
        await settled(pilot)
        shown = live.export_screenshot(
            title=f"synctui bug report {prepared.bundle_id} — santedb", simplify=True
        )
    assert svg.decode() == shown


@pytest.mark.parametrize("size", [SIZE, (120, 40)])
async def test_the_bundles_queue_page_is_what_the_dashboard_draws_at_both_sizes(tmp_path, size) -> None:
    """The pages are shot in a hurry (one screen after another, resized, no idle sleeps): each must be
    what the dashboard draws when the user opens that queue on the same (cleaned) data."""
    prepared = await make_bundle(LeakyAgent(), canary_config(tmp_path / "state"))
    _, svg = prepared.files[layout.queue_screen("santedb", QueueKind.CONFLICTS, size)]
    opened = open_bundle(write(prepared, set(DEFAULT_PARTS), tmp_path / "b.tar.gz").path)
    app = SyncTuiApp(
        BundleClient(opened.contents, "", opened=False), theme="dark", clock=lambda: opened.contents.taken_at
    )
    async with app.run_test(size=size) as pilot:
        await until(pilot, lambda: app.agent_state is not None, "the first state")
        app.open_queue(QueueKind.CONFLICTS)
        await until(pilot, lambda: getattr(app.screen, "page", None) is not None, "the first page")
        await settled(pilot)
        shown = app.export_screenshot(
            title=f"synctui bug report {prepared.bundle_id} — santedb conflicts", simplify=True
        )
    assert svg.decode() == shown


async def test_open_draws_the_same_main_screen_read_only(bundle: Path) -> None:
    live = make_app(LeakyAgent())
    async with live.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: live.agent_state is not None, "the first state")
        await settled(pilot)
        live_lines = screen_lines(live)
    app = opened_app(bundle)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.agent_state is not None, "the bundle's state")
        await settled(pilot)
        opened_lines = screen_lines(app)
        assert app.is_readonly
    # the header names the bundle instead of the agent, the footer offers no change, and a step the
    # reader cannot take is not offered: a stuck queue is reviewed, not synchronized
    read_only_steps = [
        line.replace("press s to synchronize", "press 1 to review     ") for line in live_lines
    ]
    assert opened_lines[1:-1] == read_only_steps[1:-1]
    assert "read-only" in opened_lines[0] and "bundle" in opened_lines[0]
    assert "Sync now" in live_lines[-1] and "Sync now" not in opened_lines[-1]


async def test_every_change_is_hidden_and_refused(bundle: Path) -> None:
    app = opened_app(bundle)
    client: BundleClient = app.client  # type: ignore[assignment]
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.agent_state is not None, "the bundle's state")
        for spec in CATALOGUE:
            for view in app.agent_state.backends:
                for queue in (None, *QueueKind):
                    assert not offers(app, view.snapshot.backend, spec, queue), spec.name
        await pilot.press("s")
        await pilot.pause()
        assert app.screen_stack[-1].__class__.__name__ == "MainScreen"
    changes = [
        client.synchronize("santedb"),
        client.retry("santedb", None),
        client.discard("santedb", QueueKind.CONFLICTS, ["conflicts-00000"]),
        client.reset("santedb", None),
        client.resubmit("santedb", NOW, NOW),
        client.cancel("santedb", "a"),
        client.change_settings("santedb", {"a": "b"}),
        client.check_connection("santedb"),
        client.count_remotes("santedb"),
        client.refresh(),
    ]
    for change in changes:
        with pytest.raises(AgentRefused) as refused:
            await change
        assert refused.value.status == 403 and "support bundle" in refused.value.message


def refresh_offered(app: SyncTuiApp) -> dict[str, bool]:
    """Where the dashboard offers Refresh: its footer (the active bindings), the help and the palette; and
    whether the help lists the other actions that ask the device (Count Remotes, Check connection,
    Compare, Submit a Bug), which the footer and the palette already leave out."""
    return {
        "footer": any(b.binding.action == "refresh" for b in app.screen.active_bindings.values()),
        "help": bool(re.search(r" refresh$", help_text(app, app.size.width).plain, re.MULTILINE)),
        "help, the device's other answers": any(
            re.search(rf" {binding_id}$", help_text(app, app.size.width).plain, re.MULTILINE)
            for binding_id in ("count_remotes", "check_connection", "compare_entry", "bug_report")
        ),
        "palette": "Refresh" in [title for title, *_ in DashboardCommands(app.screen)._commands()],
    }


async def test_what_needs_the_device_is_not_offered(bundle: Path) -> None:
    """Refresh (and Count Remotes, Check connection, Compare, a bug report) ask the device; a bundle
    cannot reach it, so they are offered nowhere and Refresh's key does nothing (the live dashboard
    offers them)."""
    live = make_app(LeakyAgent())
    async with live.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: live.agent_state is not None, "the first state")
        assert all(refresh_offered(live).values())
        assert (
            step_with_keys(live, STALE_STEP, "refresh") == "Wait for the first refresh, or refresh now (r)."
        )
    app = opened_app(bundle)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.agent_state is not None, "the bundle's state")
        await settled(pilot)
        assert not any(refresh_offered(app).values()), refresh_offered(app)
        assert step_with_keys(app, STALE_STEP, "refresh") == STALE_STEP  # the words are the verdict's
        await pilot.press("r")
        await settled(pilot)
        assert [n.message for n in app._notifications] == []


async def test_support_browses_the_queues_and_reads_each_rejection(bundle: Path) -> None:
    app = opened_app(bundle)
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: app.agent_state is not None, "the bundle's state")
        await pilot.press("4")
        await until(pilot, lambda: isinstance(app.screen, QueueBrowserScreen) and app.screen.page is not None)
        page = app.screen.page
        assert page.total == 3 and [e.rejection.code for e in page.entries] == ["INCORRECT_PASSWORD"] * 3
        text = "\n".join(screen_lines(app))
        assert "login refused for nurse" in text and "Pa55word" not in text
    client: BundleClient = app.client  # type: ignore[assignment]
    with pytest.raises(AgentRefused, match="does not hold it"):
        await client.entry("santedb", QueueKind.CONFLICTS, "conflicts-00000")  # payloads were left out
    with pytest.raises(AgentRefused, match="only the first page"):
        await client.entries("santedb", QueueKind.OUTBOX, offset=50)


def damaged(path: Path, how: str) -> Path:
    data = path.read_bytes()
    if how == "truncated":
        data = data[: len(data) // 2]
    elif how == "flipped":
        middle = len(data) // 2
        data = data[:middle] + bytes([data[middle] ^ 0xFF]) + data[middle + 1 :]
    elif how == "not-a-bundle":
        data = b"hello, this is not a tar.gz\n"
    elif how == "no-manifest":
        buffer = io.BytesIO()
        with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
            info = tarfile.TarInfo("synctui-bug-X/state.json")
            info.size = 2
            tar.addfile(info, io.BytesIO(b"{}"))
        data = buffer.getvalue()
    out = path.with_name(f"{how}.tar.gz")
    out.write_bytes(data)
    return out


@pytest.mark.parametrize("how", ["truncated", "flipped", "not-a-bundle", "no-manifest"])
def test_a_damaged_bundle_is_one_line(bundle: Path, how: str, capsys) -> None:
    path = damaged(bundle, how)
    with pytest.raises(BundleError):
        open_bundle(path)
    assert main(["open", str(path)]) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"synctui: {path} is not a readable support bundle: ")


def test_a_missing_bundle_is_one_line(tmp_path, capsys) -> None:
    assert main(["open", str(tmp_path / "nothing.tar.gz")]) == 1
    assert capsys.readouterr().err.strip().endswith("cannot read it: No such file or directory")


async def test_frozen_clock_shows_ages_as_they_were(bundle: Path) -> None:
    opened = open_bundle(bundle)
    assert opened.contents.taken_at == clock() == NOW
