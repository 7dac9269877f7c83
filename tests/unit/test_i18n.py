"""The language is chosen from --lang, the config, then the locale; a missing string stays English."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from synctui import i18n
from synctui.config import parse_config
from synctui.config_values import ConfigError
from synctui.model import CATEGORY_WORDS, Category, Level, QueueKind, rejected_words
from synctui.verdict import LEVEL_WORDS, age_text, queue_words


@pytest.fixture(autouse=True)
def english_after() -> Iterator[None]:
    yield
    i18n.use("en")


def test_lang_option_wins_over_config_and_locale() -> None:
    assert i18n.choose("fr", "pt", {"LANG": "sw_KE.UTF-8"}) is None
    assert i18n.language() == "fr"


def test_config_wins_over_locale() -> None:
    i18n.choose(None, "pt", {"LANG": "sw_KE.UTF-8"})
    assert i18n.language() == "pt"


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({"LANG": "sw_KE.UTF-8"}, "sw"),
        ({"LC_ALL": "pt_MZ.UTF-8", "LANG": "fr_FR.UTF-8"}, "pt"),
        ({"LC_MESSAGES": "fr_CA", "LANG": "sw_TZ"}, "fr"),
        ({"LC_ALL": "C", "LANG": "fr_FR.UTF-8"}, "en"),  # the first one set decides, as in POSIX
        ({"LANG": "de_DE.UTF-8"}, "en"),
        ({}, "en"),
    ],
)
def test_locale_chooses_when_nothing_else_does(environ: dict[str, str], expected: str) -> None:
    i18n.choose(None, None, environ)
    assert i18n.language() == expected


def test_unknown_lang_option_speaks_english_and_says_so_in_one_line() -> None:
    warning = i18n.choose("de", "fr", {})
    assert i18n.language() == "en"
    assert warning is not None and "\n" not in warning and "de" in warning and "en, fr, pt, sw" in warning


def test_config_lang_is_checked() -> None:
    assert parse_config({"lang": "sw"}).lang == "sw"
    with pytest.raises(ConfigError, match=r"lang must be one of en, fr, pt, sw \(got 'klingon'\)"):
        parse_config({"lang": "klingon"})


def test_a_string_missing_from_the_catalog_stays_english() -> None:
    i18n.use("fr")
    assert i18n._("A string no catalog has") == "A string no catalog has"
    assert LEVEL_WORDS[Level.WAITING] == "En attente"


def test_words_follow_the_language() -> None:
    i18n.use("sw")
    assert queue_words(QueueKind.OUTBOX, 1) == "ingizo 1 linasubiri kutumwa"
    assert CATEGORY_WORDS[Category.CONFLICT] == "mgongano"
    i18n.use("en")
    assert queue_words(QueueKind.OUTBOX, 3) == "3 entries waiting to send"
    assert rejected_words(2, Category.FIX_DATA, [422]) == "2 business rules (422)"


def test_numbers_and_ages_through_babel() -> None:
    now = datetime(2026, 3, 10, 9, 42, tzinfo=UTC)
    i18n.use("fr")
    assert i18n.number(12345) == "12\u202f345"
    assert age_text(now - timedelta(hours=2, minutes=50), now) == "2h 50min"
    i18n.use("pt")
    assert age_text(now - timedelta(days=3, hours=4), now) == "3 dias 4 h"
    i18n.use("en")
    assert (i18n.number(12345), age_text(now - timedelta(hours=2, minutes=5), now)) == ("12,345", "2h 05m")


@pytest.mark.parametrize(
    ("lang", "said"),
    [
        ("en", ("172.6 KiB", "5.01 MiB", "40%")),
        ("fr", ("172,6 Kio", "5,01 Mio", "40\xa0%")),
        ("pt", ("172,6 KiB", "5,01 MiB", "40%")),
        ("sw", ("KiB 172.6", "MiB 5.01", "40%")),
    ],
)
def test_sizes_and_percentages_through_babel(lang: str, said: tuple[str, str, str]) -> None:
    from synctui.bundle.words import size_text

    i18n.use(lang)
    assert (size_text(176742), size_text(5 * 1024 * 1024 + 12345), i18n.percent(40)) == said


def test_a_label_and_its_text_are_joined_as_the_language_writes_them() -> None:
    assert i18n.labelled("Needs attention", "2 rejected") == "Needs attention: 2 rejected"
    i18n.use("fr")
    # French: a no-break space before the colon, wherever a label and its text are joined in code
    assert i18n.labelled("À vérifier", "2 refusées") == "À vérifier\u00a0: 2 refusées"
    i18n.use("pt")
    assert i18n.labelled("Atenção", "2 recusadas") == "Atenção: 2 recusadas"
