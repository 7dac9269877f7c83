"""Terminal injection (issue 9, item 3) on the command line: whatever a backend, a plugin or the agent
says — record types, reasons, job names, payloads, error texts — reaches stdout and stderr with its
control characters shown as escapes (`\\x1b`), never raw: OSC 52 (clipboard), CSI 2J (clear screen),
BEL, a C1 CSI and a bidi override are fed through every verb that prints backend text."""

from __future__ import annotations

import io
import json
import logging
import re
from dataclasses import replace
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import httpx
import pytest

from synctui.cli import follow, main
from synctui.model import (
    ActionResult,
    AgentState,
    BackendView,
    Category,
    EntryDetail,
    EntryPage,
    EntryResult,
    Health,
    Job,
    JobState,
    PluginInfo,
    QueueEntry,
    QueueKind,
    QueueStat,
    Rejection,
    Setting,
    Snapshot,
    SyncLogRow,
    SyncProgress,
)
from synctui.text import VisibleFormatter, visible_logs

from .cli_fake_agent import FakeAgent, now, state, sync_status, view

EVIL = "\x1b]52;c;SGVsbG8=\x07" + "\x1b[2J" + "\x07" + "\x9b" + "\u202e"
SHOWN = "\\x1b]52;c;SGVsbG8=\\x07\\x1b[2J\\x07\\x9b\\u202e"
# Every character a terminal would obey: C0 but \n (and \t), DEL, C1, bidi controls, lone surrogates.
RAW = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def evil(text: str) -> str:
    return f"{text} {EVIL}"


REJECTION = Rejection(
    Category.FIX_DATA, evil("refused"), advice=evil("fix it"), status=409, code=evil("CODE"), raw=evil("raw")
)


def evil_snapshot() -> Snapshot:
    taken = now()
    return Snapshot(
        "clinic",
        evil("santedb"),
        [
            QueueStat(QueueKind.OUTBOX, 3, oldest=taken - timedelta(hours=1), label=evil("Outbox")),
            QueueStat(QueueKind.INBOX, 0, detail=evil("detail")),
            QueueStat(QueueKind.ADMIN, None),
            QueueStat(QueueKind.CONFLICTS, 2, label=evil("Conflicts")),
        ],
        Health(online=False, error=Rejection(Category.RETRYABLE, evil("cannot reach"), advice=evil("cable"))),
        log=[
            SyncLogRow("p", evil("Patient"), filter=evil("?f"), last_success=taken, last_error=evil("boom")),
        ],
        jobs=[Job("j", evil("Job"), JobState.FAILED, message=evil("disk full"))],
        taken_at=taken,
        stale=True,
    )


def evil_state(**kwargs: Any) -> AgentState:
    views = [
        view(evil_snapshot()),
        BackendView(
            replace(evil_snapshot(), backend=evil("lab")), next_refresh=now() + timedelta(minutes=30)
        ),
    ]
    return state(*views, plugins=[PluginInfo(evil("plugin"), "x", [], error=evil("ImportError"))], **kwargs)


def evil_entry(index: int = 0) -> QueueEntry:
    return QueueEntry(
        id=evil(f"id-{index}"),
        queue=QueueKind.CONFLICTS,
        record_type=evil("Patient"),
        operation=evil("create"),
        created=now(),
        attempts=1,
        rejection=REJECTION,
        correlation=evil("ref"),
    )


def evil_agent() -> FakeAgent:
    payload = json.dumps({"name": EVIL}, ensure_ascii=False) + "\n" + evil("not json\r\nline") + "\x85\u2028"
    return FakeAgent(
        state=evil_state(),
        result=ActionResult(
            False,
            evil("some failed"),
            [
                EntryResult(evil("id-1"), False, evil("again"), REJECTION),
                EntryResult("id-2", True, evil("ok")),
            ],
            counts={"failed": 1, "done": 1},
        ),
        health=Health(online=True, latency_ms=3.0, auth_ok=True, server_version=evil("9.9"), error=REJECTION),
        audit=[
            {
                "time": evil("2025"),
                "user": evil("nurse"),
                "backend": evil("clinic"),
                "action": evil("retry"),
                "phase": "refused",
                "target": [evil("t")],
                "result": {"ok": False, "status": 403, "message": evil("wrong PIN")},
            },
            {
                "time": "2025-03-10T09:30:00+00:00",
                "action": "retry",
                "phase": "after",
                "result": {"ok": True},
            },
        ],
        entries=EntryPage([evil_entry(0), evil_entry(1)], offset=0, limit=50, total=2),
        entry=EntryDetail(entry=evil_entry(0), payload=payload, content_type=evil("json")),
        settings=[Setting(evil("key"), evil("Label"), evil("value"), editable=True, help=evil("help"))],
        archive=[
            {
                "archive_id": evil("a1"),
                "time": evil("2025-03-10"),
                "backend": evil("clinic"),
                "queue": evil("conflicts"),
                "user": evil("nurse"),
                "restored": evil("2025"),
                "entry": {"record_type": evil("Patient"), "operation": evil("create")},
            }
        ],
        archived={"archive_id": "a1", "payload": EVIL, "entry": {"record_type": evil("Patient")}},
    )


