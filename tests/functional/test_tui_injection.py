"""Terminal injection (issue 9, item 3): a hostile backend or plugin whose every string carries escape
sequences — OSC 52 (fills the clipboard), CSI 2J (blanks the screen), BEL, a C1 CSI and a bidi override
— must never reach the terminal raw, on any screen. Each screen is opened with such data and what the
app would write to the terminal is checked: no raw ESC / BEL / C1 / bidi character in the text, and the
visible escape (`\\x1b]52;…`) is shown instead."""

from __future__ import annotations

import io
import json
import re
from dataclasses import replace

from rich.console import Console
from textual.content import Content
from textual.widgets import DataTable

from synctui.model import (
    ActionResult,
    ActionStatus,
    AgentState,
    BackendView,
    Capability,
    Category,
    Comparison,
    EntryDetail,
    EntryPage,
    EntryResult,
    Health,
    InfoItem,
    Job,
    JobState,
    PluginInfo,
    QueueEntry,
    QueueKind,
    QueueStat,
    Rejection,
    Setting,
    SyncLogRow,
    SyncProgress,
    SyncStep,
)
from synctui.text import is_safe, one_line, visible
from synctui.tui.screens.archive import ArchiveScreen
from synctui.tui.screens.audit import AuditScreen
from synctui.tui.screens.backend_details import BackendDetailsScreen
from synctui.tui.screens.compare import CompareScreen
from synctui.tui.screens.confirm import ConfirmScreen
from synctui.tui.screens.entry_inspector import EntryInspectorScreen
from synctui.tui.screens.help import HelpScreen
from synctui.tui.screens.queue_browser import QueueBrowserScreen
from synctui.tui.screens.sync_progress import SyncProgressScreen
from synctui.tui.widgets.queues.entry_rows import EntryRows
from tests.functional.tui_fakes import (
    SANTEDB_HISTORY,
    FakeAgentClient,
    ago,
    make_app,
    santedb_snapshot,
    until,
)

OSC52 = "\x1b]52;c;SGVsbG8=\x07"
CLEAR = "\x1b[2J"
BEL = "\x07"
C1 = "\x9b"
BIDI = "\u202e"
EVIL = OSC52 + CLEAR + BEL + C1 + BIDI
SHOWN = "\\x1b]52;c;SGVsbG8=\\x07"  # how OSC 52 must look on screen
RAW = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
# What Textual itself writes: SGR styles, cursor moves and OSC 8 links. Anything else is injected.
OWN_SEQUENCES = re.compile(r"\x1b\[[0-9;:]*[mHJK]|\x1b\]8;[^\x1b\x07]*(?:\x1b\\|\x07)|\r|\n")
OUT, INB, ADM, CON = QueueKind.OUTBOX, QueueKind.INBOX, QueueKind.ADMIN, QueueKind.CONFLICTS
EVIL_BACKEND = f"evil{EVIL}"


def evil(text: str) -> str:
    return f"{text} {EVIL} [bold]markup[/bold]"


EVIL_REJECTION = Rejection(
    Category.FIX_DATA,
    evil("the server refused it"),
    advice=evil("do something\nabout it"),
    status=409,
    code=evil("CODE"),
    raw=evil("raw reason\nline two"),
)


def evil_snapshot(backend: str = "santedb"):
    return replace(
        santedb_snapshot(),
        backend=backend,
        kind=evil("kind"),
        queues=[
            QueueStat(OUT, 12, oldest=ago(hours=2), detail=evil("12 bundles"), label=evil("Outbox")),
            QueueStat(INB, 4, oldest=ago(minutes=3), label=evil("Inbox")),
            QueueStat(ADM, None, known=False, detail=evil("not read")),
            QueueStat(CON, 3, oldest=ago(days=1), label=evil("Conflicts")),
        ],
        health=Health(
            online=False,
            latency_ms=42.0,
            auth_ok=False,
            server_version=evil("3.0"),
            error=Rejection(Category.RETRYABLE, evil("cannot reach"), advice=evil("check the cable")),
        ),
        stale=True,
        log=[
            SyncLogRow("patient", evil("Patient"), filter=evil("?f=1"), last_success=ago(days=5)),
            SyncLogRow("place", evil("Place"), last_success=None, last_error=evil("404\nNot Found")),
        ],
        jobs=[
            Job("sync", evil("Synchronize"), JobState.FAILED, last_start=ago(hours=1), message=evil("disk")),
            Job("count", evil("Count"), JobState.RUNNING, progress=0.5, last_start=ago(minutes=1)),
        ],
        info=[InfoItem("site", evil("Site"), evil("clinic"))],
        progress=SyncProgress(steps=[SyncStep(evil("step"), 10, 5, ago(seconds=9))], message=evil("pushing")),
        capabilities=frozenset(Capability),
    )


