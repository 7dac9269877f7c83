"""Every word readable at 80×24, 100×30 and 120×40 with 1, 3 and 6 backends (issue 11, item 1).

Snapshots of the main screen of each backend family at 80×24 (update with --snapshot-update, and look
at each one); the screen read back as text for what must be on it: every backend named in the header
with its verdict mark, nothing cut with "…" where there is room, results and refusals in view.
"""

from __future__ import annotations

import re
import textwrap
import uuid
from dataclasses import replace

import pytest
from textual.widgets import Static
from textual.widgets._footer import FooterKey  # not re-exported by textual.widgets (8.2)

from synctui import i18n
from synctui.model import EntryPage, QueueKind, SyncLogRow
from synctui.tui.key_groups import grouped_bindings
from synctui.tui.screens.audit import AuditScreen, target_text
from synctui.tui.screens.help import HelpScreen
from synctui.tui.screens.queue_page import COLUMNS, entry_cells, page_caption
from synctui.tui.widgets.header.backend_tabs import MIN_NAME
from synctui.tui.widgets.queues.entry_rows import EntryRows
from synctui.tui.widgets.queues.queue_card import QueueCard
from synctui.tui.widgets.shared.action_result import ActionResultView
from synctui.tui.widgets.sync.sync_log_table import NARROW, SyncLogTable
from tests.functional import tui_fakes
from tests.functional.fake_actions import default_audit
from tests.functional.fit_fakes import FAMILIES, family_state, screen_text
from tests.functional.repair_helpers import (
    change_setting,
    loaded,
    open_browser,
    open_details,
    open_inspector,
    repair_app,
    repair_state,
)
from tests.functional.test_tui_languages import read_other_screen
from tests.functional.tui_fakes import SANTEDB_HISTORY, FakeAgentClient, make_app, until

SIZES = [(80, 24), (100, 30), (120, 40)]
LANGUAGES = sorted(i18n.LANGUAGES)
MARKS = "●◐▲?"
# A backend's own words that end in "…" ("Pull central…": the step running now), not a cut.
BACKEND_ELLIPSES = ("Pull central…",)


def app_for(family: str, backends: int):
    return make_app(FakeAgentClient(family_state(family, backends)))


_read: dict[tuple, tuple[str, list[str]]] = {}


async def read_main(family: str, backends: int, size: tuple[int, int], lang: str) -> tuple[str, list[str]]:
    """The main screen as text in `lang`, and its footer's keys as drawn ("q Quit"); read once for the
    tests below that look at the same screen."""
    key = (family, backends, size, lang)
    i18n.use(lang)
    if key not in _read:
        app = app_for(family, backends)
        async with app.run_test(size=size) as pilot:
            await loaded(pilot)
            keys = [f"{k.key_display} {k.description}".strip() for k in app.screen.query(FooterKey)]
            _read[key] = (screen_text(app), keys)
    return _read[key]