def assert_clean(out: str, err: str, *, shown: bool = True) -> None:
    for name, text in (("stdout", out), ("stderr", err)):
        bad = RAW.findall(text)
        assert not bad, f"raw control characters on {name}: {sorted(set(bad))!r}\n{text!r}"
    if shown:
        assert "\\x1b" in out + err, "the escape sequence is not shown visibly"


VERBS = [
    ("status", ["status"]),
    ("status-json", ["status", "--json"]),
    ("queue-ls", ["queue", "ls", "clinic", "conflicts"]),
    ("queue-ls-json", ["queue", "ls", "clinic", "conflicts", "--json"]),
    ("queue-show", ["queue", "show", "clinic", "conflicts", "id-0"]),
    ("queue-show-json", ["queue", "show", "clinic", "conflicts", "id-0", "--json"]),
    ("queue-retry", ["queue", "retry", "clinic", "id-1", "id-2", "--yes"]),
    ("queue-discard", ["queue", "discard", "clinic", "conflicts", "id-1", "--yes"]),
    ("audit", ["audit"]),
    ("audit-json", ["audit", "--json"]),
    ("archive-ls", ["archive", "ls"]),
    ("archive-show", ["archive", "show", "a1"]),
    ("archive-restore", ["archive", "restore", "a1", "--yes"]),
    ("check", ["check", "clinic"]),
    ("settings", ["settings", "clinic"]),
    ("reset", ["reset", "clinic", "--all", "--yes"]),
]


@pytest.mark.parametrize(("name", "argv"), VERBS, ids=[v[0] for v in VERBS])
def test_every_verb_prints_backend_text_with_escapes_shown(name, argv, monkeypatch, capsys):
    evil_agent().install(monkeypatch)
    main(argv)
    captured = capsys.readouterr()
    is_json = name.endswith("-json") or name == "archive-show"  # archive show prints JSON
    assert_clean(captured.out, captured.err, shown=not is_json)
    if is_json:
        assert "\\u001b]52" in json.dumps(json.loads(captured.out))  # JSON's own escapes are fine


def test_queue_show_prints_the_payload_lines_with_escapes(monkeypatch, capsys):
    evil_agent().install(monkeypatch)
    main(["queue", "show", "clinic", "conflicts", "id-0"])
    out = capsys.readouterr().out
    assert SHOWN in out and "\\x85\\u2028" in out
    assert "not json" in out and "\nline" in out  # the payload keeps its lines


@pytest.mark.parametrize("status", [403, 404, 502])
def test_a_refusal_quoting_the_backend_reaches_stderr_with_escapes(status, monkeypatch, capsys):
    agent = evil_agent()
    agent.refuse = (status, evil("the backend said"))
    agent.refuse_reads = (status, evil("the backend said"))
    agent.install(monkeypatch)
    for argv in (
        ["status"],
        ["queue", "ls", "clinic", "conflicts"],
        ["queue", "retry", "clinic", "x", "--yes"],
    ):
        main(argv)
        captured = capsys.readouterr()
        assert_clean(captured.out, captured.err)
        assert SHOWN in captured.err


def test_an_unreachable_agent_reason_reaches_stderr_with_escapes(monkeypatch, capsys):
    import synctui.client

    original = synctui.client.HttpAgentClient

    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError(evil("cannot connect"), request=request)

    def make(**kwargs: Any) -> synctui.client.HttpAgentClient:
        return original(transport=httpx.MockTransport(refuse), timeout=1.0)

    monkeypatch.setattr(synctui.client, "HttpAgentClient", make)
    for argv in (["status"], ["queue", "ls", "clinic", "outbox"], ["check", "clinic"]):
        main(argv)
        captured = capsys.readouterr()
        assert_clean(captured.out, captured.err)


