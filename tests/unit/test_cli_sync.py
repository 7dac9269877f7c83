"""`synctui sync BACKEND` against a fake agent: "Data Synced" only when the data read after the sync is
SAFE; otherwise what is left, and the verdict's exit code; a dropped event stream is reconnected."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from synctui.cli import follow, main
from synctui.model import AgentState

from .cli_fake_agent import FakeAgent, failure, now, snapshot, state, sync_status, view


@pytest.fixture(autouse=True)
def short_settle(monkeypatch):
    """Tests that get no fresh data wait a fraction of a second, not 15 s."""
    monkeypatch.setattr(follow, "SETTLE_MAX", 0.5)
    monkeypatch.setattr(follow, "SETTLE_MIN", 0.2)
    monkeypatch.setattr(follow, "RECONNECT_DELAY", 0.01)


def sync_run(
    fake: FakeAgent, monkeypatch, *, after: AgentState | None, final: dict | None = None, joined=False
) -> FakeAgent:
    """The agent's story: the sync runs, ends (`final`), then (`after`) data read after it ended."""
    started = now() - timedelta(seconds=20)
    running = sync_status(started=started, joined=joined)
    finished = now() - timedelta(seconds=2)
    done = replace(running, state="done", ok=True, finished=finished, message="Data synced", joined=False)
    done = replace(done, **(final or {}))
    before = snapshot(outbox=3, taken_at=finished - timedelta(seconds=5))
    fake.long_status = running
    fake.streams = [
        [
            state(view(before, action=running), revision=1),
            state(view(before, action=replace(running, progress=None)), revision=2),
            state(view(before, action=done), revision=3),
            *([after] if after is not None else []),
            3600.0,
        ]
    ]
    return fake.install(monkeypatch)


def after(**kwargs) -> AgentState:
    """A state read after the sync ended (its snapshot is taken now)."""
    finished_sync = sync_status(state="done", ok=True, finished=now() - timedelta(seconds=2))
    return state(view(snapshot(taken_at=now(), **kwargs), action=finished_sync), revision=4)


def test_data_synced_only_when_safe(monkeypatch, capsys):
    fake = sync_run(FakeAgent(), monkeypatch, after=after())
    assert main(["sync", "clinic"]) == 0
    captured = capsys.readouterr()
    assert captured.out.startswith("Data Synced — everything recorded on this device reached the server")
    assert "Synchronize Now started on clinic" in captured.err
    [post] = fake.changes
    assert post.path == "/v1/backends/clinic/synchronize" and post.headers.get("idempotency-key")
    assert post.pin is None


def test_conflicts_after_a_sync_are_not_data_synced(monkeypatch, capsys):
    """Regression: Synchronize Now ended in "Data Synced" (exit 0) while Conflicts held entries."""
    sync_run(FakeAgent(), monkeypatch, after=after(conflicts=2))
    assert main(["sync", "clinic"]) == 2
    out = capsys.readouterr().out
    assert "Data Synced" not in out
    assert out.startswith("Sync finished — 2 entries need attention")
    assert "  - 2 entries rejected by the server" in out
    assert "What to do: Open Conflicts" in out


def test_records_left_waiting_exit_1(monkeypatch, capsys):
    sync_run(FakeAgent(), monkeypatch, after=after(outbox=3))
    assert main(["sync", "clinic"]) == 1
    out = capsys.readouterr().out
    assert out.startswith("Sync finished — 3 entries still waiting") and "Data Synced" not in out


def test_offline_after_the_sync_is_unknown(monkeypatch, capsys):
    sync_run(FakeAgent(), monkeypatch, after=after(online=False, error=failure("no route to host")))
    assert main(["sync", "clinic"]) == 3
    out = capsys.readouterr().out
    assert out.startswith("Sync finished — not verified") and "no route to host" in out


def test_a_failed_sync_says_why_and_what_to_do(monkeypatch, capsys):
    final = {"state": "failed", "ok": False, "rejection": failure("login refused", "Check the password")}
    sync_run(FakeAgent(), monkeypatch, after=None, final=final)
    assert main(["sync", "clinic"]) == 2
    out = capsys.readouterr().out
    assert out.splitlines() == ["Sync Failed — login refused", "What to do: Check the password"]


def test_no_fresh_data_after_the_sync_is_not_verified(monkeypatch, capsys):
    fake = sync_run(FakeAgent(), monkeypatch, after=None)
    assert main(["sync", "clinic"]) == 3
    out = capsys.readouterr().out
    assert "Data Synced" not in out and "nothing is verified" in out
    assert any(r.path == "/v1/backends/clinic/refresh" for r in fake.requests), "it asks for fresh data"