@pytest.mark.parametrize("backends", [1, 3, 6])
@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_main_screen_80x24(snap_compare, family: str, backends: int):
    assert snap_compare(app_for(family, backends), run_before=loaded, terminal_size=(80, 24))


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("backends", [1, 3, 6])
@pytest.mark.parametrize("family", sorted(FAMILIES))
async def test_every_backend_is_named_in_the_header_with_its_mark(
    speak, family: str, backends: int, size, lang: str
) -> None:
    text, _ = await read_main(family, backends, size, lang)
    header = text.splitlines()[0]
    names = [view.snapshot.backend for view in family_state(family, backends).backends]
    selected = names[0]
    assert f" {selected} " in header  # the selected one whole
    for name in names:
        whole = re.search(rf" {re.escape(name)} [{MARKS}]", header)
        shortened = re.search(rf" {re.escape(name[: MIN_NAME - 1])}\S*… [{MARKS}]", header)
        assert whole or shortened, (name, header)
    assert header.count("│") == len(names) - 1


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("backends", [1, 3, 6])
@pytest.mark.parametrize("family", sorted(FAMILIES))
async def test_nothing_is_cut_where_there_is_room(speak, family: str, backends: int, size, lang: str) -> None:
    text, _ = await read_main(family, backends, size, lang)
    lines = text.splitlines()
    # The header gives its room to the backends' names: they, and the agent's address beside them, are
    # shortened when they must be (checked above).
    if backends == 6 or (backends == 3 and size[0] < 120):
        lines = lines[1:]
    text = "\n".join(lines)
    for words in BACKEND_ELLIPSES:
        text = text.replace(words, "")
    assert "…" not in text, text


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("backends", [1, 6])
async def test_the_footer_shows_help_and_quit_and_cuts_no_key(speak, backends: int, size, lang: str) -> None:
    text, keys = await read_main("santedb", backends, size, lang)
    footer = text.splitlines()[-1]
    for key in keys:
        assert key in footer, (key, footer)  # whole, not under the palette's key
    assert footer.startswith(f" ? {i18n._('Help')} ")
    assert f"q {i18n._('Quit')}" in keys


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
async def test_msupply_card_details_are_whole_with_a_trend(size) -> None:
    """With a trend to draw (the agent keeps one for every backend), a narrow card gives the trend's line
    to the detail rather than cut it ("changes waiti…"); a wide one shows both."""
    state = family_state("msupply", 1)
    state = replace(state, backends=[replace(state.backends[0], history=SANTEDB_HISTORY)])
    app = make_app(FakeAgentClient(state))
    async with app.run_test(size=size) as pilot:
        await loaded(pilot)
        text = screen_text(app)
        cards = app.screen.query(QueueCard)
        trends = [card for card in cards if not card.trend_yields and card._spark()]
    assert "…" not in "\n".join(text.splitlines()[5:10]), text
    words = " ".join(text.split())
    for detail in ("changes waiting to go to central", "left in the running sync"):
        assert detail in words or all(word in words for word in detail.split()), (detail, text)
    if size[0] >= 120:
        assert len(trends) >= 2, "a wide card keeps its trend"


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
async def test_help_fits_the_screen_and_cuts_no_description(size) -> None:
    app = app_for("santedb", 1)
    async with app.run_test(size=size) as pilot:
        await loaded(pilot)
        await pilot.press("question_mark")
        await until(pilot, lambda: isinstance(app.screen, HelpScreen), "help")
        await pilot.pause()
        dialog = app.screen.query_one("#help-dialog")
        text = app.screen.query_one("#help-text", Static).render()
    assert dialog.region.right <= size[0]
    assert "…" not in str(text)
    words = set(str(text).split())
    for group, spec in grouped_bindings():
        if group.scope in ("app", "main", "browser"):
            assert set((spec.help or spec.description).split()) <= words, spec.id


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
async def test_job_names_and_messages_are_whole(size) -> None:
    long_name = "Upstream Synchronization Of Everything"
    long_message = "disk full: 12 MB left on /data, the purge needs 300 MB to rewrite the store"
    state = family_state("santedb", 1)
    view = state.backends[0]
    first, second, third = view.snapshot.jobs
    jobs = [replace(first, name=long_name), second, replace(third, message=long_message)]
    state = replace(state, backends=[replace(view, snapshot=replace(view.snapshot, jobs=jobs))])
    app = make_app(FakeAgentClient(state))
    async with app.run_test(size=size) as pilot:
        await loaded(pilot)
        text = screen_text(app)
    assert long_name in text
    assert long_message in " ".join(text.split()), text  # wrapped under itself, every word shown


async def test_the_raw_reason_wraps_inside_the_screen(monkeypatch) -> None:
    raw = "HTTP/1.1 409 Conflict " + "detail " * 40 + "END-OF-RAW"
    monkeypatch.setattr(tui_fakes, "DUPLICATE", replace(tui_fakes.DUPLICATE, raw=raw))
    _, app = repair_app()
    async with app.run_test(size=(80, 24)) as pilot:
        inspector = await open_inspector(pilot)
        await pilot.press("v")
        await pilot.pause()
        box = inspector.query_one("#raw", Static)
        assert box.region.right <= 80
        assert box.size.height > 1  # wrapped, not one line running off screen


async def test_the_raw_reason_is_brought_into_view() -> None:
    _, app = repair_app()
    async with app.run_test(size=(80, 24)) as pilot:
        inspector = await open_inspector(pilot)
        body = inspector.query_one("#inspector-body")
        await pilot.press("v")
        await pilot.pause(0.2)
        box = inspector.query_one("#raw", Static)
        assert body.scroll_y > 0
        assert body.region.contains_point(box.region.offset), "the raw reason's top is on screen"


