"""The dashboard in English, French, Portuguese and Swahili (issue 11, item 3).

Snapshots of the main screen of each backend family at 80×24 in each language (update with
--snapshot-update, and read each one); the screen read back as text: none of the dashboard's own English
words left in another language; the same keys in every language; the command palette finding every
action by its local name and by its English one.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable

import pytest
from babel.messages.pofile import read_po
from textual.command import CommandPalette
from textual.widgets import Input, OptionList

from synctui import i18n
from synctui.actions import action
from synctui.bundle.parts import PARTS
from synctui.model import QueueKind
from synctui.tui.screens.archive import ArchiveScreen
from synctui.tui.screens.audit import AuditScreen
from synctui.tui.screens.backend_details import BackendDetailsScreen
from synctui.tui.screens.compare import CompareScreen
from tests.functional.bundle_fakes import LeakyAgent, canary_config
from tests.functional.fit_fakes import FAMILIES, family_state, screen_text
from tests.functional.repair_helpers import loaded, repair_app
from tests.functional.test_tui_bug_report import open_dialog
from tests.functional.tui_fakes import FakeAgentClient, make_app, until

LANGUAGES = sorted(i18n.LANGUAGES)
TRANSLATED = [lang for lang in LANGUAGES if lang != i18n.SOURCE_LANGUAGE]
# Every catalogue action the dashboard's palette offers for the repair fixture's backend, by its English
# name: its own keys' palette names, and the actions of its other screens (palette_reach).
PALETTE_ACTIONS = (
    "Synchronize now",
    "Refresh",
    "Count remotes",
    "Reset sync log row",
    "Backend details",
    action("retry").title,
    action("retry-all").title,
    action("discard").title,
    action("discard-unsent").title,
    action("change-settings").title,
    action("check-connection").title,
)


def backend_text(family: str) -> str:
    """What the backend itself wrote (job names and messages, sync-log rows, progress): shown as written."""
    snap = family_state(family, 1).backends[0].snapshot
    parts = [f"{job.name} {job.message}" for job in snap.jobs]
    parts += [f"{row.record_type} {row.filter} {row.last_error or ''}" for row in snap.log]
    if snap.progress is not None:
        parts += [snap.progress.message, *(step.name for step in snap.progress.steps)]
    return "\n".join(parts)


def app_for(family: str, backends: int = 1, theme: str = "dark"):
    return make_app(FakeAgentClient(family_state(family, backends)), theme=theme)


async def read_screen(family: str, lang: str) -> tuple[str, list[tuple[str, str, str | None]]]:
    """The main screen as text, and its active bindings (key, action, id), in `lang`."""
    i18n.use(lang)
    app = app_for(family)
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        text = screen_text(app)
        keys = sorted(
            (key, active.binding.action, active.binding.id)
            for key, active in app.screen.active_bindings.items()
        )
    return text, keys


def plain_messages(lang: str) -> list[tuple[str, str]]:
    """(English, translation) of the catalog's messages without placeholders, where they differ."""
    with open(i18n.LOCALE_DIR / lang / "LC_MESSAGES" / f"{i18n.DOMAIN}.po", "rb") as f:
        catalog = read_po(f, locale=lang)
    return [
        (m.id, m.string)
        for m in catalog
        if isinstance(m.id, str) and len(m.id) > 3 and "{" not in m.id and m.string and m.string != m.id
    ]


async def palette_first(pilot, query: str) -> str:
    """The first entry's title the command palette offers for `query` (put in its input at once: typing
    a hundred names key by key is what other palette tests do), the palette closed again."""
    app = pilot.app
    await pilot.press("ctrl+p")
    await until(pilot, lambda: isinstance(app.screen, CommandPalette), "palette")
    app.screen.query_one(Input).value = query
    options = app.screen.query_one(OptionList)

    await until(pilot, lambda: options.option_count > 0, "results")
    await pilot.pause(0.2)
    shown = str(options.get_option_at_index(0).prompt).split("\n")[0]
    await pilot.press("escape")
    await until(pilot, lambda: not isinstance(app.screen, CommandPalette), "palette closed")
    return shown


def english_left(lang: str, english: str, local: str, written: str) -> list[str]:
    """The catalog's English words shown both in English and in `lang` that the backend did not write."""

    def shows(text: str, words: str) -> bool:
        text = re.sub(r"\S*/\S+", "", text)  # a path (the agent's socket in the header) is as written
        return re.search(rf"(?<!\w){re.escape(words)}(?!\w)", text) is not None

    return [
        msgid
        for msgid, _translation in plain_messages(lang)
        if shows(english, msgid) and shows(local, msgid) and not shows(written, msgid)
    ]


