"""The fleet screen and a device's screen in French, Portuguese and Swahili: read back as text, none of
synctui's own English words is left; what Prometheus holds (device ids, sites, backend names, reason
codes, label names) stays as written."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from textual.widgets import DataTable

from synctui import i18n
from tests.functional.fit_fakes import screen_text
from tests.functional.test_tui_languages import TRANSLATED, english_left

from .test_fleet_screen import device_shown, fleet_app, loaded


@pytest.fixture
def speak() -> Iterator[None]:
    yield
    i18n.use(i18n.SOURCE_LANGUAGE)


async def read_fleet(generated_fleet, lang: str, ready) -> tuple[str, str]:
    """The screen `ready` waits for, as text in `lang`, and what Prometheus wrote for it."""
    i18n.use(lang)
    app = fleet_app(generated_fleet)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        text = screen_text(app)
        written = [
            f"{row.device} {' '.join(row.labels.values())} {' '.join(row.reasons)}" for row in app.rows
        ]
        for backend in getattr(app.screen, "backends", None) or []:
            written.append(
                f"{backend.backend} {backend.kind} {' '.join(code for _, code in backend.reasons)}"
            )
    written.append("synctui fleet --agent tcp://HOST:PORT --token-file F")  # a command, typed as it is
    return text, "\n".join(written)


@pytest.mark.parametrize("lang", TRANSLATED)
@pytest.mark.parametrize("ready", [loaded, device_shown], ids=["fleet", "device"])
async def test_no_english_word_of_synctui_is_left_on_the_fleet_screens(speak, generated_fleet, ready, lang):
    english, written = await read_fleet(generated_fleet, "en", ready)
    local, _ = await read_fleet(generated_fleet, lang, ready)
    left = english_left(lang, english, local, written)
    assert not left, f"{lang}: still in English on the fleet: {left}\n{local}"


@pytest.mark.parametrize("lang", i18n.LANGUAGES)
async def test_every_column_is_readable_at_80_columns(speak, generated_fleet, lang):
    """At 80×24 the table needs no sideways scrolling and every header is whole, in every language."""
    i18n.use(lang)
    app = fleet_app(generated_fleet)
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        table = app.query_one(DataTable)
        assert table.virtual_size.width <= table.scrollable_content_region.width, lang
        header = screen_text(app).splitlines()[3]
        assert header.split() == " ".join(column.header() for column in app.layout).split(), header


def test_fleet_80x24_in_french(snap_compare, speak, generated_fleet):
    """(In English: test_fleet_screen.test_fleet_80x24.)"""
    i18n.use("fr")
    assert snap_compare(fleet_app(generated_fleet), run_before=loaded, terminal_size=(80, 24))