async def details_scrolled_down(pilot):
    """The details screen scrolled to its settings, below the health and the result line."""
    details = await open_details(pilot)
    body = details.query_one("#details-body")
    body.scroll_end(animate=False)
    await pilot.pause()
    assert body.scroll_y > 0
    return details, body


async def test_a_wrong_pin_in_the_settings_dialog_is_said_in_view() -> None:
    _, app = repair_app(pin_required=True)
    async with app.run_test(size=(80, 14)) as pilot:  # the details scroll: the result is above
        details, body = await details_scrolled_down(pilot)
        await change_setting(pilot, "600", "0000")
        result = details.query_one("#details-result", ActionResultView)
        await until(pilot, lambda: bool(result.text), "the refusal")
        await pilot.pause(0.2)
        assert "wrong PIN" in result.text
        assert body.region.contains_region(result.region), "the refusal is scrolled into view"
        assert any("wrong PIN" in n.message for n in app._notifications)


async def test_check_connection_shows_its_answer_in_view() -> None:
    _, app = repair_app()
    async with app.run_test(size=(80, 14)) as pilot:  # the details scroll: the health is above
        details, body = await details_scrolled_down(pilot)
        health = details.query_one("#details-health", Static)
        await pilot.press("k")
        await until(pilot, lambda: "probe-7" in str(health.render()), "the probe's answer")
        await pilot.pause(0.2)
        assert body.region.contains_region(health.region), "the answer is scrolled into view"


@pytest.mark.parametrize("lang", LANGUAGES)
async def test_the_pager_and_the_inspector_keep_their_words_apart(speak, lang: str) -> None:
    """Swahili's labels are longer: the page caption ran under the pager's keys ("kati ya n ijayo"), the
    inspector's labels into their values ("Aina ya rekodiImmunization")."""
    i18n.use(lang)
    _, app = repair_app()
    async with app.run_test(size=(80, 24)) as pilot:
        browser = await open_browser(pilot, "1")
        caption = page_caption(browser.page, browser.shown)
        browsed = " ".join(screen_text(app).split())
        app.pop_screen()
        await open_inspector(pilot)
        inspected = screen_text(app)
    assert caption in browsed, browsed
    for label, value in ((i18n._("Record type"), "Immunization"), (i18n._("Code"), "DUPLICATE_ENTITY")):
        assert re.search(rf"{re.escape(label)} +{value}", inspected), (label, inspected)


@pytest.mark.parametrize("lang", LANGUAGES)
async def test_the_audit_log_fits_80_columns(speak, lang: str) -> None:
    """Its last columns ran off the screen (in French and Portuguese "Target" was not on it at all)."""
    text, _written = await read_other_screen("audit", lang)
    words = " ".join(text.split())
    for title in AuditScreen.COLUMNS:
        assert i18n._(title) in text.splitlines()[1], (title, text)
    for record in default_audit():
        assert target_text(record.get("target")) in words, (record, text)
    assert max(len(line) for line in text.splitlines()) <= 80


async def test_the_browser_shows_the_selected_problem_whole() -> None:
    """At 80 columns the problem column runs past the screen's edge: the line under the rows says it."""
    _, app = repair_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_browser(pilot, "4")
        text = screen_text(app)
        await pilot.press("down")
        await pilot.pause()
        moved = screen_text(app)
    problem = f"{tui_fakes.DUPLICATE.code}: {tui_fakes.DUPLICATE.message}"
    assert problem in " ".join(text.split()), text
    assert problem in " ".join(moved.split()), moved


class UuidEntries(FakeAgentClient):
    """1,000 entries in each queue, with ids as SanteDB and HCM write them (UUIDs)."""

    async def entries(self, backend, queue, offset=0, limit=50, filter=None) -> EntryPage:
        page = await super().entries(backend, queue, offset, limit, filter)
        ids = [str(uuid.uuid5(uuid.NAMESPACE_URL, entry.id)) for entry in page.entries]
        return replace(page, entries=[replace(e, id=i) for e, i in zip(page.entries, ids, strict=True)])


