"""The `synctui` command starts with the cyclic collector paused (synctui.__main__, issue 15: the first
frame); every verb but the full-screen dashboard then runs with it resumed, the agent above all, and the
dashboard leaves it paused for its app, which resumes it after its first frame."""

from __future__ import annotations

import gc
import sys

import pytest

import synctui.__main__ as command
import synctui.cli.plain
import synctui.cli.status
import synctui.tui.app
from synctui.cli import dashboard


@pytest.fixture(autouse=True)
def collector_restored():
    yield
    gc.enable()


def start(monkeypatch, *argv: str) -> int:
    monkeypatch.setattr(sys, "argv", ["synctui", *argv])
    return command.run()


def test_a_verb_runs_with_the_collector(monkeypatch):
    seen: list[bool] = []
    monkeypatch.setattr(synctui.cli.status, "run", lambda args, config: seen.append(gc.isenabled()) or 0)
    assert start(monkeypatch, "status") == 0
    assert seen == [True]


def test_the_plain_dashboard_runs_with_the_collector(monkeypatch):
    seen: list[bool] = []

    async def run_plain(client, **kwargs) -> None:
        seen.append(gc.isenabled())

    monkeypatch.setattr(dashboard, "agent_running", lambda socket: True)
    monkeypatch.setattr(synctui.cli.plain, "run_plain", run_plain)
    assert start(monkeypatch, "--plain") == 0
    assert seen == [True]


def test_the_dashboard_app_starts_with_the_collector_paused(monkeypatch):
    seen: list[bool] = []

    class App:
        def __init__(self, client, **kwargs) -> None:
            self.client = client

        async def run_async(self) -> None:
            seen.append(gc.isenabled())  # SyncTuiApp resumes it after its first frame
            await self.client.aclose()

    monkeypatch.setattr(dashboard, "agent_running", lambda socket: True)
    monkeypatch.setattr(dashboard, "plain_wanted", lambda args: False)
    monkeypatch.setattr(synctui.tui.app, "SyncTuiApp", App)
    monkeypatch.setattr("synctui.client.HttpAgentClient.ask_state_now", lambda self: None)
    assert start(monkeypatch) == 0
    assert seen == [False]
