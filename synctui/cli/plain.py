"""The plain dashboard: `synctui --plain`, and `synctui` / `synctui demo` on a terminal that cannot draw
a screen (`TERM=dumb`) or when stdout is not a terminal.

Lines only, for a screen reader and a slow serial or SSH line: no box drawing, no spinner, no colour;
every state is a word (SAFE, WAITING, ATTENTION, UNKNOWN). It prints each backend's verdict with its
reasons and counts (as `synctui status` does), then a numbered menu read from stdin: Synchronize Now,
Re-Queue Conflicted, Check connection, Refresh, Status, another backend, Quit. Actions go through the
same agent client and catalogue as the dashboard and the CLI verbs (confirm word, PIN, idempotency
key, results counted). While it waits for a line, a backend whose verdict changes gets one line, and
the terminal bell rings (`[dashboard] bell = true`) when one turns to ATTENTION. Everything a backend
or the agent says is shown with its control characters as escapes (`clean`).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import sys
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from synctui.actions import action, offered
from synctui.attention import AttentionWatch
from synctui.cli import exits
from synctui.cli.changes import Change, report, send
from synctui.cli.check import health_lines
from synctui.cli.common import CommandError, clean
from synctui.cli.status import backend_lines, format_status
from synctui.cli.sync import follow, started_line
from synctui.cli.typed_lines import TypedLines
from synctui.i18n import N_, _, labelled
from synctui.model import AgentState, BackendView, Level, QueueKind, Verdict
from synctui.verdict import judge, never_read

if TYPE_CHECKING:
    from synctui.client import HttpAgentClient


JUDGE_EVERY = 5.0  # seconds: judge again with the clock even when the agent pushes nothing
FIRST_READ_WAIT = 10.0  # seconds to wait for the first reading of every backend before the status
RETRY_DELAYS = (0.5, 1.0, 2.0, 5.0, 10.0, 30.0)  # seconds between attempts to reach a lost agent
SYNC_TIMEOUT = 1800.0  # seconds to follow a Synchronize Now


@dataclass(frozen=True)
class Choice:
    number: str
    word: str
    title: str
    detail: str = ""
    catalogue: str | None = None  # the catalogue action whose offer decides whether it is listed

    @property
    def label(self) -> str:
        return _(self.title)

    @property
    def line(self) -> str:
        return f"  {self.number}  " + (labelled(self.label, _(self.detail)) if self.detail else self.label)


# The words (`word`) are typed: they stay English in every language, as keys do; the number works too.
CHOICES = (
    Choice("1", "sync", N_("Synchronize Now"), catalogue="synchronize"),
    Choice("2", "retry", N_("Re-Queue Conflicted"), N_("send every rejected entry again"), "retry-all"),
    Choice("3", "check", N_("Check Connection"), N_("probe the server, read-only"), "check-connection"),
    Choice("4", "refresh", N_("Refresh"), N_("read it again now")),
    Choice("5", "status", N_("Status"), N_("show everything again")),
    Choice("6", "backend", N_("Choose another backend")),
    Choice("q", "quit", N_("Quit")),
)


def choice_for(typed: str) -> Choice | None:
    word = typed.strip().lower()
    return next((c for c in CHOICES if word in (c.number, c.word)), None)


def tried_once(view: BackendView) -> bool:
    """The agent has read the backend, or tried and said why it could not."""
    return not never_read(view.snapshot) or view.snapshot.health.error is not None


def _local_now() -> datetime:
    return datetime.now(UTC).astimezone()


class PlainDashboard:
    """The agent's state as lines, and the menu read from `lines`, until Quit or the end of input."""

    def __init__(
        self,
        client: HttpAgentClient,
        lines: TypedLines,
        *,
        bell: bool = False,
        readonly: bool = False,
        clock: Callable[[], datetime] = _local_now,
    ) -> None:
        self.client = client
        self.lines = lines
        self.ring_bell = bell
        self.readonly = readonly
        self.clock = clock
        self.state: AgentState | None = None
        self.agent_error: str | None = None
        self.verdicts: dict[str, Verdict] = {}
        self.selected: str | None = None
        self.attention = AttentionWatch()
        self.shown: dict[str, Level] = {}  # the level each backend was last shown with
        self.status_printed = False
        self.refreshing: dict[str, datetime] = {}  # backend -> taken_at of the data it had when asked
        self.first_reading = asyncio.Event()

    # --- the loop -------------------------------------------------------------------------------------

    async def run(self) -> int:
        self.lines.start()
        tasks = [asyncio.create_task(self._follow_agent()), asyncio.create_task(self._tick())]
        try:
            print(_("synctui, plain mode, on {agent}").format(agent=clean(self.client.description)))
            print(_("Reading the backends…"))
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(FIRST_READ_WAIT):
                    await self.first_reading.wait()
            self.print_status()
            self.print_menu()
            while True:
                typed = await self.lines.next()
                if typed is None:
                    return exits.OK
                if not typed.strip():
                    self.print_menu()
                    continue
                choice = choice_for(typed)
                if choice is None:
                    print(
                        _("Not a choice: '{typed}'. Type a number from the menu (Enter shows it).").format(
                            typed=clean(typed)[:40]
                        )
                    )
                    continue
                if choice.word == "quit":
                    return exits.OK
                await self.do(choice)
                print(self.short_menu())
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    async def _follow_agent(self) -> None:
        from synctui.client_interface import follow_updates

        async for update in follow_updates(self.client, RETRY_DELAYS):
            if isinstance(update, str):
                if self.agent_error is None:
                    self.notice(
                        _("Lost the agent: {error}. Trying again; what follows is its last data.").format(
                            error=clean(update)
                        )
                    )
                self.agent_error = update
                self.judge_all()
                continue
            if self.agent_error is not None:
                self.notice(_("The agent answers again."))
            self.apply_state(update)

    async def _tick(self) -> None:
        while True:
            await asyncio.sleep(JUDGE_EVERY)
            self.judge_all()

    # --- what the agent says ----------------------------------------------------------------------

    def apply_state(self, state: AgentState) -> None:
        self.state = state
        self.agent_error = None
        if all(tried_once(view) for view in state.backends):
            self.first_reading.set()
        self.judge_all()
        for name, asked_at in list(self.refreshing.items()):
            view = state.view(name)
            if view is None or view.snapshot.taken_at > asked_at:
                del self.refreshing[name]
                if view is not None:
                    self.notice(
                        _("Read {backend} again:").format(backend=clean(name)),
                        *backend_lines(self.judged(view), state, self.clock()),
                    )

    def judge_all(self) -> None:
        """Judge every backend with this clock; a line for each whose level changed since it was last
        shown, and the bell for each that has just turned to ATTENTION."""
        now = self.clock()
        views = self.state.backends if self.state is not None else []
        self.verdicts = {v.snapshot.backend: judge(v, now, agent_error=self.agent_error) for v in views}
        changes = []
        if self.status_printed:
            for name, verdict in self.verdicts.items():
                if self.shown.get(name) is not verdict.level:
                    changes.append(
                        _("{backend}: {level} now.").format(backend=clean(name), level=verdict.level.name)
                        + f" {clean(verdict.summary)}"
                    )
                    self.shown[name] = verdict.level
        if changes:
            self.notice(*changes)
        if self.attention.turned(self.verdicts) and self.ring_bell:
            print("\a", end="", flush=True)

    def judged(self, view: BackendView) -> BackendView:
        return dataclasses.replace(view, verdict=self.verdicts.get(view.snapshot.backend))

    def notice(self, *lines: str) -> None:
        """Lines that arrive while a person may be typing: printed, then the prompt again."""
        self.lines.interrupt()
        print(*lines, sep="\n")
        self.lines.prompt_again()

    # --- what is printed --------------------------------------------------------------------------

    def selected_view(self) -> BackendView | None:
        if self.state is None or not self.state.backends:
            return None
        return self.state.view(self.selected or "") or self.state.backends[0]

    def print_status(self) -> None:
        if self.state is None:
            why = clean(self.agent_error) or _("it has sent nothing")
            print(_("No data from the agent yet: {why}.").format(why=why))
            return
        state = dataclasses.replace(self.state, backends=[self.judged(v) for v in self.state.backends])
        print(format_status(state, self.clock()))
        if self.agent_error:
            print(
                _("The agent does not answer ({error}): this is its last data.").format(
                    error=clean(self.agent_error)
                )
            )
        self.shown = {name: verdict.level for name, verdict in self.verdicts.items()}
        self.status_printed = True

    def offered_choices(self, view: BackendView) -> list[Choice]:
        count = len(self.state.backends) if self.state else 0
        return [
            c
            for c in CHOICES
            if (c.catalogue is None or self.offers(view, c.catalogue)) and (c.word != "backend" or count > 1)
        ]

    def print_menu(self) -> None:
        view = self.selected_view()
        if view is None:
            print(_("No backend to act on. Menu: 5 status, q quit."))
            return
        name = view.snapshot.backend
        print(
            "\n"
            + _("Backend: {backend}, {level}").format(
                backend=clean(name), level=self.verdict(name).level.name
            )
        )
        for choice in self.offered_choices(view):
            print(choice.line)
        print(_("Type a number (or its word) and Enter; Enter alone shows this menu again."))

    def short_menu(self) -> str:
        view = self.selected_view()
        shown = self.offered_choices(view) if view is not None else []
        return _("Menu: {choices}").format(
            choices=", ".join(f"{c.number} {c.word}" for c in shown or [CHOICES[4], CHOICES[-1]])
        )

    def verdict(self, name: str) -> Verdict:
        return self.verdicts.get(name) or Verdict(
            Level.UNKNOWN, [], _("Not known: no data from the agent yet")
        )

    def offers(self, view: BackendView, name: str) -> bool:
        state = self.state
        return offered(
            action(name),
            view.snapshot.capabilities,
            readonly=self.readonly or bool(state and state.readonly),
            readonly_allows_sync=bool(state and state.readonly_allows_sync),
        )

    # --- what a person asks for -------------------------------------------------------------------

    async def do(self, choice: Choice) -> None:
        from synctui.client_interface import AgentRefused, AgentUnavailable

        if choice.word == "status":
            self.print_status()
            return
        if choice.word == "backend":
            await self.choose_backend()
            return
        view = self.selected_view()
        if view is None:
            print(_("No backend to act on yet."))
            return
        name = view.snapshot.backend
        if choice.catalogue and not self.offers(view, choice.catalogue):
            spec = action(choice.catalogue)
            print(
                _("{action} is not offered for {backend} ({why}).").format(
                    action=spec.label, backend=clean(name), why=self.why_not(view, choice.catalogue)
                )
            )
            return
        try:
            if choice.word == "sync":
                await self.synchronize(name)
            elif choice.word == "retry":
                await self.requeue_conflicted(view)
            elif choice.word == "check":
                print(*health_lines(name, await self.client.check_connection(name)), sep="\n")
            elif choice.word == "refresh":
                await self.client.refresh(name)
                self.refreshing[name] = view.snapshot.taken_at
                print(
                    _("Asked the agent to read {backend} again; its status follows when it has.").format(
                        backend=clean(name)
                    )
                )
        except AgentRefused as exc:
            print(
                _("{action} refused by the agent ({status}): {reason}").format(
                    action=choice.label, status=exc.status, reason=clean(exc.message)
                )
            )
        except AgentUnavailable as exc:
            print(_("{action} not done: {reason}").format(action=choice.label, reason=clean(str(exc))))
        except CommandError as exc:
            print(exc.message)

    def why_not(self, view: BackendView, name: str) -> str:
        spec = action(name)
        if spec.capability not in view.snapshot.capabilities:
            return _("this backend cannot do it")
        return _("read-only")

    async def synchronize(self, name: str) -> None:
        change = Change(action("synchronize"), None, uuid.uuid4().hex)
        status = await send(change, lambda pin, key: self.client.synchronize(name, key=key))
        print(started_line(name, status))
        if not self.lines.interactive:  # the lines that follow in a script are the next choices
            await follow(self.client, name, status, timeout=SYNC_TIMEOUT)
            return
        print(_("Following it; Enter stops watching (the sync goes on in the agent)."))
        following = asyncio.create_task(follow(self.client, name, status, timeout=SYNC_TIMEOUT))
        typed = asyncio.create_task(self.lines.next(prompt=""))
        done, _pending = await asyncio.wait({following, typed}, return_when=asyncio.FIRST_COMPLETED)
        for task in (following, typed):
            if task not in done:
                task.cancel()
        await asyncio.gather(following, typed, return_exceptions=True)
        if following not in done:
            print(
                _("Status (5) shows where it is; a change of {backend}'s verdict shows here.").format(
                    backend=clean(name)
                )
            )

    async def requeue_conflicted(self, view: BackendView) -> None:
        spec = action("retry-all")
        name = view.snapshot.backend
        conflicts = view.snapshot.queue(QueueKind.CONFLICTS)
        if conflicts.known and conflicts.count == 0:
            print(_("{backend} has no rejected entries to send again.").format(backend=clean(name)))
            return
        print(
            _("{action} on {backend}: every rejected entry.").format(action=spec.label, backend=clean(name))
            + f" {spec.description}."
        )
        typed = await self.lines.next(
            _("Type {word} to confirm (anything else cancels): ").format(word=spec.confirm_word)
        )
        if (typed or "").strip() != spec.confirm_word:
            print(_("Not confirmed. Nothing was sent."))
            return
        pin = None
        if spec.pin and self.state is not None and self.state.pin_required:
            pin = await self.ask_pin(_("{action} needs the admin PIN: ").format(action=spec.label))
        change = Change(spec, pin, uuid.uuid4().hex)
        result = await send(
            change,
            lambda pin, key: self.client.retry(name, None, pin=pin, key=key),
            ask_pin=self.ask_pin,
        )
        report(spec, clean(name), result)

    async def ask_pin(self, prompt: str) -> str:
        return (await self.lines.secret(prompt) or "").strip()

    async def choose_backend(self) -> None:
        names = [v.snapshot.backend for v in self.state.backends] if self.state else []
        for number, name in enumerate(names, 1):
            print(f"  {number}  {clean(name)}, {self.verdict(name).level.name}")
        typed = (await self.lines.next(_("Which backend (number or name)? ")) or "").strip()
        chosen = next((n for i, n in enumerate(names, 1) if typed in (str(i), n)), None)
        if chosen is None:
            print(
                _("No backend '{typed}'; still on {backend}.").format(
                    typed=clean(typed)[:40], backend=clean(self.selected_view_name())
                )
            )
            return
        self.selected = chosen
        print(
            _("Now on {backend}, {level}.").format(
                backend=clean(chosen), level=self.verdict(chosen).level.name
            )
        )

    def selected_view_name(self) -> str:
        view = self.selected_view()
        return view.snapshot.backend if view is not None else _("none")


async def run_plain(client: HttpAgentClient, *, bell: bool, readonly: bool) -> int:
    """The plain dashboard on `client` until Quit or the end of stdin; closes the client."""
    reconfigure = getattr(sys.stdout, "reconfigure", None)
    if reconfigure is not None:
        reconfigure(line_buffering=True)  # each line reaches a pipe or a serial line as it is printed
    try:
        return await PlainDashboard(
            client, TypedLines(sys.stdin.fileno()), bell=bell, readonly=readonly
        ).run()
    finally:
        await client.aclose()