@pytest.fixture
def short_settle(monkeypatch):
    monkeypatch.setattr(follow, "SETTLE_MAX", 0.5)
    monkeypatch.setattr(follow, "SETTLE_MIN", 0.2)
    monkeypatch.setattr(follow, "RECONNECT_DELAY", 0.01)


@pytest.mark.parametrize("outcome", ["done", "failed"])
def test_sync_progress_and_outcome_are_printed_with_escapes(outcome, monkeypatch, capsys, short_settle):
    agent = evil_agent()
    started = now() - timedelta(seconds=20)
    running = sync_status(started=started)
    progress = replace(running, progress=SyncProgress(message=evil("sending")))
    finished = now() - timedelta(seconds=2)
    final = replace(
        running,
        state=outcome,
        ok=outcome == "done",
        finished=finished,
        message=evil("ended"),
        rejection=REJECTION if outcome == "failed" else None,
        counts={"sent": 3},
    )
    before = replace(evil_snapshot(), taken_at=finished - timedelta(seconds=5))
    after = replace(evil_snapshot(), taken_at=now())
    agent.long_status = running
    agent.streams = [
        [
            state(view(before, action=progress), revision=1),
            state(view(before, action=final), revision=2),
            state(view(after, action=final), revision=3),
            3600.0,
        ]
    ]
    agent.install(monkeypatch)
    main(["sync", "clinic"])
    captured = capsys.readouterr()
    assert_clean(captured.out, captured.err)
    assert "\\x1b" in captured.err  # the progress line
    assert "\\x1b" in captured.out  # the outcome


def test_plugins_lists_broken_plugins_with_escapes(monkeypatch, capsys):
    import synctui.plugins

    registry = SimpleNamespace(
        plugins=[PluginInfo(evil("acme"), evil("acme 0.3"), [evil("kind")], error=evil("ImportError"))]
    )
    monkeypatch.setattr(synctui.plugins, "load_plugins", lambda *a, **k: registry)
    for argv in (["plugins"], ["plugins", "--json"]):
        main(argv)
        captured = capsys.readouterr()
        assert_clean(captured.out, captured.err, shown=argv == ["plugins"])


def test_a_plugin_load_error_reaches_stderr_with_escapes(monkeypatch, capsys):
    import synctui.plugins

    def fail(*args: Any, **kwargs: Any) -> Any:
        raise synctui.plugins.PluginLoadError(evil("plugin acme is broken"))

    monkeypatch.setattr(synctui.plugins, "load_plugins", fail)
    assert main(["plugins"]) != 0
    captured = capsys.readouterr()
    assert_clean(captured.out, captured.err)


# --- logs ---------------------------------------------------------------------------------------


def test_log_lines_show_control_characters_as_escapes():
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    logger = logging.getLogger("synctui.test_injection")
    logger.handlers[:] = [handler]
    logger.propagate = False
    visible_logs(logger)
    assert isinstance(handler.formatter, VisibleFormatter)
    logger.warning("backend %s: refresh failed: %s", evil("clinic"), evil("boom\nFAKE forged line"))
    try:
        raise RuntimeError(evil("in a traceback"))
    except RuntimeError:
        logger.exception("refresh crashed: %s", EVIL)
    text = stream.getvalue()
    assert not RAW.findall(text), text
    assert SHOWN in text and "boom\\nFAKE forged line" in text
    assert text.startswith("WARNING synctui.test_injection: backend clinic ")
    assert "Traceback (most recent call last):\n" in text  # a traceback keeps its lines
    lines = text.splitlines()
    assert not any(line.startswith("FAKE") for line in lines)  # no forged line


def test_visible_logs_keeps_the_format_and_is_idempotent():
    handler = logging.StreamHandler(io.StringIO())
    handler.setFormatter(logging.Formatter("{levelname}: {message}", style="{"))
    logger = logging.getLogger("synctui.test_injection_style")
    logger.handlers[:] = [handler]
    logger.propagate = False
    visible_logs(logger)
    formatter = handler.formatter
    visible_logs(logger)
    assert handler.formatter is formatter
    logger.warning("x %s", EVIL)
    assert handler.stream.getvalue() == f"WARNING: x {SHOWN}\n"
