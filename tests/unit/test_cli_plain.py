"""The plain dashboard (issue 11, item 4) against a fake agent: its text, its menu read from stdin, the
actions it runs through the agent, the bell once per turn to ATTENTION, and backend text neutralised."""

from __future__ import annotations

import asyncio
import os
import re
import sys
from dataclasses import replace
from datetime import timedelta

import pytest

from synctui.cli import dashboard, follow, main
from synctui.cli.plain import PlainDashboard
from synctui.model import (
    ActionResult,
    Capability,
    Category,
    Health,
    Job,
    JobState,
    Rejection,
    SyncLogRow,
)

from .cli_fake_agent import FakeAgent, now, snapshot, state, sync_status, view
from .test_cli_injection import EVIL, RAW, SHOWN

CAN = frozenset({Capability.SYNCHRONIZE, Capability.RETRY, Capability.CHECK_CONNECTION})
WHEN = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \(\d+ s ago\)")


def able(**kwargs):
    """A view of a backend that can sync, retry and check its connection."""
    return view(replace(snapshot(**kwargs), capabilities=CAN))


def plain(monkeypatch, fake: FakeAgent, *typed: str, options: tuple[str, ...] = ("--plain",)) -> int:
    """`synctui --plain` on the fake agent, with `typed` as the lines of stdin (then its end)."""
    fake.install(monkeypatch)
    monkeypatch.setattr(dashboard, "agent_running", lambda socket: True)
    read, write = os.pipe()
    os.write(write, "".join(line + "\n" for line in typed).encode())
    os.close(write)
    monkeypatch.setattr(sys, "stdin", os.fdopen(read))
    return main(list(options))


def printed(capsys) -> str:
    return WHEN.sub("<when>", capsys.readouterr().out)


EXPECTED_CONFLICTS = """\
synctui, plain mode, on agent
Reading the backends…
Overall: ATTENTION (clinic ATTENTION)

clinic (santedb)  online  data of <when>
  ATTENTION  Needs attention: 2 entries rejected by the server
    - 2 entries rejected by the server
      What to do: Open Conflicts to read why, then retry or leave the server version.  \
(synctui queue ls clinic conflicts)
  Outbox                      0
  Inbox                       0
  Admin                     n/a
  Conflicts                   2
  Sync log:
    Patient                                  last success <when>

Backend: clinic, ATTENTION
  1  Synchronize Now
  2  Re-Queue Conflicted: send every rejected entry again
  3  Check Connection: probe the server, read-only
  4  Refresh: read it again now
  5  Status: show everything again
  q  Quit
Type a number (or its word) and Enter; Enter alone shows this menu again.
>\x20
"""


def test_the_plain_dashboard_prints_verdict_reasons_counts_and_a_numbered_menu(monkeypatch, capsys):
    assert plain(monkeypatch, FakeAgent(state=state(able(conflicts=2)))) == 0
    assert printed(capsys) == EXPECTED_CONFLICTS


def test_no_box_drawing_no_spinner_no_escape_sequence(monkeypatch, capsys):
    plain(monkeypatch, FakeAgent(state=state(able(conflicts=2), able(backend="lab", outbox=3))), "", "5", "q")
    out = capsys.readouterr().out
    assert not re.search(r"[\u2500-\u259f\u2800-\u28ff●◐▲✔✖⟳]", out)  # box, blocks, braille, marks
    assert not RAW.search(out)
    assert "  6  Choose another backend" in out  # two backends: switching is offered
    assert out.count("Overall: ATTENTION (clinic ATTENTION, lab WAITING)") == 2  # 5: the status again


@pytest.mark.parametrize(
    ("term", "tty", "flag", "expected"),
    [
        ("xterm-256color", True, False, False),
        ("linux", True, False, False),
        ("dumb", True, False, True),
        ("xterm-256color", False, False, True),
        ("xterm-256color", True, True, True),
    ],
)
def test_plain_mode_is_chosen_by_flag_dumb_terminal_or_no_terminal(monkeypatch, term, tty, flag, expected):
    monkeypatch.setenv("TERM", term)
    monkeypatch.setattr(sys.stdout, "isatty", lambda: tty)
    args = main.__globals__["build_parser"]().parse_args(["demo", "--plain"] if flag else ["demo"])
    assert dashboard.plain_wanted(args) is expected


