"""The language of everything the dashboard and the CLI say: gettext catalogs and Babel formats.

English is the source language and needs no catalog; French, Portuguese and Swahili are read from
`synctui/locale/<lang>/LC_MESSAGES/synctui.mo`, and a string a catalog lacks stays English. The
language is chosen once at start (`--lang`, then `lang =` in the config, then LC_ALL / LC_MESSAGES /
LANG, then English) with `use()`; until then every function here speaks English, which is what the
agent does (what it serves is read by clients of any language). Text from a backend never goes through
here: a server's message stays as the server wrote it.

Dates, times, numbers and ages are formatted by Babel in every language but English, whose formats
are the dashboard's own: Babel costs ~60 ms to import, which the first frame in English does not pay.

Marking: `_("…")` translates now; `N_("…")` only marks a string for extraction where it is defined
(a table at import time), and `_()` translates it where it is shown. `pybabel extract` finds all three
(see README, "Languages").
"""

from __future__ import annotations

import gettext
import os
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from pathlib import Path

# The languages synctui speaks, by their ISO 639-1 code, each named in itself (for --help and errors).
LANGUAGES: dict[str, str] = {"en": "English", "fr": "français", "pt": "português", "sw": "Kiswahili"}
SOURCE_LANGUAGE = "en"
DOMAIN = "synctui"
LOCALE_DIR = Path(__file__).parent / "locale"
# Babel's locale for a language when the environment names no region of it: HCM's Portuguese is
# Mozambique's, OpenIZ/SanteDB's Swahili East Africa's.
_DEFAULT_REGION = {"en": "en", "fr": "fr", "pt": "pt_MZ", "sw": "sw"}
# The environment variables that name the language of messages, strongest first (POSIX).
LOCALE_VARIABLES = ("LC_ALL", "LC_MESSAGES", "LANG")

_catalog: gettext.NullTranslations = gettext.NullTranslations()
_language = SOURCE_LANGUAGE
_babel_locale = SOURCE_LANGUAGE


def _(message: str) -> str:
    """`message` in the chosen language (English when the catalog lacks it)."""
    return _catalog.gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """The form of a message for `n` things, by the chosen language's plural rule."""
    return _catalog.ngettext(singular, plural, n)


def pgettext(context: str, message: str) -> str:
    """`message` translated in `context`, for a short word whose translation depends on where it is."""
    return _catalog.pgettext(context, message)


def N_(message: str) -> str:
    """Marks `message` for the catalogs without translating it (translate it with `_()` when shown)."""
    return message


def Nn_(singular: str, plural: str) -> tuple[str, str]:
    """Marks a counted message for the catalogs (pybabel keyword `Nn_:1,2`) in a table read later
    through `count_words()`."""
    return singular, plural


def count_words(forms: tuple[str, str], n: int) -> str:
    """A message marked with `Nn_()`, for `n`, in the language in use, with `{n}` filled in."""
    return ngettext(*forms, n).format(n=number(n))


def colon() -> str:
    """What goes between a label and its text, as the language writes it: French puts a no-break
    space before the colon."""
    return pgettext("between a label and its text", ": ")


def labelled(label: str, text: str) -> str:
    """`label: text` as the language writes it."""
    return f"{label}{colon()}{text}"


def language() -> str:
    """The language in use, e.g. "fr"."""
    return _language


def use(lang: str, region: str | None = None) -> None:
    """Speak `lang` (one of LANGUAGES) from now on; `region` ("pt_BR") picks Babel's formats."""
    global _catalog, _language, _babel_locale
    if lang not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r}")
    _language = lang
    _babel_locale = region if region and region.split("_")[0] == lang else _DEFAULT_REGION[lang]
    if lang == SOURCE_LANGUAGE:
        _catalog = gettext.NullTranslations()
    else:
        _catalog = gettext.translation(DOMAIN, LOCALE_DIR, languages=[lang], fallback=True)


def locale_of(value: str) -> tuple[str, str] | None:
    """ "fr_FR.UTF-8" as ("fr", "fr_FR"); None when it names no language synctui speaks ("C", "de")."""
    name = value.split(".")[0].split("@")[0].replace("-", "_")
    lang = name.split("_")[0].lower()
    if lang not in LANGUAGES:
        return None
    region = name.split("_")[1].upper() if "_" in name else ""
    return lang, f"{lang}_{region}" if region else lang