def evil_state() -> AgentState:
    return AgentState(
        backends=[
            BackendView(snapshot=evil_snapshot(), history=SANTEDB_HISTORY),
            BackendView(snapshot=evil_snapshot(EVIL_BACKEND)),
        ],
        version=evil("0.1"),
        started=ago(days=2),
        plugins=[PluginInfo(evil("plugin"), evil("source"), [evil("kind")], error=evil("ImportError"))],
        revision=1,
    )


def evil_entry(kind: QueueKind, index: int) -> QueueEntry:
    return QueueEntry(
        id=f"{EVIL}{kind.value}-{index:05d}",
        queue=kind,
        record_type=evil("Patient"),
        operation=evil("create"),
        created=ago(hours=2),
        attempts=index % 4,
        rejection=EVIL_REJECTION,
        correlation=evil("ref"),
    )


class HostileClient(FakeAgentClient):
    """Every string the agent hands the dashboard carries escape sequences."""

    description = evil("/run/agent.sock")

    def __init__(self) -> None:
        super().__init__(evil_state())
        self.audit_records = [
            {
                "time": evil("2025-03-10"),
                "user": evil("nurse"),
                "backend": EVIL_BACKEND,
                "action": evil("retry"),
                "phase": evil("after"),
                "target": [evil("c-1"), {"k": evil("v")}],
                "result": {"ok": False, "message": evil("wrong PIN")},
            },
            {"time": "2025-03-10T09:30:00+00:00", "action": "retry", "target": {"id": evil("x")}},
        ]
        self.archive_records = [
            {
                "archive_id": evil("ar-1"),
                "time": evil("2025-03-10"),
                "backend": EVIL_BACKEND,
                "queue": evil("conflicts"),
                "user": evil("nurse"),
                "entry": {"record_type": evil("Patient"), "operation": evil("Insert")},
                "restored": evil("2025-03-11"),
            }
        ]

    async def entries(self, backend, queue, offset=0, limit=50, filter=None) -> EntryPage:
        self.calls.append(("entries", backend, queue, offset, limit, filter))
        return EntryPage([evil_entry(queue, i) for i in range(3)], offset=offset, limit=limit, total=3)

    async def entry(self, backend, queue, id) -> EntryDetail:
        self.calls.append(("entry", backend, queue, id))
        payload = json.dumps({"name": EVIL, "note": evil("x")}, ensure_ascii=False)
        # Not JSON either: shown as stored, so every control character is in it as it came.
        payload += "\n" + evil("trailer\r\nline") + "\x85\u2028end"
        return EntryDetail(entry=evil_entry(queue, 0), payload=payload, content_type=evil("application/json"))

    async def compare(self, backend, queue, id) -> Comparison:
        self.calls.append(("compare", backend, queue, id))
        local = json.dumps({"a": evil("local")}, ensure_ascii=False)
        return Comparison(id, local, local.replace("local", "server") + f"\n{EVIL}", evil("a note"))

    async def settings(self, backend: str) -> list[Setting]:
        self.calls.append(("settings", backend))
        return [Setting(evil("key"), evil("Interval"), evil("300"), editable=True, help=evil("seconds"))]

    async def check_connection(self, backend: str) -> Health:
        self.calls.append(("check_connection", backend))
        return Health(online=True, latency_ms=1.0, auth_ok=True, server_version=evil("probe"))

    async def retry(self, backend, ids, *, pin=None, key=None) -> ActionResult:
        self.calls.append(("retry", backend, ids, pin))
        results = [EntryResult(i, False, evil("rejected"), EVIL_REJECTION) for i in ids or []]
        return ActionResult(False, evil("0 queued"), results, counts={"failed": len(results)})


# --- what reaches the terminal ------------------------------------------------------------------


def terminal_output(app) -> str:
    """What the app would write to a terminal for the current screen alone (a dialog without the screen
    under it, which is checked on its own)."""
    width, height = app.size
    console = Console(
        width=width,
        height=height,
        file=io.StringIO(),
        force_terminal=True,
        color_system="truecolor",
        legacy_windows=False,
    )
    update = app.screen._compositor.render_update(full=True, screen_stack=[])
    return update.render_segments(console)


def widget_texts(screen) -> list[str]:
    """The text of every widget of `screen`, drawn or scrolled out of view: renders, table cells,
    border titles."""
    texts: list[str] = []
    for widget in screen.walk_children(with_self=False):
        for title in (widget._border_title, widget._border_subtitle):
            if title is not None:
                texts.append(title.plain)
        if isinstance(widget, DataTable):
            for row_key in widget.rows:
                texts.extend(str(getattr(c, "plain", c)) for c in widget.get_row(row_key))
            continue
        if isinstance(widget, EntryRows):
            texts.extend(cell.plain for row in widget.rows for cell in row)
            continue
        try:
            rendered = widget.render()
        except Exception:
            continue
        if isinstance(rendered, Content) or hasattr(rendered, "plain"):
            texts.append(rendered.plain)
    return texts


