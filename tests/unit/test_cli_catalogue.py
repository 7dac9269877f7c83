"""The command line obeys the action catalogue (synctui.actions) for every change: read-only refuses it
locally (exit 4, nothing sent), its confirm word is asked, the PIN is sent only when it takes one."""

from __future__ import annotations

import sys
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from synctui.actions import CATALOGUE, ActionSpec
from synctui.cli import main
from synctui.model import ActionResult, EntryResult

from .cli_fake_agent import FakeAgent, now, snapshot, state, sync_status, view

# One command line per change action of the catalogue.
COMMAND = {
    "synchronize": ["sync", "clinic"],
    "retry": ["queue", "retry", "clinic", "e1", "e2"],
    "retry-all": ["queue", "retry", "clinic", "--all"],
    "discard": ["queue", "discard", "clinic", "conflicts", "e1"],
    "discard-unsent": ["queue", "discard", "clinic", "outbox", "e1"],
    "reset": ["reset", "clinic", "patients"],
    "reset-all": ["reset", "clinic", "--all"],
    "resubmit": ["resubmit", "clinic", "--since", "2026-01-01", "--until", "2026-01-31"],
    "restore": ["archive", "restore", "a1"],
    "change-settings": ["settings", "clinic", "interval=60"],
}
PATH = {
    "synchronize": "/v1/backends/clinic/synchronize",
    "retry": "/v1/backends/clinic/retry",
    "retry-all": "/v1/backends/clinic/retry",
    "discard": "/v1/backends/clinic/discard",
    "discard-unsent": "/v1/backends/clinic/discard",
    "reset": "/v1/backends/clinic/reset",
    "reset-all": "/v1/backends/clinic/reset",
    "resubmit": "/v1/backends/clinic/resubmit",
    "restore": "/v1/archive/a1/restore",
    "change-settings": "/v1/backends/clinic/settings",
}
CHANGES = [spec for spec in CATALOGUE if spec.changes]


def test_every_change_in_the_catalogue_has_a_command():
    assert set(COMMAND) == {spec.name for spec in CHANGES}


def agent_for(spec: ActionSpec, monkeypatch) -> FakeAgent:
    """A fake agent that answers `spec`: a counted result, or a long action that ends at once with
    fresh, clean data."""
    fake = FakeAgent(result=ActionResult(True, "", results=[EntryResult("e1", True)]))
    if spec.long_running:
        finished = now() - timedelta(seconds=1)
        running = sync_status(id=f"{spec.name}-1", action=spec.name)
        done = replace(running, state="done", ok=True, finished=finished, counts={"queued": 1})
        fake.long_status = running
        fake.streams = [[state(view(snapshot(taken_at=now()), action=done)), 3600.0]]
    return fake.install(monkeypatch)


class Terminal:
    """stdin as a terminal where a person types `answer`."""

    def __init__(self, monkeypatch, answer: str) -> None:
        self.prompts: list[str] = []
        monkeypatch.setattr(sys, "stdin", self)
        monkeypatch.setattr("builtins.input", self.input)
        self.answer = answer

    def isatty(self) -> bool:
        return True

    def input(self, prompt: str = "") -> str:
        self.prompts.append(prompt)
        return self.answer


def with_yes(spec: ActionSpec) -> list[str]:
    return [*COMMAND[spec.name], "--yes"] if spec.confirm_word or spec.pin else COMMAND[spec.name]


@pytest.mark.parametrize("spec", CHANGES, ids=lambda s: s.name)
def test_readonly_refuses_locally_before_anything_is_sent(spec, monkeypatch, capsys):
    fake = agent_for(spec, monkeypatch)
    monkeypatch.setenv("SYNCTUI_PIN", "2468")
    assert not spec.allowed_readonly()
    assert main(["--readonly", *with_yes(spec)]) == 4
    assert fake.requests == [], "nothing may reach the agent"
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"{spec.title} refused: read-only" in err


@pytest.mark.parametrize("spec", CHANGES, ids=lambda s: s.name)
def test_readonly_in_the_config_refuses_too(spec, monkeypatch, tmp_path: Path, capsys):
    fake = agent_for(spec, monkeypatch)
    config = tmp_path / "config.toml"
    config.write_text("[agent]\nreadonly = true\n", encoding="utf-8")
    assert main(["--config", str(config), *with_yes(spec)]) == 4
    assert fake.requests == []


@pytest.mark.parametrize("spec", CHANGES, ids=lambda s: s.name)
def test_the_confirm_word_is_asked(spec, monkeypatch, capsys):
    fake = agent_for(spec, monkeypatch)
    terminal = Terminal(monkeypatch, answer="yes please")
    code = main(COMMAND[spec.name])
    if spec.confirm_word is None:
        assert terminal.prompts == [], f"{spec.name} has no confirm word: nothing to type"
        assert [r.path for r in fake.changes] == [PATH[spec.name]]
        return
    assert code == 2 and fake.changes == [], "a wrong word changes nothing"
    assert terminal.prompts == [f"Type {spec.confirm_word} to confirm: "]
    assert spec.what in capsys.readouterr().err

    terminal.answer = spec.confirm_word
    assert main(COMMAND[spec.name]) == 0
    assert [r.path for r in fake.changes] == [PATH[spec.name]]


@pytest.mark.parametrize("spec", [s for s in CHANGES if s.confirm_word], ids=lambda s: s.name)
def test_without_a_terminal_a_confirm_word_needs_yes(spec, monkeypatch, capsys):
    fake = agent_for(spec, monkeypatch)
    monkeypatch.setattr(sys, "stdin", type("NoTty", (), {"isatty": lambda self: False})())
    assert main(COMMAND[spec.name]) == 2
    assert fake.changes == []
    assert "not confirmed (run with --yes" in capsys.readouterr().err


@pytest.mark.parametrize("spec", CHANGES, ids=lambda s: s.name)
def test_the_pin_is_sent_only_when_the_action_takes_one(spec, monkeypatch, tmp_path: Path):
    fake = agent_for(spec, monkeypatch)
    monkeypatch.setenv("SYNCTUI_PIN", "2468")
    assert main(with_yes(spec)) == 0
    [change] = fake.changes
    assert change.pin == ("2468" if spec.pin else None)
    assert change.headers.get("idempotency-key")

    if spec.confirm_word or spec.pin:  # the verbs that take --pin-file
        monkeypatch.delenv("SYNCTUI_PIN")
        fake = agent_for(spec, monkeypatch)
        pin_file = tmp_path / "pin"
        pin_file.write_text("1357\n", encoding="utf-8")
        assert main([*with_yes(spec), "--pin-file", str(pin_file)]) == 0
        [change] = fake.changes
        assert change.pin == ("1357" if spec.pin else None)


@pytest.mark.parametrize("spec", [s for s in CHANGES if s.pin], ids=lambda s: s.name)
def test_a_missing_pin_file_is_one_line_and_exit_2(spec, monkeypatch, tmp_path: Path, capsys):
    fake = agent_for(spec, monkeypatch)
    assert main([*with_yes(spec), "--pin-file", str(tmp_path / "nope")]) == 2
    assert fake.requests == []
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "cannot read the PIN file" in err and "Traceback" not in err
