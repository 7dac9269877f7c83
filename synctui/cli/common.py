"""What the verbs share: reaching the agent, the errors that end a command, text for a terminal.

Nothing here imports httpx or the agent at module level: `synctui --help` must stay fast.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from synctui.cli import exits
from synctui.config import Config
from synctui.i18n import SOURCE_LANGUAGE, _, language
from synctui.model import BackendView, Verdict
from synctui.text import visible
from synctui.verdict import age_text

if TYPE_CHECKING:
    from synctui.client import HttpAgentClient

AGENT_TIMEOUT = 30.0  # seconds for one request to the agent

Work = Callable[["HttpAgentClient"], Awaitable[int]]


class CommandError(Exception):
    """Ends a command with a one-line reason on stderr and an exit code (no traceback)."""

    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


def usage_error(message: str) -> CommandError:
    return CommandError(message, exits.USAGE)


def say(message: str) -> None:
    """One line for the person at the terminal (stderr), not part of the command's output."""
    print(message, file=sys.stderr)


def connect(config: Config, *, timeout: float = AGENT_TIMEOUT, command: bool = True) -> HttpAgentClient:
    """A client of the agent on the config's socket (`--socket` overrides it), or of the agent given
    by `--agent tcp://HOST:PORT`, over TCP with the bearer token of `--token-file`.

    For a `command`, the agent's refusal of the token ends it (one line, exit 4): no verb retries
    it, asks for a PIN or reports it as an unknown verdict. The dashboard (`command=False`) gets
    AgentTokenRefused, an AgentRefused, which its screens show."""
    from synctui.client import HttpAgentClient
    from synctui.client_interface import AgentTokenRefused

    remote = config.agent.remote
    if remote is None:
        return HttpAgentClient(socket=config.agent.socket, timeout=timeout)

    def end_command(refused: AgentTokenRefused) -> BaseException:
        return CommandError(f"synctui: {clean(refused.message)}", exits.REFUSED)

    return HttpAgentClient(
        url=remote.url,
        token=remote.token.reveal(),
        description=remote.address,
        timeout=timeout,
        token_refused=end_command if command else None,
    )


def with_agent(config: Config, work: Work) -> int:
    """Run `work(client)` and turn the agent's failures into exit codes: 3 when it cannot be reached,
    4 when it refuses (read-only, PIN, lock-out), 1 for any other refusal."""
    import asyncio

    from synctui.client_interface import AgentRefused, AgentUnavailable

    async def run() -> int:
        client = connect(config)
        try:
            return await work(client)
        finally:
            await client.aclose()

    try:
        return asyncio.run(run())
    except AgentUnavailable as exc:
        say(f"synctui: {clean(str(exc))}")
        return exits.UNREACHABLE
    except AgentRefused as exc:
        say(f"synctui: {clean(exc.message)}")
        return exits.of_refusal(exc.status)


def add_change_options(parser: argparse.ArgumentParser) -> None:
    """`--yes` and `--pin-file`, for the verbs whose actions may need a typed word or the PIN."""
    parser.add_argument("--yes", action="store_true", help=_("do not ask for confirmation (scripts)"))
    parser.add_argument(
        "--pin-file", type=str, metavar="FILE", help=_("file holding the admin PIN (or set $SYNCTUI_PIN)")
    )


# --- text for a terminal ------------------------------------------------------------------------------


def clean(text: Any, *, multiline: bool = False) -> str:
    """Text from a backend, a plugin or the agent, made safe to print: control characters and escape
    sequences are shown as escapes (`\\x1b`, see `synctui.text.visible`) and never interpreted; on
    one line (the default) line breaks and tabs become spaces."""
    if multiline:
        return visible(text, multiline=True)
    value = "" if text is None else str(text)
    return visible(
        value.replace("\r\n", " ").replace("\n", " ").replace("\r", " ").replace("\t", " ")
    ).strip()


def when(moment: datetime | None, now: datetime) -> str:
    if moment is None:
        return _("never")
    return _("{time} ({age} ago)").format(
        time=f"{moment.astimezone():%Y-%m-%d %H:%M:%S}", age=age(moment, now)
    )


def age(moment: datetime | None, now: datetime) -> str:
    return "?" if moment is None else age_text(moment, now)


def verdict_of(view: BackendView, now: datetime) -> Verdict:
    """The agent's verdict on a backend; judged here when an older agent sent none, or in a language
    other than the agent's (English): the same data, this command's words."""
    if view.verdict is not None and language() == SOURCE_LANGUAGE:
        return view.verdict
    from synctui.verdict import judge

    return judge(view, now)


def action_title(name: str) -> str:
    from synctui.actions import action

    try:
        return action(name).title
    except KeyError:
        return clean(name)


# The command behind each `Reason.action` of the verdict; {b} is the backend.
STEP_COMMANDS = {
    "synchronize": "synctui sync {b}",
    "check-connection": "synctui check {b}",
    "open-outbox": "synctui queue ls {b} outbox",
    "open-inbox": "synctui queue ls {b} inbox",
    "open-admin": "synctui queue ls {b} admin",
    "open-conflicts": "synctui queue ls {b} conflicts",
}


def step_command(step: str | None, backend: str) -> str:
    """The command that takes a verdict's or a diagnosis's next step on `backend` ("" when none does)."""
    return STEP_COMMANDS.get(step or "", "").format(b=clean(backend))


def verdict_lines(verdict: Verdict, backend: str, indent: str = "  ") -> list[str]:
    lines = [f"{indent}{verdict.level.name}  {clean(verdict.summary)}"]
    for reason in verdict.reasons:
        lines.append(f"{indent}  - {clean(reason.line)}")
        if reason.next_step:
            command = step_command(reason.action, backend)
            lines.append(
                indent
                + "    "
                + _("What to do: {step}").format(step=clean(reason.next_step))
                + (f"  ({command})" if command else "")
            )
    return lines