def assert_neutralised(app, where: str, *, shown: bool = True) -> None:
    output = terminal_output(app)
    injected = OWN_SEQUENCES.sub("", output)
    bad = RAW.findall(injected) + [c for c in injected if not is_safe(c)]
    assert not bad, f"{where}: raw control characters reach the terminal: {sorted(set(bad))!r}"
    for text in widget_texts(app.screen):
        assert not RAW.search(text), f"{where}: a widget holds raw control characters: {text!r}"
    if shown:
        assert "\\x1b" in output, f"{where}: the escape sequence is not shown visibly"
    svg = app.export_screenshot()  # with the screens under a dialog
    assert "\x1b]52" not in svg and "\x07" not in svg and BIDI not in svg, where


async def back_to_dashboard(pilot) -> None:
    for _ in range(50):
        if len(pilot.app.screen_stack) == 1:
            return
        await pilot.press("escape")
        await pilot.pause(0.05)
    raise AssertionError("could not get back to the dashboard")


async def opened(pilot, screen_type, what: str):
    await until(pilot, lambda: isinstance(pilot.app.screen, screen_type), what)
    await pilot.pause()
    return pilot.app.screen


async def test_every_screen_shows_hostile_backend_text_as_escapes() -> None:
    client = HostileClient()
    app = make_app(client)
    async with app.run_test(size=(160, 50)) as pilot:
        await until(pilot, lambda: app.agent_state is not None, "first state")
        await pilot.pause()
        assert_neutralised(app, "main screen")
        assert SHOWN in "".join(widget_texts(app.screen))
        # Notifications quote backend text too (refresh failures, counts, warnings).
        app.notify(evil("a notification"), title=evil("title"))
        await pilot.pause()
        assert_neutralised(app, "notification")

        # The second backend's name itself is hostile.
        app.select_backend(EVIL_BACKEND)
        await pilot.pause()
        assert_neutralised(app, "main screen, hostile backend name")
        app.select_backend("santedb")
        await pilot.pause()

        for key, kind in (("1", OUT), ("2", INB), ("4", CON)):
            await pilot.press(key)
            browser = await opened(pilot, QueueBrowserScreen, f"{kind.value} browser")
            await until(pilot, lambda b=browser: b.page is not None, "first page")
            await pilot.pause()
            assert_neutralised(app, f"{kind.value} browser")
            if kind is not CON:
                await pilot.press("escape")
                await until(pilot, lambda: not isinstance(app.screen, QueueBrowserScreen), "back")

        await pilot.press("enter")
        inspector = await opened(pilot, EntryInspectorScreen, "entry inspector")
        await until(pilot, lambda: inspector.detail is not None, "entry detail")
        await pilot.pause()
        assert_neutralised(app, "entry inspector")
        payload = inspector.query_one("#payload").render().plain
        assert "\\x1b]52" in payload and "\\u202e" in payload and "\\x85" in payload
        assert "[bold]markup[/bold]" in payload  # markup stays literal
        await pilot.press("v")  # the raw reason
        await pilot.pause()
        assert_neutralised(app, "entry inspector, raw reason")
        raw = inspector.query_one("#raw").render().plain
        assert "raw reason" in raw and "\nline two" in raw and "\\x07" in raw

        await pilot.press("r")  # retry: the result quotes the backend's reasons
        await until(pilot, lambda: bool(inspector.query_one("#result").text), "retry result")
        await pilot.pause()
        assert_neutralised(app, "entry inspector, retry result")

        await pilot.press("d")  # discard: the confirmation names the record type and id
        await opened(pilot, ConfirmScreen, "confirm dialog")
        assert_neutralised(app, "discard confirmation")
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, EntryInspectorScreen), "back to the inspector")

        await pilot.press("c")
        compare = await opened(pilot, CompareScreen, "compare")
        await until(pilot, lambda: compare.comparison is not None, "comparison")
        await pilot.pause()
        assert_neutralised(app, "compare")
        await back_to_dashboard(pilot)

        await pilot.press("i")
        details = await opened(pilot, BackendDetailsScreen, "backend details")
        await until(pilot, lambda: details.settings is not None, "settings")
        await pilot.pause()
        assert_neutralised(app, "backend details")
        await pilot.press("k")  # check the connection
        await until(pilot, lambda: ("check_connection", "santedb") in client.calls, "probe")
        await pilot.pause()
        assert_neutralised(app, "backend details, probed")
        await pilot.press("e")  # change a setting: the dialog shows its label, value and help
        await opened(pilot, ConfirmScreen, "settings dialog")
        assert_neutralised(app, "settings dialog")
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, BackendDetailsScreen), "back to details")
        await back_to_dashboard(pilot)

        await pilot.press("a")
        audit = await opened(pilot, AuditScreen, "audit")
        await until(pilot, lambda: ("audit", 100) in client.calls or len(client.calls) > 0, "audit read")
        await pilot.pause()
        assert_neutralised(app, "audit")
        assert audit.query_one(DataTable).row_count == 2
        await back_to_dashboard(pilot)

        await pilot.press("u")
        archive = await opened(pilot, ArchiveScreen, "archive")
        await until(pilot, lambda: bool(archive.records), "archive read")
        await pilot.pause()
        assert_neutralised(app, "archive")
        await back_to_dashboard(pilot)

        await pilot.press("question_mark")
        await opened(pilot, HelpScreen, "help")
        assert_neutralised(app, "help", shown=False)  # help is ours; the tabs below it are not drawn
        await pilot.press("escape")
        await until(pilot, lambda: not isinstance(app.screen, HelpScreen), "help closed")