def test_without_a_terminal_synctui_alone_is_the_plain_dashboard(monkeypatch, capsys):
    assert plain(monkeypatch, FakeAgent(state=state(able())), "q", options=()) == 0
    out = capsys.readouterr().out
    assert out.startswith(
        "synctui, plain mode, on agent\nReading the backends…\nOverall: SAFE (clinic SAFE)\n"
    )


def test_synchronize_now_from_the_menu_follows_it_to_the_verdict(monkeypatch, capsys):
    monkeypatch.setattr(follow, "SETTLE_MAX", 0.5)
    monkeypatch.setattr(follow, "SETTLE_MIN", 0.2)
    started = now() - timedelta(seconds=20)
    running = sync_status(started=started)
    done = replace(running, state="done", ok=True, finished=now() - timedelta(seconds=2), message="ok")
    before = replace(snapshot(outbox=3, taken_at=now() - timedelta(seconds=10)), capabilities=CAN)
    fresh = replace(snapshot(taken_at=now()), capabilities=CAN)
    fake = FakeAgent(state=state(view(before)), long_status=running)
    fake.streams = [
        [state(view(before)), 3600.0],  # the plain dashboard's own stream
        [state(view(before, action=running), revision=2), state(view(before, action=done), revision=3),
         state(view(fresh, action=done), revision=4), 3600.0],  # the stream following the sync
    ]  # fmt: skip
    assert plain(monkeypatch, fake, "1", "q") == 0
    out = capsys.readouterr().out
    [post] = fake.changes
    assert post.path == "/v1/backends/clinic/synchronize" and post.headers.get("idempotency-key")
    assert "> 1\nSynchronize Now started on clinic\n" in out
    assert "Data Synced — everything recorded on this device reached the server" in out
    assert "Menu: 1 sync, 2 retry, 3 check, 4 refresh, 5 status, q quit" in out


def test_requeue_conflicted_needs_the_confirm_word_and_reports_counted(monkeypatch, capsys):
    result = ActionResult(False, "some came back", counts={"requeued": 1, "still_rejected": 1})
    fake = FakeAgent(state=state(able(conflicts=2)), result=result)
    plain(monkeypatch, fake, "2", "retry", "2", "RETRY", "q")
    out = capsys.readouterr().out
    assert "Re-Queue Conflicted on clinic: every rejected entry. Send every rejected entry again" in out
    assert out.count("Type RETRY to confirm (anything else cancels): ") == 2
    assert "Not confirmed. Nothing was sent." in out
    [post] = fake.changes  # only the confirmed one
    assert post.path == "/v1/backends/clinic/retry" and post.body == {"all": True}
    assert "Re-Queue Conflicted on clinic: 1 re-queued, 1 still rejected\n  some came back" in out


def test_the_admin_pin_is_asked_for_sent_and_never_printed(monkeypatch, capsys):
    fake = FakeAgent(state=replace(state(able(conflicts=2)), pin_required=True))
    plain(monkeypatch, fake, "retry", "RETRY", "4821", "q")
    out = capsys.readouterr().out
    [post] = fake.changes
    assert post.pin == "4821"
    assert "Re-Queue Conflicted needs the admin PIN: " in out
    assert "4821" not in out


def test_read_only_offers_no_change_and_says_why(monkeypatch, capsys):
    fake = FakeAgent(state=state(able(conflicts=2)))
    plain(monkeypatch, fake, "1", "2", "q", options=("--plain", "--readonly"))
    out = capsys.readouterr().out
    assert "  1  Synchronize Now" not in out and "  2  Re-Queue" not in out
    assert "Synchronize Now is not offered for clinic (read-only)." in out
    assert "Re-Queue Conflicted is not offered for clinic (read-only)." in out
    assert fake.changes == []


