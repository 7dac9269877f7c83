"""The dashboard in a real terminal: a private tmux server driven with send-keys and capture-pane."""

from __future__ import annotations

import contextlib
import os
import shlex
import subprocess
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from .stack import wait_until


class Tmux:
    """A private tmux server (-L), so the user's own sessions are never touched."""

    def __init__(self, env: dict[str, str], status_file: Path) -> None:
        self.server = f"synctui-e2e-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self.env = env
        self.session = "e2e"
        self.status_file = status_file

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["tmux", "-L", self.server, *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=10,
            check=check,
            stdin=subprocess.DEVNULL,
        )

    def start(self, argv: Sequence[str], width: int = 80, height: int = 24) -> None:
        """Run `argv` in a detached session of width×height.

        A small sh wrapper records the exit status in a file: tmux 3.3 sometimes marks a pane dead
        (pty closed) without ever reaping its process, so #{pane_dead_status} stays empty. The pane
        stays after the program exits (remain-on-exit) so its last screen can still be read.
        """
        script = f"{shlex.join(argv)}; echo $? > {shlex.quote(str(self.status_file))}"
        size = ("-x", str(width), "-y", str(height))
        self.status_file.unlink(missing_ok=True)
        self.run("new-session", "-d", "-s", self.session, *size, "sh", "-c", script)
        self.run("set-option", "-t", self.session, "remain-on-exit", "on")

    def exit_status(self) -> int | None:
        """The exit status of the program started by `start`, None while it runs."""
        try:
            text = self.status_file.read_text().strip()
        except FileNotFoundError:
            return None
        return int(text) if text else None

    def screen(self) -> str:
        return self.run("capture-pane", "-p", "-t", self.session).stdout

    def send(self, *keys: str) -> None:
        self.run("send-keys", "-t", self.session, *keys)

    def wait_screen(self, predicate: Callable[[str], Any], timeout: float, what: str) -> Any:
        last = {"screen": ""}

        def check() -> Any:
            last["screen"] = self.screen()
            return predicate(last["screen"])

        try:
            return wait_until(check, timeout, what, interval=0.2)
        except AssertionError as exc:
            raise AssertionError(f"{exc}\n--- screen:\n{last['screen']}") from None

    def kill_server(self) -> None:
        with contextlib.suppress(Exception):
            self.run("kill-server", check=False)
