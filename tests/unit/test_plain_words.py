"""Words a field technician understands: no internal keys, no "None", proper plurals (issue 11, item 2)."""

from __future__ import annotations

import httpx
import pytest
from synctui_hcm.sync_rejections import moved_to_conflicts, not_confirmed_yet
from synctui_msupply.site_client import transport_error

from synctui.actions import counted
from synctui.model import CATEGORY_WORDS, Category, EntryPage, Rejection
from synctui.text import plural
from synctui.tui.entry_text import rejection_text, tries_marker
from synctui.tui.screens.queue_page import page_caption
from synctui.tui.sync_text import failed_text


@pytest.mark.parametrize("category", list(Category))
def test_every_category_is_a_plain_phrase(category):
    words = CATEGORY_WORDS[category]
    assert words and "-" not in words and "_" not in words
    assert words not in ("retryable", "fix-data", "auth", "unknown")


@pytest.mark.parametrize("category", [Category.RETRYABLE, Category.FIX_DATA])
def test_inspector_and_failed_dialog_name_the_category_in_words(category):
    rejection = Rejection(category=category, message="refused", status=422)
    shown = rejection_text(rejection).plain + failed_text(("refused", rejection), None).plain
    assert CATEGORY_WORDS[category] in shown
    assert category.value not in shown


def test_msupply_sync_steps_are_counted_in_words_and_once():
    said = counted(
        "synchronize", {"pushed": 1, "pulled_central": 3, "sent": 1, "received": 3, "integrated": 3}
    )
    assert said == "1 record sent, 3 central records received, 3 records saved on this site"
    assert "_" not in said


def test_totals_alone_are_still_said():
    assert counted("synchronize", {"sent": 2, "received": 5}) == "2 sent, 5 received"


@pytest.mark.parametrize(("count", "said"), [(0, "0 records"), (1, "1 record"), (1200, "1,200 records")])
def test_plural(count, said):
    assert plural(count, "record") == said
    assert plural(count, "entry", "entries").endswith("entry" if count == 1 else "entries")


def test_unreachable_msupply_site_reads_as_a_sentence():
    error = transport_error(httpx.ConnectError("refused"), "The mSupply site at http://site/graphql")
    assert error.rejection.message == "Cannot reach the mSupply site at http://site/graphql."


@pytest.mark.parametrize(("attempts", "marker"), [(0, ""), (1, ""), (3, "tried 3 times")])
def test_an_entry_is_never_said_to_be_retried(attempts, marker):
    assert tries_marker(attempts) == marker


def test_an_empty_page_says_no_entries():
    page = EntryPage(entries=[], offset=0, limit=50, total=0)
    assert page_caption(page, 0) == "no entries"


def test_a_page_of_one_says_entry():
    page = EntryPage(entries=[], offset=0, limit=50, total=1)
    assert page_caption(page, 1) == "entry 1 of 1"
    assert page_caption(EntryPage(entries=[], offset=50, limit=50, total=120), 50) == "entries 51–100 of 120"


@pytest.mark.parametrize(("count", "said"), [(1, "1 record could not"), (2, "2 records could not")])
def test_hcm_counts_records_in_proper_plurals(count, said):
    assert moved_to_conflicts(count).message.startswith(said)
    waiting = not_confirmed_yet(count).message
    assert waiting.startswith("1 record was" if count == 1 else "2 records were")
    assert ("is not confirmed" if count == 1 else "are not confirmed") in waiting