def test_refusals_and_unknown_choices_are_one_line_each(monkeypatch, capsys):
    fake = FakeAgent(state=state(able(conflicts=2)), refuse=(403, "refused: wrong PIN"))
    plain(monkeypatch, fake, "launch", "retry", "RETRY", "q")
    out = capsys.readouterr().out
    assert "Not a choice: 'launch'. Type a number from the menu (Enter shows it)." in out
    assert "Re-Queue Conflicted refused by the agent (403): refused: wrong PIN" in out
    assert "Traceback" not in out


def test_backend_text_never_reaches_the_plain_output_raw(monkeypatch, capsys):
    """OSC 52, CSI 2J, BEL, a C1 CSI and a bidi override in every backend string: shown, not obeyed."""
    bad = Rejection(Category.SERVER, f"boom {EVIL}", advice=f"call {EVIL}", status=500)
    snap = replace(
        snapshot(conflicts=1, error=bad),
        kind=f"santedb{EVIL}",
        log=[SyncLogRow(f"Patient{EVIL}", f"f{EVIL}", last_success=now(), last_error=f"oops {EVIL}")],
        jobs=[Job("j1", f"job {EVIL}", JobState.RUNNING, message=f"msg {EVIL}")],
        capabilities=CAN,
    )
    fake = FakeAgent(state=state(view(snap)), health=Health(online=False, error=bad))
    plain(monkeypatch, fake, "check", "refresh", "status", f"x{EVIL}", "q")
    out = capsys.readouterr().out
    assert not RAW.search(out), [m.group() for m in RAW.finditer(out)]
    assert out.count(SHOWN) >= 8
    assert "clinic: NOT reachable" in out


def run_states(*states, bell: bool, capsys) -> str:
    async def go() -> None:
        board = PlainDashboard(None, lines=_Silent(), bell=bell)  # type: ignore[arg-type]
        board.apply_state(states[0])
        board.print_status()
        for later in states[1:]:
            board.apply_state(later)
        board.judge_all()  # a clock tick finds nothing new

    asyncio.run(go())
    return capsys.readouterr().out


class _Silent:
    def interrupt(self) -> None: ...

    def prompt_again(self) -> None: ...


def test_the_bell_rings_once_per_turn_to_attention_with_a_line_saying_so(capsys):
    safe, attention = state(view()), state(view(conflicts=2))
    out = run_states(safe, attention, attention, attention, safe, attention, bell=True, capsys=capsys)
    assert out.count("\a") == 2
    assert out.count("clinic: ATTENTION now. Needs attention: 2 entries rejected by the server") == 2
    assert out.count("clinic: SAFE now. All synced") == 1
    assert "\a" not in run_states(safe, attention, bell=False, capsys=capsys)


def test_a_backend_already_in_attention_rings_once_when_first_seen(monkeypatch, capsys, tmp_path):
    config = tmp_path / "config.toml"
    config.write_text("[dashboard]\nbell = true\n")
    plain(monkeypatch, FakeAgent(state=state(able(conflicts=2))), "5", "q", options=("--config", str(config)))
    assert capsys.readouterr().out.count("\a") == 1


def test_at_a_terminal_enter_stops_watching_a_sync_and_the_menu_comes_back(monkeypatch, capsys):
    running = sync_status(started=now() - timedelta(seconds=5))
    fake = FakeAgent(state=state(able(outbox=3)), long_status=running)
    fake.streams = [[state(able(outbox=3)), 3600.0], [state(able(outbox=3), revision=2), 3600.0]]
    fake.install(monkeypatch)
    monkeypatch.setattr(dashboard, "agent_running", lambda socket: True)
    typist, terminal = os.openpty()  # stdin is a terminal: what is typed there
    os.write(typist, b"1\n\nq\n")
    monkeypatch.setattr(sys, "stdin", os.fdopen(terminal))
    try:
        assert main(["--plain"]) == 0
    finally:
        os.close(typist)
    captured = capsys.readouterr()
    assert "Following it; Enter stops watching (the sync goes on in the agent)." in captured.out
    assert "Stopped watching; the sync goes on in the agent." in captured.err
    assert "Status (5) shows where it is; a change of clinic's verdict shows here." in captured.out
    assert len(fake.changes) == 1