def evil_sync(ok: bool) -> tuple[ActionStatus, ActionStatus]:
    running = ActionStatus(
        "s-1",
        "santedb",
        "synchronize",
        "running",
        ago(seconds=9),
        progress=SyncProgress(
            steps=[SyncStep(evil("Push"), 10, 4, ago(seconds=9))], message=evil("sending"), hung=False
        ),
        message=evil("running"),
    )
    if ok:
        final = replace(
            running,
            state="done",
            finished=ago(seconds=1),
            ok=True,
            message=evil("12 sent"),
            counts={"sent": 12},
            progress=SyncProgress(steps=[], running=False),
        )
    else:
        final = replace(
            running,
            state="failed",
            finished=ago(seconds=1),
            ok=False,
            message=evil("push failed"),
            rejection=EVIL_REJECTION,
            counts={"failed": 3},
        )
    return running, final


async def run_sync(outcome: bool | None) -> None:
    """Synchronize Now with a hostile progress, success (True), failure (False), or a refusal whose
    text quotes the hostile backend name (None)."""
    client = HostileClient()
    if outcome is not None:
        client.sync_plans["santedb"] = [evil_sync(outcome)]
    app = make_app(client)
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: app.agent_state is not None, "first state")
        await pilot.pause()
        if outcome is None:
            app.select_backend(EVIL_BACKEND)
            await pilot.pause()
        await pilot.press("s")
        dialog = await opened(pilot, SyncProgressScreen, "sync dialog")
        final = "done" if outcome else "failed"
        await until(pilot, lambda: dialog.phase in ("running", final), "progress")
        await pilot.pause()
        assert_neutralised(app, f"sync dialog ({dialog.phase})")
        await until(pilot, lambda: dialog.phase == final, f"sync {final}")
        await pilot.pause()
        assert_neutralised(app, f"sync dialog ({final})")


async def test_sync_dialog_success_shows_hostile_text_as_escapes() -> None:
    await run_sync(True)


async def test_sync_dialog_failure_shows_hostile_text_as_escapes() -> None:
    await run_sync(False)


async def test_sync_refused_for_a_hostile_backend_name_shows_escapes() -> None:
    await run_sync(None)


# --- the function itself ------------------------------------------------------------------------


def test_visible_shows_controls_escapes_and_bidi_as_text() -> None:
    assert visible(EVIL) == "\\x1b]52;c;SGVsbG8=\\x07\\x1b[2J\\x07\\x9b\\u202e"
    assert visible("a\x00b\x7fc\ud800d\u2028e\ufeff") == "a\\x00b\\x7fc\\ud800d\\u2028e\\ufeff"
    assert visible("one\ntwo\r\nthree\tx") == "one\\ntwo\\r\\nthree\\tx"
    assert visible("one\ntwo\r\nthree\tx", multiline=True) == "one\ntwo\nthree\tx"
    assert visible("lone\rcr\x0bvt", multiline=True) == "lone\\rcr\\x0bvt"
    assert visible(None) == "" and visible(42) == "42"


def test_visible_keeps_real_text() -> None:
    text = "Ama Banda — Ñandú 中文 עברית العربية 👩\u200d⚕️ ZWNJ:\u200c [b]markup[/b] C:\\path"
    assert visible(text) == text
    assert visible(visible(EVIL)) == visible(EVIL)  # idempotent: escapes are plain text


def test_one_line_collapses_whitespace_then_escapes() -> None:
    assert one_line(f"  a\n\tb  {CLEAR}c ") == "a b \\x1b[2Jc"
    assert one_line("x" * 10, 5) == "xxxx…"
    assert one_line(None) == ""