def from_environment(environ: Mapping[str, str]) -> tuple[str, str] | None:
    """The language (and locale) the environment asks for, as POSIX reads it: the first of LC_ALL,
    LC_MESSAGES and LANG that is set decides, even when it names a language synctui lacks."""
    for variable in LOCALE_VARIABLES:
        value = environ.get(variable)
        if value:
            return locale_of(value)
    return None


def choose(option: str | None, configured: str | None, environ: Mapping[str, str] = os.environ) -> str | None:
    """Use the language of `--lang` (`option`), else the config's `lang` (`configured`, already checked),
    else the environment's, else English. Returns a one-line warning when `--lang` names a language
    synctui does not speak (it then speaks English)."""
    if option is not None:
        chosen = locale_of(option)
        if chosen is None:
            use(SOURCE_LANGUAGE)
            known = ", ".join(LANGUAGES)
            return f"--lang {option[:40]!r}: not a language synctui speaks ({known}); using English"
        use(*chosen)
        return None
    if configured is not None:
        use(configured)
        return None
    use(*(from_environment(environ) or (SOURCE_LANGUAGE, SOURCE_LANGUAGE)))
    return None


# --- Babel formats (every language but English) ---------------------------------------------------

# The units of an age, each as Babel names it (CLDR "duration-…" units).
UNITS = {"d": "day", "h": "hour", "m": "minute", "s": "second"}


def duration(parts: Sequence[tuple[int, str]], *, width: str = "narrow") -> str:
    """An age made of whole units, e.g. [(2, "h"), (50, "m")], in the language's words: "2h 50min"
    in French, "saa 2 dak 50" in Swahili. `width` is Babel's: "narrow" (the dashboard) or "short"."""
    from babel.dates import format_timedelta

    seconds_per = {"d": 86400, "h": 3600, "m": 60, "s": 1}
    return " ".join(
        format_timedelta(
            timedelta(seconds=value * seconds_per[unit]),
            granularity=UNITS[unit],
            threshold=1e9,  # never round 120 min up to 2 h: each part is exact
            format=width,
            locale=_babel_locale,
        )
        for value, unit in parts
    )


def number(value: int | float, places: int | None = None) -> str:
    """A number with the language's grouping and decimal sign: 12,345 in English, 12 345 in French;
    with `places`, exactly that many decimals: 172.6 in English, 172,6 in French."""
    if _language == SOURCE_LANGUAGE:
        return f"{value:,}" if places is None else f"{value:,.{places}f}"
    from babel.numbers import format_decimal

    if places is None:
        return format_decimal(value, locale=_babel_locale)
    return format_decimal(value, format="#,##0." + "0" * places, locale=_babel_locale)


def percent(whole: int) -> str:
    """A whole percentage as the language writes it: 40% in English, 40 % in French."""
    if _language == SOURCE_LANGUAGE:
        return f"{whole}%"
    from babel.numbers import format_percent

    return format_percent(whole / 100, locale=_babel_locale)


def clock(moment: datetime, skeleton: str) -> str:
    """`moment` by a CLDR skeleton in the language's order and separators: "Hm" (09:42), "Md" (10/03),
    "yMd" (10/03/2026). Only for languages other than English (whose callers use strftime)."""
    from babel.dates import format_skeleton

    return format_skeleton(skeleton, moment, locale=_babel_locale)


class Words(dict):  # type: ignore[type-arg]
    """A table of words marked with `N_()` (an enum's names for a person), each read through `_()` in
    the language in use: `LEVEL_WORDS[Level.SAFE]` is "All synced" or "Tout est synchronisé"."""

    def __getitem__(self, key: object) -> str:
        return _(super().__getitem__(key))

    def get(self, key: object, default: str | None = None) -> str | None:  # type: ignore[override]
        value = super().get(key)
        return default if value is None else _(value)


def adapter_text(text: str) -> str:
    """Words an adapter wrote (a queue's label, a fixed detail) in the language in use when the catalogs
    know them (synctui.adapter_words: the built-in adapters'), else exactly as written."""
    return _(text) if text else text
