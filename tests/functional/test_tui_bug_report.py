"""Submit a Bug in the dashboard: the `b` key and the palette entry, the parts with their sizes, a part
left out (and what support loses), then the file, its size and the bundle id."""

from __future__ import annotations

import json
import tarfile

from textual.widgets import Button, Checkbox, OptionList, Static

from synctui.bundle.build import PAYLOAD_SAMPLE
from synctui.bundle.words import size_text
from synctui.model import QueueKind
from synctui.tui.screens.bug_report import BugReportScreen
from tests.functional.bundle_fakes import LeakyAgent, canary_config, write_log
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


def part_lines(screen: BugReportScreen) -> dict[str, str]:
    parts = screen.query_one("#bug-parts", OptionList)
    options = [parts.get_option_at_index(i) for i in range(parts.option_count)]
    return {str(option.id): str(option.prompt) for option in options}


def status_text(screen: BugReportScreen) -> str:
    return str(screen.query_one("#bug-status", Static).render())


async def logs_line(state_dir) -> str:
    app = make_app(LeakyAgent(), config=canary_config(state_dir))
    async with app.run_test(size=(80, 24)) as pilot:
        return part_lines(await open_dialog(app, pilot))["logs"]


async def test_logs_with_nothing_logged_are_not_offered_empty(tmp_path) -> None:
    """The dashboard's log file exists as soon as it starts, and stays empty while nothing reaches
    its level (warnings): the list says so instead of offering an empty part; a log with lines is in."""
    quiet = tmp_path / "quiet"
    quiet.mkdir()
    (quiet / "synctui.log").write_text("")
    line = await logs_line(quiet)
    assert line.startswith(" -  logs") and line.endswith("Nothing logged (warnings and errors only)")
    write_log(tmp_path / "logged")
    line = await logs_line(tmp_path / "logged")
    assert line.startswith("[x] logs") and line.endswith("End of the agent's and the dashboard's logs")


async def test_b_opens_submit_a_bug_and_writes_the_parts_kept(tmp_path) -> None:
    config = canary_config(tmp_path / "state")
    app = make_app(LeakyAgent(), config=config)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_dialog(app, pilot)
        lines = part_lines(screen)
        assert lines["screenshots"].startswith("[x] screenshots") and "KiB" in lines["screenshots"]
        # record contents only when the user puts them in
        assert lines["payloads"].startswith("[ ] payloads")
        assert "Without payloads: support cannot read the refused records themselves." in str(
            screen.query_one("#bug-losses", Static).render()
        )
        await pilot.press("space")  # the first part, highlighted: screenshots
        await pilot.pause()
        assert part_lines(screen)["screenshots"].startswith("[ ] screenshots")
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


async def test_payloads_are_sized_from_a_sample_and_read_in_full_only_when_kept(tmp_path) -> None:
    conflicts = 300
    agent = LeakyAgent(
        queue_sizes={QueueKind.OUTBOX: 212, QueueKind.INBOX: 4, QueueKind.CONFLICTS: conflicts}
    )
    app = make_app(agent, config=canary_config(tmp_path / "state"))
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_dialog(app, pilot)
        unread = screen.prepared.unread_payloads
        backends = len(unread.found.conflicts)
        assert unread.records == conflicts * backends and unread.sampled == PAYLOAD_SAMPLE * backends
        assert len([call for call in agent.calls if call[0] == "entry"]) == unread.sampled
        assert (
            part_lines(screen)["payloads"].startswith("[ ] payloads")
            and "~" in part_lines(screen)["payloads"]
        )
        assert f"Payloads: about {size_text(unread.estimate)}, told from {unread.sampled:,}" in status_text(
            screen
        )
        parts = screen.query_one("#bug-parts", OptionList)
        parts.highlighted = parts.get_option_index("payloads")
        await pilot.press("space")
        await pilot.pause()
        assert part_lines(screen)["payloads"].startswith("[x] payloads")
        assert "parts, about " in status_text(screen)
        await pilot.press("w")
        await until(pilot, lambda: screen.written, "the bundle written", steps=3000)
    read = [call for call in agent.calls if call[0] == "entry"]
    assert len(read) == unread.sampled + unread.records
    [written] = (tmp_path / "state" / "bug-reports").glob("synctui-bug-*.tar.gz")
    with tarfile.open(written, "r:gz") as tar:
        members = [m for m in tar if "/payloads/" in m.name]
        payloads = [json.loads(tar.extractfile(m).read()) for m in members]
    assert sorted(len(p["entries"]) for p in payloads) == [conflicts] * backends
    held = sum(m.size for m in members)
    assert abs(held - unread.estimate) < held * 0.2  # the estimate was about right


async def test_the_pseudonymise_box_is_marked_only_when_on(tmp_path) -> None:
    app = make_app(LeakyAgent(), config=canary_config(tmp_path / "state"))
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_dialog(app, pilot)
        box = screen.query_one("#bug-pseudonymise", Checkbox)
        assert "X" not in str(box.render())
        box.value = True
        await pilot.pause()
        assert "X" in str(box.render())


async def test_the_status_names_the_key_that_writes_as_the_keymap_has_it(tmp_path) -> None:
    """It said "W writes it." while the key was w (and a user's keymap may move it)."""
    for keymap, key in ((None, "w"), ({"bug_report_write": "ctrl+w"}, "^w")):
        app = make_app(LeakyAgent(), config=canary_config(tmp_path / str(key != "w")), keymap=keymap)
        async with app.run_test(size=(80, 24)) as pilot:
            screen = await open_dialog(app, pilot)
            assert f"; {key} writes it." in status_text(screen), status_text(screen)
