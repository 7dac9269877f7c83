"""The catalogs are complete (the CI check of issue 11): every string marked in synctui's source is in
the French, Portuguese and Swahili catalogs, translated, with the same placeholders and every plural
form, and each compiled .mo says what its .po says. A failure names the string and what is wrong."""

from __future__ import annotations

import gettext
import re
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.pofile import read_po

import synctui
from synctui.i18n import DOMAIN, LANGUAGES, LOCALE_DIR, SOURCE_LANGUAGE

TRANSLATED = sorted(set(LANGUAGES) - {SOURCE_LANGUAGE})
# str.format fields ({n}, {name!r}, {0:,}) and %-style ones (%(name)s, %s), not doubled braces
PLACEHOLDER = re.compile(r"(?<!\{)\{[^{}]*\}(?!\})|%\([a-z_]+\)[sdr]|%[sdr]")


def source_messages() -> dict[str | tuple[str, str], tuple[str | None, str]]:
    """What the source marks: {msgid or (context, msgid): (plural msgid or None, "file:line")}."""
    found: dict[str | tuple[str, str], tuple[str | None, str]] = {}
    root = Path(synctui.__file__).parent
    for filename, lineno, message, _comments, context in extract_from_dir(
        root, [("**.py", "python")], keywords={**DEFAULT_KEYWORDS, "Nn_": (1, 2)}
    ):
        singular, plural = (message[0], message[1]) if isinstance(message, tuple) else (message, None)
        found[(context, singular) if context else singular] = (plural, f"{filename}:{lineno}")
    return found


def read_catalog(lang: str) -> Catalog:
    with open(LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po", "rb") as f:
        return read_po(f, locale=lang)


def placeholders(text: str) -> list[str]:
    return sorted(PLACEHOLDER.findall(text))


def catalog_faults(catalog: Catalog, source: dict) -> list[str]:
    lang = str(catalog.locale)
    faults = []
    for key, (plural, where) in source.items():
        context, msgid = key if isinstance(key, tuple) else (None, key)
        name = f"{lang}: {msgid!r} ({where})"
        entry = catalog.get(msgid, context=context)
        if entry is None:
            faults.append(f"{name} is missing from the catalog")
            continue
        if entry.fuzzy:
            faults.append(f"{name} is marked fuzzy")
        forms = list(entry.string) if isinstance(entry.string, (tuple, list)) else [entry.string]
        if plural is not None and len(forms) != catalog.num_plurals:
            faults.append(f"{name} has {len(forms)} plural forms, {lang} needs {catalog.num_plurals}")
        wanted = placeholders(plural if plural is not None else msgid)
        for form in forms:
            if not form:
                faults.append(f"{name} is not translated")
            elif placeholders(form) != wanted:
                faults.append(f"{name}: placeholders {placeholders(form)} in {form!r}, expected {wanted}")
    keys = {
        (e.context, e.id[0] if e.pluralizable else e.id)
        if e.context
        else (e.id[0] if e.pluralizable else e.id)
        for e in catalog
        if e.id
    }
    faults.extend(f"{lang}: {k!r} is in the catalog but no longer in the source" for k in keys - set(source))
    return faults


@pytest.fixture(scope="module")
def source() -> dict:
    return source_messages()


def test_the_source_marks_strings(source: dict) -> None:
    assert len(source) > 50, "the extraction found almost nothing: is the keyword list right?"


@pytest.mark.parametrize("lang", TRANSLATED)
def test_catalog_is_complete(lang: str, source: dict) -> None:
    faults = catalog_faults(read_catalog(lang), source)
    assert not faults, f"{len(faults)} fault(s), the first: {faults[0]}"


@pytest.mark.parametrize("lang", TRANSLATED)
def test_compiled_catalog_says_what_the_po_says(lang: str) -> None:
    catalog = read_catalog(lang)
    with open(LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.mo", "rb") as f:
        compiled = gettext.GNUTranslations(f)
    for entry in catalog:
        if not entry.id:
            continue
        if entry.pluralizable:
            one, many = entry.id
            pairs = [
                (
                    compiled.npgettext(entry.context, one, many, n)
                    if entry.context
                    else compiled.ngettext(one, many, n),
                    entry.string[compiled.plural(n)],
                )
                for n in (1, 2, 1_000_000)
            ]
        else:
            got = compiled.pgettext(entry.context, entry.id) if entry.context else compiled.gettext(entry.id)
            pairs = [(got, entry.string)]
        for got, want in pairs:
            assert got == want, (
                f"{lang}: {entry.id!r} is stale in {DOMAIN}.mo: run pybabel compile (README, Languages)"
            )


def test_a_fault_is_named_in_one_line() -> None:
    """The check itself can fail: a string missing, a placeholder renamed, a plural form short, a
    string left untranslated, a string the source no longer has."""
    source = {
        "Hello {name}": (None, "x.py:1"),
        "Gone": (None, "x.py:2"),
        "{n} entry": ("{n} entries", "x.py:3"),
        "Later": (None, "x.py:4"),
    }
    catalog = Catalog(locale="fr")
    catalog.add("Hello {name}", "Bonjour {nom}")
    catalog.add(("{n} entry", "{n} entries"), ("{n} entrée",))
    catalog.add("Later", "")
    catalog.add("Old", "Vieux")
    assert catalog_faults(catalog, source) == [
        "fr: 'Hello {name}' (x.py:1): placeholders ['{nom}'] in 'Bonjour {nom}', expected ['{name}']",
        "fr: 'Gone' (x.py:2) is missing from the catalog",
        "fr: '{n} entry' (x.py:3) has 1 plural forms, fr needs 3",
        "fr: 'Later' (x.py:4) is not translated",
        "fr: 'Old' is in the catalog but no longer in the source",
    ]


def test_no_marked_string_hides_in_an_f_string() -> None:
    """pybabel does not read inside an f-string: `f"{_('stuck')}"` would never reach a catalog."""
    root = Path(synctui.__file__).parent
    hidden = [
        f"{path.relative_to(root)}:{number}"
        for path in sorted(root.rglob("*.py"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if re.search(r"\{\s*(_|N_|ngettext|pgettext)\(\s*['\"]", line)
    ]
    assert not hidden, f"a marked string inside an f-string (not extracted): {hidden[0]}"
