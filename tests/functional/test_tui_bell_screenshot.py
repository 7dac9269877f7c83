"""Issue 11, items 4 and 6 in the dashboard: the terminal bell rings once per turn to ATTENTION (when
`[dashboard] bell` is on), and Screenshot saves an SVG in the screenshot folder and says where."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from synctui.model import Level
from synctui.tui.look import ASCII, glyphs
from tests.functional.tui_fakes import FakeAgentClient, conflicts_state, make_app, synced_state, until


def bell_counter(app) -> list[int]:
    rings: list[int] = []
    app.bell = lambda: rings.append(1)
    return rings


async def pushed(pilot, fake: FakeAgentClient, state, level: Level) -> None:
    fake.current = state
    fake.push(state)
    await until(pilot, lambda: pilot.app.verdict("santedb").level is level, f"santedb {level.name}")


async def test_the_bell_rings_once_per_turn_to_attention_not_on_every_refresh():
    fake = FakeAgentClient(synced_state())
    app = make_app(fake, bell=True)
    rings = bell_counter(app)
    async with app.run_test() as pilot:
        await until(pilot, lambda: app.verdict("santedb").level is Level.SAFE, "santedb SAFE")
        assert rings == []
        await pushed(pilot, fake, conflicts_state(), Level.ATTENTION)
        assert len(rings) == 1
        for revision in range(2, 5):  # refreshes that find it still in ATTENTION
            fake.push(replace(conflicts_state(), revision=revision))
            await pilot.pause()
        app._judge_tick()
        assert len(rings) == 1
        await pushed(pilot, fake, replace(synced_state(), revision=5), Level.SAFE)
        await pushed(pilot, fake, replace(conflicts_state(), revision=6), Level.ATTENTION)
        assert len(rings) == 2


async def test_the_bell_stays_silent_unless_configured():
    fake = FakeAgentClient(synced_state())
    app = make_app(fake)
    rings = bell_counter(app)
    async with app.run_test() as pilot:
        await until(pilot, lambda: app.verdict("santedb").level is Level.SAFE, "santedb SAFE")
        await pushed(pilot, fake, conflicts_state(), Level.ATTENTION)
        assert rings == []


def notes(app) -> list[tuple[str, str]]:
    return [(n.message, n.severity) for n in app._notifications]


async def test_the_palettes_screenshot_saves_an_svg_in_the_screenshot_folder_and_names_it(tmp_path):
    folder = tmp_path / "no-such-folder-yet" / "screenshots"
    app = make_app(FakeAgentClient(synced_state()), screenshot_dir=folder)
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: app.agent_state is not None, "first state")
        (command,) = [c for c in app.get_system_commands(app.screen) if c.title == "Screenshot"]
        command.callback()  # what choosing "Screenshot" in the command palette runs
        await until(pilot, lambda: any(folder.glob("*.svg")), "the screenshot file")
        (saved,) = folder.glob("*.svg")
        assert saved.read_text(encoding="utf-8").startswith("<svg")
        await until(pilot, lambda: any(str(saved) in m for m, _ in notes(app)), "a note naming the file")
        assert not any("Failed" in m for m, _ in notes(app))


async def test_a_screenshot_that_cannot_be_written_says_where_and_why(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    app = make_app(FakeAgentClient(synced_state()), screenshot_dir=blocker / "screenshots")
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: app.agent_state is not None, "first state")
        assert app.deliver_screenshot() is None
        await pilot.pause()
        ((message, severity),) = [(m, s) for m, s in notes(app) if "Screenshot" in m]
        assert severity == "error"
        assert message.startswith(f"Screenshot not saved: cannot write in {blocker / 'screenshots'}: ")


async def test_screenshot_dir_defaults_to_the_state_folder(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))
    app = make_app(FakeAgentClient(synced_state()))
    assert app.screenshot_dir == Path(tmp_path) / "synctui" / "screenshots"


async def test_the_bare_linux_console_gets_the_console_theme_and_ascii_marks(monkeypatch):
    monkeypatch.setenv("TERM", "linux")
    app = make_app(FakeAgentClient(synced_state()), theme=None)
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: app.agent_state is not None, "first state")
        assert app.theme == "synctui-console"
        assert glyphs(app) is ASCII
