"""The real `synctui` dashboard in an 80×24 tmux pane, on a real agent, on the simulated SanteDB."""

from __future__ import annotations

import re
import shutil
import signal
import sys
import time
from pathlib import Path

import pytest

from .stack import ProcessGroup, build_stack, start_agent_process
from .tmux_pane import Tmux

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(60)]

CARD_ORDER = ("outbox", "inbox", "admin", "conflicts")
SYNC_ENDS = ("Data Synced", "Sync finished", "Sync Failed")


def sync_ended(screen: str) -> bool:
    """The sync dialog shows its end, judged ("Sync finished — checking the result…" is not yet)."""
    return any(end in screen for end in SYNC_ENDS) and "checking the result" not in screen


CARD_VALUE = re.compile(r"[┃│]\s*([\d,]+|n/a)\b")


def screen_counts(screen: str) -> dict[str, int | None] | None:
    """The four queue cards' counts as drawn, or None while the cards are not on screen."""
    lines = screen.splitlines()
    for i, line in enumerate(lines[:-1]):
        if all(title in line for title in ("Outbox", "Inbox", "Admin", "Conflicts")):
            values = CARD_VALUE.findall(lines[i + 1])
            if len(values) != 4:
                return None
            return {
                kind: None if v == "n/a" else int(v.replace(",", ""))
                for kind, v in zip(CARD_ORDER, values, strict=True)
            }
    return None


def synctui_script() -> str:
    """The installed `synctui` console script (editable install), next to this interpreter."""
    beside = Path(sys.executable).with_name("synctui")
    found = str(beside) if beside.exists() else shutil.which("synctui")
    assert found, "the `synctui` console script is not installed (pip install -e .)"
    return found


def quit_dashboard(tmux: Tmux) -> None:
    """Press q; the program in the pane must exit, with status 0."""
    tmux.send("q")
    tmux.wait_screen(lambda _: tmux.exit_status() is not None, 10, "the dashboard to exit after q")
    assert tmux.exit_status() == 0, tmux.screen()


def test_dashboard_in_tmux_shows_agent_counts_and_syncs(procs: ProcessGroup, tmux: Tmux) -> None:
    started = time.monotonic()
    stack = build_stack(procs.cwd, procs)
    tmux.start([synctui_script(), "--config", str(stack.config)], 80, 24)

    def counts_match(screen: str) -> bool:
        shown = screen_counts(screen)
        return shown is not None and shown == stack.sim.counts()

    screen = tmux.wait_screen(
        lambda s: s if counts_match(s) else None, 15, "queue counts equal to the simulator's"
    )
    header = screen.splitlines()[0]
    assert "agent.sock" in header, f"header should name the agent's socket: {header!r}"
    assert "embedded" not in header, f"the dashboard fell back to an embedded agent: {header!r}"
    assert "clinic" in header

    tmux.send("s")
    final = tmux.wait_screen(lambda s: sync_ended(s) and s, 20, "the end of Synchronize Now, judged")
    assert "Traceback" not in final
    if "Data Synced" in final:  # only when the verdict afterwards is SAFE
        assert stack.sim.counts().get("conflicts") in (0, None), final
    tmux.send("c")  # Close (escape also works, but tmux delays a lone escape)
    tmux.wait_screen(
        lambda s: not any(end in s for end in SYNC_ENDS) and counts_match(s),
        10,
        "the dialog to close and the cards to show the simulator's counts after the sync",
    )

    quit_dashboard(tmux)
    assert "Traceback" not in tmux.screen()
    assert stack.agent.proc.popen.poll() is None, "the agent must outlive the dashboard"
    assert time.monotonic() - started < 30


def test_dashboard_in_tmux_survives_an_agent_restart(procs: ProcessGroup, tmux: Tmux) -> None:
    stack = build_stack(procs.cwd, procs)
    tmux.start([synctui_script(), "--config", str(stack.config)], 80, 24)
    tmux.wait_screen(lambda s: screen_counts(s) == stack.sim.counts(), 15, "the simulator's counts")

    stack.agent.proc.popen.send_signal(signal.SIGTERM)
    assert stack.agent.proc.popen.wait(10) == 0
    screen = tmux.wait_screen(lambda s: "agent unreachable" in s and s, 10, "the dashboard to notice")
    assert screen_counts(screen) == stack.sim.counts(), "the last data stays on screen while retrying"
    assert tmux.exit_status() is None, "the dashboard must not exit when the agent goes away"

    start_agent_process(procs, stack.config, stack.agent.socket)
    stack.sim.enqueue("out")  # new data that only a reconnected dashboard can show
    tmux.wait_screen(
        lambda s: "agent unreachable" not in s and screen_counts(s) == stack.sim.counts(),
        20,
        "the dashboard to reconnect to the restarted agent",
    )
    quit_dashboard(tmux)
