"""Every change verb obeys the action catalogue (synctui.actions) and reports what happened, counted.

Before anything is sent: read-only (`--readonly` or `[agent] readonly`) refuses an action the catalogue
does not allow read-only (exit 4); the PIN is read only when the action takes one; the action's confirm
word must be typed, or `--yes` given. Afterwards the result is told from its counts and per-entry results
("3 re-queued, 2 still rejected"), never as "ok" for entries that failed.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from synctui.actions import FAILURE_COUNTS, ActionSpec
from synctui.actions import counted as counted_words
from synctui.cli import exits
from synctui.cli.common import CommandError, clean, say, usage_error
from synctui.config import Config
from synctui.i18n import _
from synctui.model import ActionResult, EntryResult

T = TypeVar("T")


@dataclass(frozen=True)
class Change:
    """A change that passed the local checks: the PIN to send (only when the action takes one) and
    the idempotency key that makes sending it again safe."""

    spec: ActionSpec
    pin: str | None
    key: str


def prepare(spec: ActionSpec, args: argparse.Namespace, config: Config, sentence: str) -> Change:
    """Read-only, PIN, confirmation — in that order, and all before anything is sent."""
    refuse_if_readonly(spec, config)
    pin = pin_for(spec, args)
    confirm(spec, args, sentence)
    return Change(spec, pin, uuid.uuid4().hex)


def on_backend(action_label: str, backend: str, target: str) -> str:
    """The sentence a change is confirmed with: "Retry on clinic: 2 entries"."""
    return _("{action} on {backend}: {what}").format(action=action_label, backend=backend, what=target)


def refuse_if_readonly(spec: ActionSpec, config: Config) -> None:
    allowed = spec.allowed_readonly(readonly_allows_sync=config.agent.readonly_allows_sync)
    if config.agent.readonly and not allowed:
        if spec.readonly_key:
            refused = _(
                "{action} refused: read-only (--readonly); [agent] readonly_allows_sync = true allows it. "
                "Nothing was sent."
            )
        else:
            refused = _("{action} refused: read-only (--readonly). Nothing was sent.")
        raise CommandError("synctui: " + refused.format(action=spec.label), exits.REFUSED)


def pin_for(spec: ActionSpec, args: argparse.Namespace) -> str | None:
    """The admin PIN from --pin-file or $SYNCTUI_PIN, only for an action that takes one."""
    if not spec.pin:
        return None
    pin_file = getattr(args, "pin_file", None)
    if pin_file:
        path = Path(pin_file)
        try:
            pin = path.read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else type(exc).__name__
            raise usage_error(
                "synctui: " + _("cannot read the PIN file {path}: {reason}").format(path=path, reason=reason)
            ) from None
        if not pin:
            raise usage_error("synctui: " + _("the PIN file {path} is empty").format(path=path))
        return pin
    return os.environ.get("SYNCTUI_PIN") or None


def confirm(spec: ActionSpec, args: argparse.Namespace, sentence: str) -> None:
    """The catalogue's confirm word, typed at a terminal; `--yes` in scripts."""
    word = spec.confirm_word
    if word is None or getattr(args, "yes", False):
        return
    if not sys.stdin.isatty():
        raise usage_error(
            "synctui: "
            + _(
                "{sentence}: not confirmed (run with --yes when there is no terminal). Nothing was sent."
            ).format(sentence=sentence)
        )
    say(f"{sentence}.\n{spec.description}.")
    try:
        answer = input(_("Type {word} to confirm: ").format(word=word))
    except EOFError:
        answer = ""
    if answer.strip() != word:
        raise usage_error("synctui: " + _("not confirmed. Nothing was sent."))


async def send(
    change: Change,
    call: Callable[[str | None, str], Awaitable[T]],
    *,
    ask_pin: Callable[[str], Awaitable[str]] | None = None,
) -> T:
    """`call(pin, key)` to the agent. When the agent did not answer, once more under the same key (the
    agent answers a repeat with the first result, never runs it twice); when it asks for the PIN and a
    person is at the terminal, ask them (with `ask_pin(prompt)` when given: the plain dashboard reads
    its own lines)."""
    from synctui._httpx import httpx
    from synctui.client_interface import AgentRefused, AgentUnavailable

    try:
        return await call(change.pin, change.key)
    except AgentUnavailable as exc:
        lost = isinstance(exc.__cause__, httpx.TransportError) and not isinstance(
            exc.__cause__, httpx.ConnectError
        )
        if not lost:
            raise  # nothing reached the agent, or it answered something unreadable
        say("synctui: " + _("no answer from the agent ({error}); asking again").format(error=clean(str(exc))))
        try:
            return await call(change.pin, change.key)
        except AgentUnavailable as again:
            unsure = _("{action} may or may not have been done: see `synctui audit`").format(
                action=change.spec.label
            )
            raise CommandError(f"synctui: {clean(str(again))}. {unsure}", exits.UNREACHABLE) from None
    except AgentRefused as exc:
        if exc.status != 401 or not change.spec.pin or change.pin:
            raise
        prompt = _("{action} needs the admin PIN: ").format(action=change.spec.label)
        if ask_pin is not None:
            pin = await ask_pin(prompt)
        elif sys.stdin.isatty():
            pin = getpass.getpass(prompt)
        else:
            raise
        return await call(pin or None, uuid.uuid4().hex)


# --- what happened, counted -----------------------------------------------------------------------


def counted(action: str, counts: Mapping[str, int], results: Sequence[EntryResult] = ()) -> str:
    """What an action did, in words (synctui.actions.counted), control characters neutralised."""
    return clean(counted_words(action, counts, results))


def failures(result: ActionResult) -> int:
    from_counts = sum(n for k, n in result.counts.items() if k in FAILURE_COUNTS and isinstance(n, int))
    return max(from_counts, sum(not r.ok for r in result.results))


def report(spec: ActionSpec, where: str, result: ActionResult) -> int:
    """Print what a short change did, counted, entry by entry; exit 0 only when all of it was done."""
    done_word, failed_word = _(spec.done_word), _(spec.failed_word)
    summary = counted(spec.name, result.counts, result.results)
    message = clean(result.message)
    fallback = _("finished; the agent sent no counts") if result.ok else _("FAILED")
    print(
        _("{action} on {backend}: {what}").format(
            action=spec.label, backend=where, what=summary or message or fallback
        )
    )
    if message and summary and not result.ok:
        print(f"  {message}")
    for entry in result.results:
        text = clean(entry.message)
        reason = entry.rejection.message if entry.rejection and not entry.ok else text
        word = done_word if entry.ok else failed_word
        print(f"  {clean(entry.id)}: {word}" + (f" — {clean(reason)}" if reason else ""))
        if not entry.ok and entry.rejection and entry.rejection.advice:
            print("    " + _("What to do: {step}").format(step=clean(entry.rejection.advice)))
    return exits.OK if result.ok and not failures(result) else exits.FAILED