# The screens opened from the dashboard, each with what tells it has read what it shows.
SCREENS: dict[str, tuple[Callable[[str], object], Callable[[object], bool]]] = {
    "details": (BackendDetailsScreen, lambda screen: screen.settings is not None),
    "audit": (lambda backend: AuditScreen(), lambda screen: screen.records is not None),
    "archive": (lambda backend: ArchiveScreen(), lambda screen: screen.records is not None),
    "compare": (
        lambda backend: CompareScreen(backend, QueueKind.CONFLICTS, "p-00002"),
        lambda screen: screen.comparison is not None,
    ),
    "compare-missing": (
        lambda backend: CompareScreen(backend, QueueKind.CONFLICTS, "p-00001"),
        lambda screen: screen.comparison is not None,
    ),
}


async def read_other_screen(name: str, lang: str) -> tuple[str, str]:
    """The screen `name` as text in `lang`, and what the fake agent wrote for it (shown as written)."""
    i18n.use(lang)
    client, app = repair_app()
    make, ready = SCREENS[name]
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        backend = app.agent_state.backends[0].snapshot.backend
        await app.push_screen(make(backend))
        await until(pilot, lambda: ready(app.screen), name)
        await pilot.pause()
        text = screen_text(app)
        comparison = getattr(app.screen, "comparison", None)
    settings = [(s.label, s.value, s.help) for s in await client.settings(backend)]
    reason = comparison.reason if comparison is not None else None
    written = json.dumps([client.audit_records, client.archive_records, settings, reason])
    return text, written


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("backends", [1, 3])
@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_main_screen_80x24(snap_compare, speak, family: str, backends: int, lang: str):
    i18n.use(lang)
    assert snap_compare(app_for(family, backends), run_before=loaded, terminal_size=(80, 24))


# With six backends of every family, the selected one of a family used where the language is spoken
# (HCM in Mozambique, SanteDB/OpenIZ in francophone and Swahili-speaking countries).
FIELD_FAMILY = {"en": "msupply", "fr": "santedb", "pt": "hcm", "sw": "santedb"}


@pytest.mark.parametrize("theme", ["dark", "console"])
@pytest.mark.parametrize("lang", LANGUAGES)
def test_main_screen_80x24_six_backends(snap_compare, speak, lang: str, theme: str):
    i18n.use(lang)
    app = app_for(FIELD_FAMILY[lang], 6, theme)
    assert snap_compare(app, run_before=loaded, terminal_size=(80, 24))


@pytest.mark.parametrize("lang", TRANSLATED)
@pytest.mark.parametrize("family", sorted(FAMILIES))
async def test_no_english_word_of_the_dashboard_is_left(speak, family: str, lang: str) -> None:
    english, _ = await read_screen(family, "en")
    local, _ = await read_screen(family, lang)
    left = english_left(lang, english, local, backend_text(family))
    assert not left, f"{lang}: still in English on the {family} dashboard: {left}\n{local}"


@pytest.mark.parametrize("lang", TRANSLATED)
@pytest.mark.parametrize("name", sorted(SCREENS))
async def test_no_english_word_is_left_on_the_other_screens(speak, name: str, lang: str) -> None:
    english, written = await read_other_screen(name, "en")
    local, _ = await read_other_screen(name, lang)
    left = english_left(lang, english, local, written)
    assert not left, f"{lang}: still in English on the {name} screen: {left}\n{local}"


@pytest.mark.parametrize("family", sorted(FAMILIES))
async def test_keys_are_the_same_in_every_language(speak, family: str) -> None:
    _, english = await read_screen(family, "en")
    for lang in TRANSLATED:
        _, local = await read_screen(family, lang)
        assert local == english, lang


@pytest.mark.parametrize("lang", TRANSLATED)
async def test_the_palette_finds_every_action_by_its_local_and_its_english_name(speak, lang: str) -> None:
    i18n.use(lang)
    _, app = repair_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await loaded(pilot)
        for english in PALETTE_ACTIONS:
            local = i18n._(english)
            assert local != english, f"{english!r} has no {lang} name"
            for query in (local, english):
                first = await palette_first(pilot, query.lower())
                assert first.startswith(local), (lang, query, first)


async def read_bug_report(lang: str, state) -> str:
    i18n.use(lang)
    app = make_app(LeakyAgent(), config=canary_config(state))
    async with app.run_test(size=(80, 24)) as pilot:
        await open_dialog(app, pilot)
        return screen_text(app)


@pytest.mark.parametrize("lang", TRANSLATED)
async def test_no_english_word_is_left_in_submit_a_bug(speak, tmp_path, lang: str) -> None:
    english = await read_bug_report("en", tmp_path / "en")
    local = await read_bug_report(lang, tmp_path / lang)
    written = " ".join(part.name for part in PARTS)  # what --exclude takes: the same in every language
    left = english_left(lang, english, local, written)
    assert not left, f"{lang}: still in English in Submit a Bug: {left}\n{local}"