def test_what_this_sync_did_is_counted(monkeypatch, capsys):
    final = {"counts": {"sent": 12, "conflicts": 2}}
    sync_run(FakeAgent(), monkeypatch, after=after(conflicts=2), final=final)
    main(["sync", "clinic"])
    assert "  This sync: 12 sent, 2 moved to conflicts" in capsys.readouterr().out


def test_a_joined_sync_says_joined_not_started(monkeypatch, capsys):
    """Regression: a second sync joined the running one but said "Synchronize Now started"."""
    fake = sync_run(FakeAgent(), monkeypatch, after=after(), joined=True)
    assert main(["sync", "clinic"]) == 0
    err = capsys.readouterr().err
    since = fake.long_status.started.astimezone().strftime("%H:%M")
    assert f"Joined the sync already running on clinic since {since}" in err
    assert "started" not in err


def test_one_dropped_event_stream_is_reconnected(monkeypatch, capsys):
    """One failed read while following is not "Sync Failed": the CLI reconnects and follows on."""
    fake = sync_run(FakeAgent(), monkeypatch, after=after())
    first = fake.streams[0]
    fake.streams = [[first[0], httpx.ReadError("connection reset")], first[1:]]
    assert main(["sync", "clinic"]) == 0
    captured = capsys.readouterr()
    assert captured.out.startswith("Data Synced")
    assert "reconnecting" in captured.err and fake.stream_connections == 2


def test_a_stream_that_keeps_dropping_ends_unreachable(monkeypatch, capsys):
    fake = sync_run(FakeAgent(), monkeypatch, after=after())
    drop = [httpx.ReadError("connection reset")]
    fake.streams = [drop] * (follow.MAX_RECONNECTS + 1)
    assert main(["sync", "clinic"]) == 3
    captured = capsys.readouterr()
    assert "Data Synced" not in captured.out and "Sync Failed" not in captured.out
    assert fake.stream_connections == follow.MAX_RECONNECTS + 1


def test_a_500_on_the_event_stream_is_retried(monkeypatch, capsys):
    fake = sync_run(FakeAgent(), monkeypatch, after=after())
    handle = fake.handle
    calls = {"n": 0}

    async def flaky(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v1/events" and calls["n"] == 0:
            calls["n"] += 1
            return httpx.Response(500, json={"error": "busy"})
        return await handle(request)

    fake.handle = flaky  # type: ignore[method-assign]
    assert main(["sync", "clinic"]) == 0


def test_a_sync_still_running_at_the_timeout_is_waiting(monkeypatch, capsys):
    fake = sync_run(FakeAgent(), monkeypatch, after=after())
    fake.streams = [[fake.streams[0][0], 3600.0]]
    assert main(["sync", "clinic", "--timeout", "0.3"]) == 1
    out = capsys.readouterr().out
    assert out.startswith("Still running after 0.3 s; stopped watching") and "Data Synced" not in out


def test_no_wait_verifies_nothing(monkeypatch, capsys):
    sync_run(FakeAgent(), monkeypatch, after=after())
    assert main(["sync", "clinic", "--no-wait"]) == 1
    captured = capsys.readouterr()
    assert captured.out == "" and "nothing is verified" in captured.err


@pytest.mark.parametrize(("status", "code"), [(403, 4), (401, 4), (429, 4), (409, 1), (404, 1), (501, 1)])
def test_agent_refusals(monkeypatch, capsys, status, code):
    fake = FakeAgent(refuse=(status, "no"))
    fake.install(monkeypatch)
    assert main(["sync", "clinic"]) == code
    assert capsys.readouterr().err == "synctui: no\n"


def test_readonly_refuses_sync_unless_the_config_allows_it(monkeypatch, capsys, tmp_path: Path):
    fake = sync_run(FakeAgent(), monkeypatch, after=after())
    assert main(["--readonly", "sync", "clinic"]) == 4
    assert fake.requests == []
    err = capsys.readouterr().err
    assert "Synchronize Now refused: read-only" in err and "readonly_allows_sync" in err

    config = tmp_path / "config.toml"
    config.write_text("[agent]\nreadonly_allows_sync = true\n", encoding="utf-8")
    assert main(["sync", "clinic", "--readonly", "--config", str(config)]) == 0
    assert [r.path for r in fake.changes] == ["/v1/backends/clinic/synchronize"]


def test_no_agent_is_exit_3(tmp_path: Path, capsys):
    assert main(["sync", "clinic", "--socket", str(tmp_path / "none.sock")]) == 3
    assert capsys.readouterr().err.startswith("synctui: cannot reach the agent")
