"""Submit a Bug in the dashboard: the `b` key and the palette entry, the parts with their sizes, a part
left out (and what support loses), then the file, its size and the bundle id."""

from __future__ import annotations

import json
import tarfile

from textual.widgets import Button, SelectionList, Static

from synctui.tui.screens.bug_report import BugReportScreen
from tests.functional.bundle_fakes import LeakyAgent, canary_config
from tests.functional.tui_fakes import make_app, until


async def open_dialog(app, pilot) -> BugReportScreen:
    """`b`, then wait until the dialog has collected the parts."""
    await until(pilot, lambda: app.agent_state is not None, "the first state")
    await pilot.press("b")
    await until(pilot, lambda: isinstance(app.screen, BugReportScreen), "the dialog")
    screen: BugReportScreen = app.screen  # type: ignore[assignment]
    await until(pilot, lambda: screen.prepared is not None, "the parts collected", steps=3000)
    await pilot.pause()
    return screen


def status_text(screen: BugReportScreen) -> str:
    return str(screen.query_one("#bug-status", Static).render())


async def test_b_opens_submit_a_bug_and_writes_the_parts_kept(tmp_path) -> None:
    config = canary_config(tmp_path / "state")
    app = make_app(LeakyAgent(), config=config)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_dialog(app, pilot)
        parts = screen.query_one("#bug-parts", SelectionList)
        prompts = [str(parts.get_option_at_index(i).prompt) for i in range(parts.option_count)]
        assert prompts[0].startswith("screenshots") and "KiB" in prompts[0]
        assert "payloads" not in parts.selected  # record contents only when the user puts them in
        assert "Without payloads: support cannot read the refused records themselves." in str(
            screen.query_one("#bug-losses", Static).render()
        )
        parts.deselect("screenshots")
        await pilot.pause()
        assert "Without screenshots: support cannot see the screens as you saw them." in str(
            screen.query_one("#bug-losses", Static).render()
        )
        await pilot.press("w")
        await until(pilot, lambda: screen.written, "the bundle written", steps=2000)
        status = status_text(screen)
        assert "Bug report written: " in status and "Bundle id: " in status
        assert screen.query_one("#bug-write", Button).disabled
    [written] = (tmp_path / "state" / "bug-reports").glob("synctui-bug-*.tar.gz")
    assert written.name.split("-")[-1].removesuffix(".tar.gz") in status.replace("-", "")
    with tarfile.open(written, "r:gz") as tar:
        names = [m.name.partition("/")[2] for m in tar]
        manifest = json.loads(tar.extractfile(tar.getmembers()[0]).read())
    assert not any(name.startswith(("screens/", "payloads/")) for name in names)
    assert {item["part"] for item in manifest["left_out"]} >= {"screenshots", "payloads"}


async def test_submit_a_bug_is_in_the_palette_and_hidden_without_a_config(tmp_path) -> None:
    from synctui.tui.commands import DashboardCommands

    with_config = make_app(LeakyAgent(), config=canary_config(tmp_path / "state"))
    without = make_app(LeakyAgent())
    for app, offered in ((with_config, True), (without, False)):
        async with app.run_test(size=(80, 24)) as pilot:
            await until(pilot, lambda app=app: app.agent_state is not None, "the first state")
            provider = DashboardCommands(app.screen)
            titles = [title for title, *_ in provider._commands()]
            assert ("Submit a Bug" in titles) is offered
            await pilot.press("b")
            await pilot.pause()
            assert isinstance(app.screen, BugReportScreen) is offered


async def test_pseudonymise_collects_again_with_pseudonyms(tmp_path) -> None:
    from textual.widgets import Checkbox

    app = make_app(LeakyAgent(), config=canary_config(tmp_path / "state"))
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_dialog(app, pilot)
        first = screen.prepared
        screen.query_one("#bug-pseudonymise", Checkbox).value = True
        await until(pilot, lambda: screen.prepared is not first, "collected again", steps=3000)
        await pilot.pause()
        assert screen.prepared.pseudonymised
        assert "names pseudonymised" in status_text(screen)
        config = screen.prepared.files["config.json"][1]
        assert b"clinic-7.health.example" not in config and b"host-" in config
    assert (tmp_path / "state" / "bundle-pseudonyms.json").exists()
