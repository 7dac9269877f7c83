"""`synctui status [--json]`: the verdict of each backend above its counts, and the monitoring exit codes
(0 SAFE, 1 WAITING, 2 ATTENTION, 3 UNKNOWN or no agent), against a fake agent."""

from __future__ import annotations

import dataclasses
import json
import re
from datetime import timedelta
from pathlib import Path

import pytest

from synctui.cli import main
from synctui.model import (
    AgentState,
    Capability,
    Category,
    DepthPoint,
    Level,
    QueueKind,
    Reason,
    RejectedCount,
    Verdict,
)

from .cli_fake_agent import FakeAgent, failure, snapshot, state, view

OFFLINE = failure("cannot connect to the server", "Check the network")

# name, views, exit code, overall level word, reason codes the text must show
LEVELS = [
    ("safe", [view()], 0, "SAFE", []),
    ("waiting", [view(outbox=3)], 1, "WAITING", ["outbox"]),
    ("attention", [view(conflicts=2)], 2, "ATTENTION", ["conflicts"]),
    ("offline", [view(online=False, error=OFFLINE)], 3, "UNKNOWN", ["offline"]),
    ("stale", [view(stale=True, error=OFFLINE)], 3, "UNKNOWN", ["refresh-failing"]),
    ("never-read", [view(known=False)], 3, "UNKNOWN", ["never-refreshed"]),
    ("worst-is-waiting", [view(), view(snapshot("lab", outbox=1))], 1, "WAITING", ["outbox"]),
    ("worst-is-attention", [view(outbox=1), view(snapshot("lab", conflicts=1))], 2, "ATTENTION", []),
    ("worst-is-unknown", [view(conflicts=1), view(snapshot("lab", online=False))], 3, "UNKNOWN", []),
]


def run_status(fake: FakeAgent, monkeypatch, *extra: str) -> int:
    fake.install(monkeypatch)
    return main(["status", *extra])


@pytest.mark.parametrize(("name", "views", "code", "word", "reasons"), LEVELS, ids=[c[0] for c in LEVELS])
def test_status_text_and_exit_code_follow_the_verdict(monkeypatch, capsys, name, views, code, word, reasons):
    fake = FakeAgent(state=state(*views))
    assert run_status(fake, monkeypatch) == code
    out = capsys.readouterr().out
    assert out.splitlines()[0].startswith(f"Overall: {word} (")
    assert re.search(r"^clinic \(santedb\)\s+(online|OFFLINE|stale)\b.*\n  [A-Z]+  ", out, re.MULTILINE), out
    for backend in views:
        assert f"{backend.snapshot.backend} (santedb)" in out
    if word == "SAFE":
        assert "  SAFE  All synced" in out
    elif len(views) == 1:
        assert "All synced" not in out
    # clinic's verdict (level, summary, reasons with next steps) comes above its counts
    lines = out.split("clinic (santedb)", 1)[1].split("\n\n", 1)[0].splitlines()
    counts_at = next(i for i, line in enumerate(lines) if line.startswith("  Outbox"))
    assert re.match(r"  (SAFE|WAITING|ATTENTION|UNKNOWN)  \S", lines[1]), lines
    assert all(i < counts_at for i, line in enumerate(lines) if line.startswith(("  - ", "      What")))
    assert ("What to do:" in out) == (word != "SAFE")
    assert " ok" not in out.lower()


@pytest.mark.parametrize(("name", "views", "code", "word", "reasons"), LEVELS, ids=[c[0] for c in LEVELS])
def test_status_json_has_each_verdict_and_the_worst(monkeypatch, capsys, name, views, code, word, reasons):
    fake = FakeAgent(state=state(*views))
    assert run_status(fake, monkeypatch, "--json") == code
    data = json.loads(capsys.readouterr().out)
    assert data["verdict"] == word.lower()
    levels = [v["verdict"]["level"] for v in data["backends"]]
    assert max(levels, key=lambda lv: Level(lv).rank) == word.lower()
    first = data["backends"][0]["verdict"]
    assert set(first) == {"level", "summary", "reasons"}
    assert first["summary"]
    every = [r for v in data["backends"] for r in v["verdict"]["reasons"]]
    for reason in reasons:
        assert reason in [r["code"] for r in every]
    for reason in every:
        assert set(reason) == {"level", "code", "line", "next_step", "action"}
    assert data["backends"][0]["snapshot"]["queues"], "the counts are still there"


def test_offline_backend_with_conflicts_is_not_ok(monkeypatch, capsys):
    """Regression: status exited 0 with a backend offline and conflicts present."""
    fake = FakeAgent(state=state(view(online=False, conflicts=4, error=OFFLINE)))
    assert run_status(fake, monkeypatch) == 3
    out = capsys.readouterr().out
    assert "clinic (santedb)  OFFLINE" in out
    assert "UNKNOWN" in out and "4 entries rejected by the server" in out
    assert "synced" not in out.lower().replace("not synced", "")


def test_unknown_counts_are_never_zero_or_na(monkeypatch, capsys):
    fake = FakeAgent(state=state(view(known=False, outbox=0, conflicts=0)))
    assert run_status(fake, monkeypatch) == 3
    out = capsys.readouterr().out
    for label in ("Outbox", "Inbox", "Admin", "Conflicts"):
        [line] = [ln for ln in out.splitlines() if ln.strip().startswith(label)]
        assert line.split(label, 1)[1].strip() == "? (not known yet)", line


