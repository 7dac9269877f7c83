"""The dashboard says "synced" only when the verdict is SAFE: banner, tab marks, the end of a sync, the
end of a Re-Submit, and unknown counts shown as unknown (regression tests of issue 8)."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import timedelta

from textual.widgets import Input, Static

from synctui.model import (
    ActionResult,
    ActionStatus,
    AgentState,
    BackendView,
    Category,
    DepthPoint,
    EntryResult,
    Level,
    QueueKind,
    QueueStat,
    RejectedCount,
    SyncProgress,
)
from synctui.tui.changes import result_line
from synctui.tui.screens.main import MainScreen
from synctui.tui.screens.queue_browser import QueueBrowserScreen
from synctui.tui.screens.sync_progress import SyncProgressScreen
from synctui.tui.widgets.header.backend_tabs import BackendTabs
from synctui.tui.widgets.header.status_banner import StatusBanner
from synctui.tui.widgets.queues.queue_card import QueueCard
from synctui.tui.widgets.queues.queue_diagnosis import QueueDiagnosis
from synctui.tui.widgets.sync.all_synced_banner import AllSyncedBanner
from synctui.tui.widgets.sync.sync_progress_panel import SyncProgressPanel
from tests.functional.repair_helpers import ALL_CAPS, confirm_dialog, repair_state
from tests.functional.tui_fakes import (
    NOW,
    OUT,
    FakeAgentClient,
    ago,
    conflicts_state,
    first_refresh_state,
    make_app,
    synced_snapshot,
    synced_state,
    until,
)


def text_of(widget) -> str:
    return str(widget.render())


async def loaded(pilot) -> None:
    await until(
        pilot,
        lambda: pilot.app.agent_state is not None and pilot.app.fully_composed,
        "first state, whole screen",
    )
    await pilot.pause()


def banner(app) -> str:
    return text_of(app.screen.query_one(AllSyncedBanner))


def shown_text(app, kind: type[Static]) -> str:
    """What the main screen's banner of `kind` shows: "" while it is not mounted (nothing to show yet)
    or hidden."""
    found = app.screen.query(kind)
    return text_of(found.first()) if found and found.first().display else ""


def screen_order(app) -> list[str]:
    return [child.id for child in app.screen.children]


def tab_levels(app) -> dict[str, Level]:
    return {tab.name: tab.level for tab in app.screen.query_one(BackendTabs)._tabs}


def tabs_text(app) -> str:
    return str(app.screen.query_one(BackendTabs).render())


async def sync_dialog(pilot, phase: str) -> SyncProgressScreen:
    await pilot.press("s")
    await until(pilot, lambda: isinstance(pilot.app.screen, SyncProgressScreen), "sync dialog")
    dialog = pilot.app.screen
    await until(pilot, lambda: dialog.phase == phase, phase)
    await pilot.pause()
    return dialog


def dialog_text(dialog: SyncProgressScreen) -> tuple[str, str]:
    return text_of(dialog.query_one("#sync-title", Static)), text_of(dialog.query_one("#sync-body", Static))


# --- banner and tabs --------------------------------------------------------------------------------


async def test_all_synced_only_when_safe() -> None:
    app = make_app(FakeAgentClient(synced_state()))
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        assert app.verdict("santedb").level is Level.SAFE
        assert "All synced" in banner(app)
        assert app.screen.query_one(AllSyncedBanner).has_class("-synced")
        assert tab_levels(app) == {"santedb": Level.SAFE}


async def test_conflicts_stuck_ten_minutes_are_not_synced_anywhere() -> None:
    """Every queue but Conflicts is empty and the log is recent: the old banner said "All synced"
    and the tab showed a green dot."""
    app = make_app(FakeAgentClient(conflicts_state(timedelta(minutes=12))))
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        text = banner(app)
        assert "All synced" not in text and "synced" not in text.lower()
        assert "Needs attention: 2 entries rejected by the server" in text
        assert "Open Conflicts (4)" in text
        assert not app.screen.query_one(AllSyncedBanner).has_class("-synced")
        assert tab_levels(app) == {"santedb": Level.ATTENTION}
        assert "●" not in tabs_text(app) and "▲" in tabs_text(app)
        card = app.screen.query_one("#card-conflicts", QueueCard)
        assert card.stuck and card.has_class("-alert")


async def test_the_verdict_follows_the_clock_without_a_push() -> None:
    """ "Stuck" depends on time passing: the dashboard re-judges on its own tick."""
    moments = [NOW]
    state = AgentState(
        backends=[
            BackendView(
                snapshot=replace(
                    synced_snapshot(), queues=[QueueStat(OUT, 5), *synced_snapshot().queues[1:]]
                ),
                history=[DepthPoint(ago(minutes=5), {OUT: 5})],
            )
        ],
        revision=1,
    )
    client = FakeAgentClient(state)
    app = make_app(client, clock=lambda: moments[0])
    app.JUDGE_EVERY = 0.05
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        assert tab_levels(app) == {"santedb": Level.WAITING}
        assert "Waiting: 5 entries waiting to send" in banner(app)
        pushes = client.current.revision
        moments[0] = NOW + timedelta(minutes=6)  # unchanged for 11 minutes now: stuck
        await until(pilot, lambda: tab_levels(app) == {"santedb": Level.ATTENTION}, "re-judged")
        assert "Outbox: 5 entries unchanged for 11 min" in banner(app)
        assert app.screen.query_one("#card-outbox", QueueCard).stuck
        assert client.current.revision == pushes  # nothing was pushed: the clock did it


# --- unknown before the first refresh ---------------------------------------------------------------


async def test_unknown_before_first_refresh_shows_question_marks_and_why() -> None:
    app = make_app(FakeAgentClient(first_refresh_state()))
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        for kind in QueueKind:
            card = app.screen.query_one(f"#card-{kind.value}", QueueCard)
            drawn = str(card.render())
            assert drawn.startswith("? not known yet"), drawn
            assert "connection refused" in drawn
            assert "n/a" not in drawn and "0" not in drawn.split("\n")[0]
        text = banner(app)
        assert "? Not known yet: synctui has not read santedb since the agent started" in text
        assert "connection refused" in text and "All synced" not in text
        assert "offline" not in shown_text(app, StatusBanner)  # not a finding yet
        assert tab_levels(app) == {"santedb": Level.UNKNOWN, "msupply": Level.UNKNOWN}
        assert tabs_text(app).count("?") == 2
        await pilot.press("right")  # msupply: no error yet, just not read
        card = app.screen.query_one("#card-outbox", QueueCard)
        assert "waiting for the first refresh" in str(card.render())
        await pilot.press("1")  # the queue exists: it can be browsed, its count says "?"
        await until(pilot, lambda: isinstance(app.screen, QueueBrowserScreen), "browser")
        assert "(?)" in text_of(app.screen.query_one("#browser-title", Static))


# --- the end of a sync ------------------------------------------------------------------------------


async def test_sync_that_leaves_conflicts_does_not_say_data_synced() -> None:
    client = FakeAgentClient(sync_outcomes=["conflicts"])
    app = make_app(client)
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        dialog = await sync_dialog(pilot, "done")
        title, body = dialog_text(dialog)
        assert "Sync finished — 2 entries need attention" in title
        assert "Data Synced" not in title and "Everything recorded" not in body
        assert "reached the server" not in body
        assert "2 entries rejected by the server" in body and "Open Conflicts (4)" in body
        assert "12 sent, 4 received" in body  # what the sync did, counted, as the agent said it
        assert dialog.has_class("-attention") and not dialog.has_class("-done")
        assert dialog.query_one("#open-conflicts").display
        await pilot.press("4")  # the key the dialog names opens them
        await until(pilot, lambda: isinstance(app.screen, QueueBrowserScreen), "Conflicts browser")
        assert app.screen.kind == QueueKind.CONFLICTS
        assert len(app.screen_stack) == 2


async def test_sync_end_waits_for_the_snapshot_taken_after_it() -> None:
    client = FakeAgentClient(sync_outcomes=["late"])
    app = make_app(client)
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        dialog = await sync_dialog(pilot, "settling")
        title, body = dialog_text(dialog)
        assert "Sync finished — checking the result" in title and "Data Synced" not in title
        assert "Waiting for the agent to read santedb again" in body
        await pilot.pause(0.1)
        assert dialog.phase == "settling"  # the end state still carries the snapshot from before
        client.finish_late()
        await until(pilot, lambda: dialog.phase == "done", "judged")
        title, body = dialog_text(dialog)
        assert "Data Synced" in title and "Everything recorded on this device for santedb" in body
        assert dialog.has_class("-done")


async def test_joined_sync_says_it_joined() -> None:
    client = FakeAgentClient(sync_outcomes=["joined"])
    app = make_app(client)
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        dialog = await sync_dialog(pilot, "done")
        _, body = dialog_text(dialog)
        assert "Joined the sync already in progress (started 09:42); it was not started again." in body


async def test_failed_sync_stays_sync_failed_with_reason() -> None:
    client = FakeAgentClient(sync_outcomes=["fail"])
    app = make_app(client)
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        dialog = await sync_dialog(pilot, "failed")
        title, body = dialog_text(dialog)
        assert "Sync Failed" in title and "refused the device credentials" in body
        assert "reached the server" not in body


async def test_readonly_agent_offers_synchronize_only_when_allowed() -> None:
    client = FakeAgentClient(repair_state(ALL_CAPS, readonly=True))
    app = make_app(client)
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        await pilot.press("s")
        await pilot.pause()
        assert isinstance(app.screen, MainScreen)
        assert ("synchronize", "santedb") not in client.calls
        allowed = repair_state(ALL_CAPS, readonly=True, readonly_allows_sync=True)
        client.push(allowed)
        await until(pilot, lambda: app.agent_state is allowed, "allowed")
        await pilot.press("s")
        await until(pilot, lambda: isinstance(app.screen, SyncProgressScreen), "sync dialog")
    assert client.calls.count(("synchronize", "santedb")) == 1


# --- Re-Submit --------------------------------------------------------------------------------------


async def test_resubmit_ends_with_the_counted_result_not_everything_reached() -> None:
    client = FakeAgentClient(repair_state(ALL_CAPS))
    message = "queued 4 records the server lacks; 8 already waiting were not queued again"
    running = ActionStatus("rs-1", "santedb", "resubmit", "running", ago(seconds=30))
    done = replace(
        running,
        state="done",
        finished=NOW,
        ok=True,
        message=message,
        counts={"queued": 4, "already_queued": 8},
    )
    client.resubmit_plans.append((running, done))
    app = make_app(client)
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        await pilot.press("S")
        dialog = await confirm_dialog(pilot)
        assert dialog.request.word == "RESUBMIT"
        dialog.query_one("#confirm-value", Input).value = "2025-03-01..2025-03-09"
        dialog.query_one("#confirm-word", Input).value = "RESUBMIT"
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, SyncProgressScreen), "progress dialog")
        progress = app.screen
        await until(pilot, lambda: progress.phase == "done", "judged")
        title, body = dialog_text(progress)
        assert "Re-Submit finished — 3 entries need attention" in title  # santedb still has conflicts
        assert "Re-submitted" not in title
        assert message in body and "8 already waiting were not queued again" in body
        assert "Everything" not in body and "reached the server" not in body
        assert "0 ok" not in body and "0 failed" not in body


def test_results_are_counted_never_done_when_entries_failed() -> None:
    mixed = ActionResult(
        False,
        "3 of 5 entries queued again",
        [EntryResult(f"c-{i}", i < 3, "queued again" if i < 3 else "rejected again") for i in range(5)],
    )
    assert result_line("retry-all", mixed) == "3 re-queued, 2 still rejected — 3 of 5 entries queued again"
    assert result_line("discard-unsent", ActionResult(True, "", [EntryResult("o-1", True)])) == (
        "1 dropped (archived first)"
    )
    counted = ActionResult(True, "queued 4", counts={"queued": 4, "already_queued": 8})
    assert result_line("resubmit", counted) == (
        "queued 4 records the server lacks; 8 already waiting were not queued again"
    )  # the counts say it; the agent's message is added only when not everything was done
    assert "done" not in result_line("retry", mixed)


async def test_every_tab_keeps_its_verdict_mark_when_the_names_do_not_fit() -> None:
    """Three long backend names at 80 columns: the selected one is named whole, the others shortened,
    each with its verdict mark (the third tab used to be cut off, mark and all)."""
    views = [
        BackendView(snapshot=replace(synced_snapshot(), backend=name))
        for name in ("clinic-tablet-north-ward", "pharmacy-site-central-store", "hcm-device-district-east")
    ]
    conflicted = replace(views[2].snapshot, queues=conflicts_state().backends[0].snapshot.queues)
    views[2] = BackendView(snapshot=conflicted)
    app = make_app(FakeAgentClient(AgentState(backends=views, revision=1)))
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        header = tabs_text(app)
        assert "clinic-tablet-north-ward ●" in header and "pharmacy-site-central-store" not in header
        assert re.search(r"pharmacy-site\S*… ●", header) and re.search(r"hcm-device\S*… ▲", header)
        await pilot.press("right", "right")
        await pilot.pause()
        header = tabs_text(app)
        assert "hcm-device-district-east ▲" in header and re.search(r"clinic-tablet\S*… ●", header)


# --- the one-line diagnosis of stuck and rejected queues ---------------------------------------------


async def test_main_screen_says_why_entries_were_rejected_and_which_key_reviews_them() -> None:
    state = conflicts_state()
    rejected = [RejectedCount(Category.FIX_DATA, 1, 422), RejectedCount(Category.CONFLICT, 1, 409)]
    state = replace(state, backends=[replace(state.backends[0], rejected=rejected)])
    app = make_app(FakeAgentClient(state))
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        diagnosis = app.screen.query_one(QueueDiagnosis)
        assert diagnosis.display
        assert (
            text_of(diagnosis) == "✖ 2 rejected: 1 business rule (422), 1 conflict (409) — press 4 to review"
        )
        await pilot.press("4")
        await until(pilot, lambda: isinstance(app.screen, QueueBrowserScreen), "conflicts browser")


async def test_a_stuck_outbox_gets_its_own_line_and_it_follows_the_configured_stuck_after() -> None:
    moments = [NOW]
    snapshot = replace(
        synced_snapshot(),
        queues=[QueueStat(kind, 5 if kind == OUT else 0) for kind in QueueKind],
        thresholds=replace(synced_snapshot().thresholds, stuck_after=timedelta(minutes=3)),
    )
    history = [DepthPoint(ago(minutes=2), {kind: 5 if kind == OUT else 0 for kind in QueueKind})]
    state = AgentState(backends=[BackendView(snapshot, history=history)], embedded=True, revision=1)
    app = make_app(FakeAgentClient(state), clock=lambda: moments[0])
    app.JUDGE_EVERY = 0.05
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        assert not shown_text(
            app, QueueDiagnosis
        )  # 2 minutes unchanged: still moving by a 3-minute stuck_after
        assert not app.screen.query(QueueDiagnosis)  # nothing to say yet: not even mounted
        moments[0] = NOW + timedelta(minutes=2)
        await until(pilot, lambda: shown_text(app, QueueDiagnosis), "stuck after 3 minutes")
        assert screen_order(app)[:4] == ["header", "synced", "diagnosis", "cards"]
        line = shown_text(app, QueueDiagnosis)
        assert line == "⚠ Outbox: 5 entries unchanged for 4 min — press s to synchronize", line
        assert app.screen.query_one("#card-outbox", QueueCard).stuck


async def test_a_banner_is_mounted_when_it_first_has_something_to_say_and_hidden_when_empty_again() -> None:
    client = FakeAgentClient(synced_state())
    app = make_app(client)
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        assert screen_order(app)[:3] == ["header", "synced", "cards"]  # nothing else to say: not composed
        running = replace(synced_state(), revision=2)
        view = running.backends[0]
        progress = SyncProgress(message="Pushing", running=True)
        running.backends[0] = replace(view, snapshot=replace(view.snapshot, progress=progress))
        client.push(running)
        await until(pilot, lambda: "Pushing" in shown_text(app, SyncProgressPanel), "sync progress shown")
        assert screen_order(app)[:4] == ["header", "synced", "progress", "cards"]
        client.push(replace(synced_state(), revision=3))
        await until(pilot, lambda: not shown_text(app, SyncProgressPanel), "sync progress hidden")
        assert app.screen.query_one(SyncProgressPanel).size.height == 0


async def test_the_sync_banner_follows_a_running_synchronize_now_not_the_last_refresh() -> None:
    """The backend's own progress is read at each refresh and lags; the running Synchronize Now's, pushed
    with every step, is what its dialog shows, and the banner under it says the same."""
    client = FakeAgentClient(synced_state())
    app = make_app(client)
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        running = replace(synced_state(), revision=2)
        view = running.backends[0]
        lagging = SyncProgress(message="Pushing out (15 remaining)", running=True)
        action = ActionStatus(
            id="a1",
            backend=view.snapshot.backend,
            action="synchronize",
            state="running",
            started=NOW,
            progress=SyncProgress(message="Pushing out (10 remaining)", running=True),
        )
        running.backends[0] = replace(view, snapshot=replace(view.snapshot, progress=lagging), action=action)
        client.push(running)
        await until(
            pilot, lambda: "10 remaining" in shown_text(app, SyncProgressPanel), "the action's progress"
        )
        assert "15 remaining" not in shown_text(app, SyncProgressPanel)
        done = replace(running, revision=3)
        done.backends[0] = replace(done.backends[0], action=replace(action, state="done", finished=NOW))
        client.push(done)
        await until(
            pilot, lambda: "15 remaining" in shown_text(app, SyncProgressPanel), "the backend's again"
        )