@pytest.mark.parametrize("queue", ["1", "4"], ids=["outbox", "conflicts"])
@pytest.mark.parametrize("lang", LANGUAGES)
async def test_every_column_of_the_browser_is_on_screen_at_80x24(speak, lang: str, queue: str) -> None:
    """The problem and the id ran past the screen's edge: they are cut with "…" (the id to a prefix that
    still tells it apart), and the line under the rows says the selected entry's id and problem whole."""
    i18n.use(lang)
    client = UuidEntries(repair_state(), queue_sizes={QueueKind.OUTBOX: 1000, QueueKind.CONFLICTS: 1000})
    app = make_app(client)
    async with app.run_test(size=(80, 24)) as pilot:
        browser = await open_browser(pilot, queue)
        rows = browser.query_one("#entries", EntryRows)
        text = screen_text(app)
        ids = [entry.id for entry in browser.page.entries]
        ages = [entry_cells(entry, app.now())[2].plain for entry in browser.page.entries]
        wide, room, height = rows.virtual_size.width, rows.scrollable_content_region.width, rows.size.height
    lines = text.splitlines()
    header = next(line for line in lines if i18n._("Type") in line)
    for title in COLUMNS[1:]:
        assert f" {i18n._(title)} " in f"{header} ", (title, header)
    assert wide <= room, "no horizontal scroll"
    assert max(len(line) for line in lines) <= 80
    shown = lines[lines.index(header) + 1 : lines.index(header) + height]
    for line, entry_id, age in zip(shown, ids, ages, strict=False):
        assert re.search(rf"{entry_id[:8]}\S*…", line), (entry_id, line)
        assert f" {age} " in line, (age, line)  # the age, the operation and the tries are never cut
    assert ids[0] in text, "the selected entry's id whole under the rows"
    assert i18n.number(1000).replace("\xa0", " ") in text, text


PLACE_FILTER = (
    "classConcept=ff34dfa7-c6d3-4f8b-bc9f-14bcdc13ba6c&statusConcept=c8064cbd-fa06-4530-b430-1a52f1530c27"
)


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=lambda s: f"{s[0]}x{s[1]}")
async def test_uuids_in_a_sync_log_filter_are_shortened_at_narrow_widths_only(size) -> None:
    """SanteDB's filters are full of UUIDs: whole, each such row wrapped to 3–4 lines at 80 columns. The
    selected row shows its filter whole."""
    state = family_state("santedb", 1)
    view = state.backends[0]
    place = SyncLogRow("place", "Place", filter=PLACE_FILTER, last_success=tui_fakes.ago(minutes=5))
    snapshot = replace(view.snapshot, log=[view.snapshot.log[0], place, *view.snapshot.log[1:]])
    app = make_app(FakeAgentClient(replace(state, backends=[replace(view, snapshot=snapshot)])))
    async with app.run_test(size=size) as pilot:
        await loaded(pilot)
        table = app.screen.query_one(SyncLogTable)
        height = list(table.rows.values())[1].height
        words = " ".join(screen_text(app).split())
        table.move_cursor(row=1)
        await pilot.pause()
        selected = screen_text(app).replace("\n", "").replace(" ", "")
        whole_height = list(table.rows.values())[1].height
    assert PLACE_FILTER in selected, selected
    if size[0] < NARROW:
        assert "classConcept=ff34dfa7…&statusC" in words and "oncept=c8064cbd…" in words, words
        assert "ff34dfa7-c6d3" not in words
        assert height < whole_height, (height, whole_height)
    else:
        assert PLACE_FILTER in words.replace(" ", ""), words


class LongProblems(FakeAgentClient):
    """Conflicts whose server message is longer than three lines of 80 columns."""

    async def entries(self, backend, queue, offset=0, limit=50, filter=None) -> EntryPage:
        page = await super().entries(backend, queue, offset, limit, filter)
        long = " ".join(f"word{n}" for n in range(120))  # ≈ 700 characters
        return replace(
            page,
            entries=[
                replace(e, rejection=replace(e.rejection, message=long)) if e.rejection else e
                for e in page.entries
            ],
        )


async def test_a_long_problem_under_the_rows_ends_in_an_ellipsis_within_three_lines() -> None:
    app = make_app(LongProblems(repair_state()))
    async with app.run_test(size=(80, 24)) as pilot:
        browser = await open_browser(pilot, "4")
        line = browser.query_one("#entry-problem")
        rendered = str(line.render())
        width = line.content_region.width
    assert rendered.endswith("…") and "word0" in rendered, rendered
    assert len(textwrap.wrap(rendered, width)) <= 3, "the ellipsis is on screen, not cut off below"