def test_a_queue_the_backend_lacks_is_na(monkeypatch, capsys):
    fake = FakeAgent(state=state(view(admin=None)))
    run_status(fake, monkeypatch)
    [line] = [ln for ln in capsys.readouterr().out.splitlines() if ln.strip().startswith("Admin")]
    assert line.split()[-1] == "n/a"


def test_the_agents_verdict_is_the_one_shown(monkeypatch, capsys):
    """An agent that sent its verdict is believed (one judgement); an older one is judged here."""
    told = Verdict(Level.ATTENTION, [Reason(Level.ATTENTION, "stuck", "Outbox stuck", "Press s")], "Needs it")
    fake = FakeAgent(state=state(dataclasses.replace(view(), verdict=told)))
    assert run_status(fake, monkeypatch) == 2
    out = capsys.readouterr().out
    assert "  ATTENTION  Needs it" in out and "  - Outbox stuck" in out and "What to do: Press s" in out


def test_no_backends_is_unknown(monkeypatch, capsys):
    fake = FakeAgent(state=AgentState([], revision=1))
    assert run_status(fake, monkeypatch) == 3
    assert "No backends configured" in capsys.readouterr().out


def test_no_agent_is_one_line_and_exit_3(tmp_path: Path, capsys):
    assert main(["status", "--socket", str(tmp_path / "none.sock")]) == 3
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.count("\n") == 1 and captured.err.startswith("synctui: ")
    assert main(["status", "--json", "--socket", str(tmp_path / "none.sock")]) == 3
    assert capsys.readouterr().out == ""


def test_control_characters_from_a_backend_are_neutralised(monkeypatch, capsys):
    evil = failure("boom \x1b[2J\x1b]0;pwned\x07 gone", "fix \x1b[31mthis")
    fake = FakeAgent(state=state(view(online=False, error=evil)))
    run_status(fake, monkeypatch)
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\x07" not in out


def stuck_and_rejected() -> AgentState:
    """Outbox at 5 for 12 minutes (stuck by the default 10), 2 entries rejected for different reasons."""
    snap = dataclasses.replace(
        snapshot(outbox=5, conflicts=2), capabilities=frozenset({Capability.SYNCHRONIZE})
    )
    since = snap.taken_at - timedelta(minutes=12)
    rejected = [RejectedCount(Category.FIX_DATA, 1, 422), RejectedCount(Category.CONFLICT, 1, 409)]
    history = [DepthPoint(since, {QueueKind.OUTBOX: 5, QueueKind.CONFLICTS: 2})]
    return state(dataclasses.replace(view(snap), history=history, rejected=rejected))


def test_status_text_marks_stuck_queues_and_says_what_to_do_in_one_line_each(monkeypatch, capsys):
    assert run_status(FakeAgent(state=stuck_and_rejected()), monkeypatch) == 2
    out = capsys.readouterr().out
    lines = out.splitlines()
    # each command once: the verdict's reasons give it, the diagnosis adds only what they did not say
    assert out.count("synctui sync clinic") == 1 and out.count("synctui queue ls clinic conflicts") == 1
    assert out.count("Outbox: 5 entries unchanged for 12 min") == 1
    assert "  2 rejected: 1 business rule (422), 1 conflict (409)" in lines
    [outbox] = [line for line in lines if line.startswith("  Outbox  ")]
    assert outbox.endswith("STUCK (unchanged for 12 min)"), outbox
    [conflicts] = [line for line in lines if line.startswith("  Conflicts  ")]
    assert "STUCK" in conflicts  # unchanged as long: marked like the dashboard's card
    assert all(len(line) <= 80 for line in lines if "rejected:" in line or "unchanged for" in line)


def test_status_json_says_which_queues_are_stuck_and_the_diagnoses(monkeypatch, capsys):
    assert run_status(FakeAgent(state=stuck_and_rejected()), monkeypatch, "--json") == 2
    backend = json.loads(capsys.readouterr().out)["backends"][0]
    queues = {q["kind"]: q for q in backend["snapshot"]["queues"]}
    assert queues["outbox"]["stuck"] is True and queues["outbox"]["unchanged_since"]
    assert queues["inbox"]["stuck"] is False and queues["inbox"]["unchanged_since"] is None
    assert backend["rejected"] == [
        {"category": "fix-data", "count": 1, "status": 422},
        {"category": "conflict", "count": 1, "status": 409},
    ]
    assert backend["diagnoses"] == [
        {"queue": "outbox", "line": "Outbox: 5 entries unchanged for 12 min", "action": "synchronize"},
        {
            "queue": "conflicts",
            "line": "2 rejected: 1 business rule (422), 1 conflict (409)",
            "action": "open-conflicts",
        },
    ]


def test_a_read_only_agent_is_told_to_review_a_stuck_queue_not_to_sync(monkeypatch, capsys):
    fake = FakeAgent(state=dataclasses.replace(stuck_and_rejected(), readonly=True))
    run_status(fake, monkeypatch)
    lines = capsys.readouterr().out.splitlines()
    at = lines.index("  Outbox: 5 entries unchanged for 12 min — to review, run:")
    assert lines[at + 1] == "      synctui queue ls clinic outbox"
