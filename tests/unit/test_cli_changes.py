"""Change verbs report what happened, counted; refusals and lost answers map to the right exit codes;
`check` says only what it verified; the parser and the package stay light."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace

import pytest

from synctui.cli import main
from synctui.cli.audit import line as audit_line
from synctui.model import ActionResult, Category, EntryResult, Health, Rejection

from .cli_fake_agent import FakeAgent, failure, now, snapshot, state, sync_status, view

REJECTED = Rejection(Category.FIX_DATA, "birth date in the future", advice="Fix the record, then retry")


# --- read-only regressions ---------------------------------------------------------------------------


def test_readonly_retry_all_changes_nothing(monkeypatch, capsys):
    """Regression: `synctui --readonly queue retry B --all --yes` carried out the change."""
    fake = FakeAgent().install(monkeypatch)
    assert main(["--readonly", "queue", "retry", "clinic", "--all", "--yes"]) == 4
    assert fake.requests == []
    assert "Re-Queue Conflicted refused: read-only" in capsys.readouterr().err


@pytest.mark.parametrize("target", [["--all"], ["patients"]])
def test_readonly_reset_changes_nothing(monkeypatch, capsys, target):
    """Regression: `synctui --readonly reset …` carried out the change."""
    fake = FakeAgent().install(monkeypatch)
    assert main(["reset", "clinic", *target, "--yes", "--readonly"]) == 4
    assert fake.requests == []


def test_readonly_still_reads(monkeypatch, capsys):
    fake = FakeAgent().install(monkeypatch)
    assert main(["--readonly", "check", "clinic"]) == 0
    assert main(["--readonly", "status"]) == 0
    assert [r.path for r in fake.requests] == ["/v1/backends/clinic/check-connection", "/v1/state"]


# --- results, counted --------------------------------------------------------------------------------


def test_retry_counts_what_was_requeued_and_what_is_still_rejected(monkeypatch, capsys):
    results = [EntryResult(f"e{i}", True) for i in range(3)] + [
        EntryResult("e8", False, "rejected again", rejection=REJECTED),
        EntryResult("e9", False, "rejected again", rejection=REJECTED),
    ]
    FakeAgent(result=ActionResult(False, "2 failed", results=results)).install(monkeypatch)
    assert main(["queue", "retry", "clinic", "--all", "--yes"]) == 1
    out = capsys.readouterr().out
    assert out.splitlines()[0] == "Re-Queue Conflicted on clinic: 3 re-queued, 2 still rejected"
    assert "  e8: still rejected — birth date in the future" in out
    assert "    What to do: Fix the record, then retry" in out
    assert " ok" not in out and "done" not in out


def test_counts_from_the_agent_are_used(monkeypatch, capsys):
    result = ActionResult(False, "", counts={"requeued": 3, "still_rejected": 2})
    FakeAgent(result=result).install(monkeypatch)
    assert main(["queue", "retry", "clinic", "e1", "e2", "e3", "e4", "e5"]) == 1
    assert capsys.readouterr().out.startswith("Retry on clinic: 3 re-queued, 2 still rejected")


def test_an_ok_result_with_a_failed_count_is_not_success(monkeypatch, capsys):
    FakeAgent(result=ActionResult(True, "", counts={"done": 1, "failed": 1})).install(monkeypatch)
    assert main(["reset", "clinic", "a", "b", "--yes"]) == 1
    assert capsys.readouterr().out.startswith("Reset on clinic: 1 reset, 1 not reset")


def test_discard_from_the_outbox_is_drop_unsent(monkeypatch, capsys):
    fake = FakeAgent(result=ActionResult(True, "", results=[EntryResult("e1", True)])).install(monkeypatch)
    assert main(["queue", "discard", "clinic", "outbox", "e1", "--yes"]) == 0
    assert capsys.readouterr().out.startswith("Drop Unsent Change on clinic: 1 dropped (archived first)")
    assert fake.changes[0].body == {"queue": "outbox", "ids": ["e1"]}


def test_discard_from_the_inbox_is_a_usage_error(monkeypatch, capsys):
    fake = FakeAgent().install(monkeypatch)
    assert main(["queue", "discard", "clinic", "inbox", "e1", "--yes"]) == 2
    assert fake.requests == []


@pytest.mark.parametrize("argv", [["queue", "retry", "clinic"], ["reset", "clinic", "k", "--all"]])
def test_ids_or_all(monkeypatch, capsys, argv):
    fake = FakeAgent().install(monkeypatch)
    assert main([*argv, "--yes"]) == 2
    assert fake.requests == [] and capsys.readouterr().err.count("\n") == 1


def test_resubmit_says_what_it_queued_and_what_it_did_not(monkeypatch, capsys):
    running = sync_status(id="rs-1", action="resubmit")
    done = replace(running, state="done", ok=True, finished=now(), counts={"queued": 4, "already_queued": 8})
    fake = FakeAgent(long_status=running)
    fake.streams = [[state(view(snapshot(outbox=12), action=running)), state(view(action=done)), 3600.0]]
    fake.install(monkeypatch)
    assert main(["resubmit", "clinic", "--since", "2026-01-01", "--until", "2026-01-31", "--yes"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == (
        "Re-Submit To Server on clinic: queued 4 records the server lacks; "
        "8 already waiting were not queued again"
    )
    assert out[1] == "They go to the server with the next sync: synctui sync clinic"
    body = fake.changes[0].body
    assert body["since"].startswith("2026-01-01") and body["until"].startswith("2026-01-31T23:59:59")


def test_a_failed_resubmit_is_not_success(monkeypatch, capsys):
    running = sync_status(id="rs-1", action="resubmit")
    done = replace(
        running, state="failed", ok=False, finished=now(), rejection=failure("server down", "Wait")
    )
    fake = FakeAgent(long_status=running)
    fake.streams = [[state(view(action=done)), 3600.0]]
    fake.install(monkeypatch)
    assert main(["resubmit", "clinic", "--since", "2026-01-01", "--until", "2026-01-02", "--yes"]) == 1
    assert capsys.readouterr().out.splitlines() == ["Re-Submit Failed — server down", "What to do: Wait"]


# --- the agent's answers -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "code"), [(401, 4), (403, 4), (429, 4), (409, 1), (501, 1), (404, 1), (500, 1)]
)
def test_refusals_from_the_agent(monkeypatch, capsys, status, code):
    FakeAgent(refuse=(status, "refused: because")).install(monkeypatch)
    assert main(["reset", "clinic", "--all", "--yes"]) == code
    captured = capsys.readouterr()
    assert captured.err == "synctui: refused: because\n" and captured.out == ""


def test_a_lost_answer_is_asked_again_under_the_same_key(monkeypatch, capsys):
    fake = FakeAgent(drop_next_change=1, result=ActionResult(True, "", counts={"reset": 2}))
    fake.install(monkeypatch)
    assert main(["reset", "clinic", "--all", "--yes"]) == 0
    first, second = fake.changes
    assert first.headers["idempotency-key"] == second.headers["idempotency-key"]
    assert capsys.readouterr().out.startswith("Reset All on clinic: 2 reset")


def test_two_lost_answers_say_it_may_or_may_not_have_run(monkeypatch, capsys):
    FakeAgent(drop_next_change=2).install(monkeypatch)
    assert main(["reset", "clinic", "--all", "--yes"]) == 3
    assert "may or may not have been done: see `synctui audit`" in capsys.readouterr().err


def test_the_pin_is_asked_at_a_terminal_when_the_agent_needs_it(monkeypatch, capsys):
    fake = FakeAgent(refuse_next=[(401, "Reset All needs the admin PIN")]).install(monkeypatch)
    monkeypatch.setattr(sys, "stdin", type("Tty", (), {"isatty": lambda self: True})())
    monkeypatch.setattr("getpass.getpass", lambda prompt="": "9999")
    assert main(["reset", "clinic", "--all", "--yes"]) == 0
    assert [c.pin for c in fake.changes] == [None, "9999"]


def test_no_agent_for_a_change_is_exit_3(tmp_path, capsys):
    assert main(["reset", "clinic", "--all", "--yes", "--socket", str(tmp_path / "none.sock")]) == 3


# --- check: only what was verified -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("health", "code", "says"),
    [
        (Health(online=True, latency_ms=41.6, auth_ok=True), 0, "clinic: reachable, latency 42 ms, credentials accepted"),
        (Health(online=True, auth_ok=False), 1, "clinic: reachable, latency not measured, credentials REFUSED"),
        (Health(online=True, latency_ms=5, auth_ok=None), 0, "clinic: reachable, latency 5 ms, credentials not verified by this probe"),
        (Health(online=False, auth_ok=None), 1, "clinic: NOT reachable; credentials not verified (the server did not answer)"),
    ],
)  # fmt: skip
def test_check_says_only_what_it_verified(monkeypatch, capsys, health, code, says):
    FakeAgent(health=health).install(monkeypatch)
    assert main(["check", "clinic"]) == code
    assert capsys.readouterr().out.splitlines()[0] == says


def test_check_never_says_accepted_when_unreachable(monkeypatch, capsys):
    """Regression: `synctui check` said "credentials accepted" when the server could not be reached."""
    error = failure("connection refused", "Check the network")
    FakeAgent(health=Health(online=False, auth_ok=True, error=error)).install(monkeypatch)
    assert main(["check", "clinic"]) == 1
    out = capsys.readouterr().out
    assert "accepted" not in out and "reachable," not in out
    assert "  connection refused\n  What to do: Check the network" in out


# --- audit -----------------------------------------------------------------------------------------------


def test_audit_lines_never_say_ok_for_what_failed():
    base = {"time": "2026-03-02T10:00:00+00:00", "user": "tech", "backend": "clinic", "action": "retry-all"}
    refused = {**base, "phase": "refused", "result": {"ok": False, "status": 403, "message": "read-only"}}
    assert "→ REFUSED (403): read-only" in audit_line(refused)
    entries = [{"id": "a", "ok": True}, {"id": "b", "ok": True}, {"id": "c", "ok": False}]
    partly = {**base, "phase": "after", "result": {"ok": True, "entries": entries}}
    assert "→ 2 re-queued, 1 still rejected" in audit_line(partly)
    failed = {**base, "phase": "after", "result": {"ok": False, "message": "server down"}}
    assert "→ FAILED: server down" in audit_line(failed)
    assert "→" not in audit_line({**base, "phase": "before"})


# --- the parser and the package -------------------------------------------------------------------------


def test_global_options_go_before_or_after_the_verb(monkeypatch, capsys, tmp_path):
    fake = FakeAgent().install(monkeypatch)
    assert main(["--readonly", "queue", "retry", "clinic", "--all"]) == 4
    assert main(["queue", "retry", "clinic", "--all", "--readonly"]) == 4
    assert main(["queue", "retry", "--readonly", "clinic", "--all"]) == 4
    assert fake.requests == []


def test_every_verb_has_a_function():
    from synctui.cli import build_parser

    parser = build_parser()
    for argv in (
        [],
        ["demo"],
        ["agent"],
        ["status"],
        ["plugins"],
        ["sync", "b"],
        ["queue", "ls", "b", "outbox"],
        ["queue", "show", "b", "outbox", "1"],
        ["resubmit", "b", "--since", "2026-01-01", "--until", "2026-01-02"],
        ["check", "b"],
        ["reset", "b", "--all"],
        ["settings", "b"],
        ["audit"],
        ["archive", "ls"],
        ["archive", "show", "1"],
        ["set-pin"],
    ):
        assert callable(parser.parse_args(argv).func), argv


def test_the_cli_starts_without_heavy_imports():
    code = (
        "import sys, synctui.cli; "
        "print(sorted(m for m in ('httpx', 'textual', 'synctui.agent', 'starlette', 'uvicorn', 'asyncio') "
        "if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize("module", ["synctui", "synctui.cli"])
def test_python_dash_m_runs_the_cli(module):
    out = subprocess.run(
        [sys.executable, "-m", module, "--version"], capture_output=True, text=True, timeout=30
    )
    assert out.returncode == 0 and out.stdout.startswith("synctui ")


def test_the_old_modules_are_gone():
    import importlib.util

    assert importlib.util.find_spec("synctui.scripting") is None


def test_the_entry_point_is_the_command_that_starts_with_the_collector_paused():
    import tomllib
    from pathlib import Path

    project = tomllib.loads((Path(__file__).parents[2] / "pyproject.toml").read_text(encoding="utf-8"))
    assert project["project"]["scripts"]["synctui"] == "synctui.__main__:run"  # then synctui.cli.main


def test_the_exit_codes_of_status_and_sync_are_the_verdicts():
    from synctui.cli import exits
    from synctui.model import Level

    assert [lv.exit_code for lv in Level] == [exits.SAFE, exits.WAITING, exits.ATTENTION, exits.UNKNOWN]
