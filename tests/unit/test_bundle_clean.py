"""What may leave the device in a support bundle: secrets removed in every form, pseudonyms kept
consistent with their map on the device, bundle ids readable over the phone."""

from __future__ import annotations

import base64
import html
import json
import stat
from urllib.parse import quote

import pytest

from synctui.bundle.build import ID_ALPHABET, ID_LENGTH, new_bundle_id
from synctui.bundle.clean import REMOVED, Scrubber
from synctui.bundle.parts import check_part_names
from synctui.bundle.pseudonyms import Pseudonyms

CANARY = "Canary s3cret/pass+word&<x>"


@pytest.mark.parametrize(
    "text",
    [
        f"login failed for {CANARY} at 10:02",
        f"GET /login?password={quote(CANARY, safe='')}",
        json.dumps({"detail": f'wrong "{CANARY}"'}),
        f"<text>{html.escape(CANARY).replace(' ', '&#160;')}</text>",  # as a Textual SVG writes it
        "Authorization: Basic " + base64.b64encode(f"nurse:{CANARY}".encode()).decode(),
        "x" + base64.urlsafe_b64encode(f"[{CANARY}]".encode()).decode(),
        "xy" + base64.b64encode(f"== {CANARY} ==".encode()).decode().rstrip("="),
        "xyz" + base64.b64encode(CANARY.encode()).decode(),
    ],
)
def test_a_known_secret_is_removed_in_every_form(text: str) -> None:
    cleaned = Scrubber([CANARY]).text(text)
    for form in (CANARY, quote(CANARY, safe=""), html.escape(CANARY), "s3cret"):
        assert form not in cleaned
    for run in cleaned.split():
        for start in range(4):
            chunk = run[start:].rstrip("=")
            try:
                decoded = base64.b64decode(chunk + "=" * (-len(chunk) % 4), altchars=b"-_")
            except ValueError:
                continue
            assert CANARY.encode() not in decoded


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        ("Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.payload.sig", "Authorization: Bearer"),
        ("connect https://nurse:hunter22@server.example/api", "https://nurse:"),
        ('{"password": "hunter22", "user": "nurse"}', '"user": "nurse"'),
        ("pin=4321&user=nurse", "&user=nurse"),
    ],
)
def test_credential_shapes_are_removed_even_when_the_value_is_unknown(text: str, kept: str) -> None:
    cleaned = Scrubber([]).text(text)
    assert REMOVED in cleaned
    assert kept in cleaned
    assert "hunter22" not in cleaned and "eyJhbGciOiJIUzI1NiJ9" not in cleaned and "4321" not in cleaned


@pytest.mark.parametrize("cut", ["[r…", "[remov…", "[removed]"])
def test_a_removed_value_cut_by_a_narrow_column_is_left_as_drawn(cut: str) -> None:
    """A screenshot draws "password [removed]" cut to "password [r…": removing it again made the
    bundle's screenshot differ from the screen; a cut value that is not "[removed]" is still removed."""
    shot = f"with&#160;password&#160;{cut}&#160;"
    assert Scrubber([]).text(shot) == shot
    assert Scrubber([]).text("with&#160;password&#160;hun…") == f"with&#160;password&#160;{REMOVED}"


def test_data_is_cleaned_in_keys_and_values_and_short_secrets_are_not_used() -> None:
    data = {"a": [f"x {CANARY}", {CANARY: 1}], "n": 3, "w": "word"}
    cleaned = Scrubber([CANARY, "wo"]).data(data)
    assert CANARY not in json.dumps(cleaned)
    assert cleaned["n"] == 3 and cleaned["w"] == "word"  # a 2-letter "secret" would blank every word


def test_pseudonyms_are_consistent_across_bundles_and_the_map_stays_private(tmp_path) -> None:
    path = tmp_path / "state" / "map.json"
    first = Pseudonyms(path)
    first.add("host", ["clinic-7.health.example"])
    first.add("user", ["nurse.amina"])
    text = "nurse.amina synced to https://clinic-7.health.example:8443/api from 192.0.2.15, then 127.0.0.1"
    once = first.text(text)
    assert "nurse.amina" not in once and "clinic-7.health.example" not in once and "192.0.2.15" not in once
    assert "user-1" in once and "host-1" in once and "ip-1" in once
    assert "127.0.0.1" in once  # loopback names nobody
    first.save()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    again = Pseudonyms(path)
    assert again.text(text) == once
    assert json.loads(path.read_text())["host"]["clinic-7.health.example"] == "host-1"


def test_pseudonyms_leave_the_products_own_words_alone(tmp_path) -> None:
    names = Pseudonyms(tmp_path / "map.json")
    names.add("user", ["admin"])
    data = {"queue": "admin", "label": "admin", "counts": {"admin": 2}}
    assert names.data(data) == {"queue": "admin", "label": "user-1", "counts": {"admin": 2}}


def test_bundle_id_is_short_and_has_no_ambiguous_letters() -> None:
    ids = {new_bundle_id() for _ in range(200)}
    assert len(ids) == 200
    assert all(len(i) == ID_LENGTH == 10 and set(i) <= set(ID_ALPHABET) for i in ids)
    assert not set("01ILOU") & set(ID_ALPHABET)


def test_an_unknown_part_is_named() -> None:
    with pytest.raises(ValueError, match="unknown part 'pictures'"):
        check_part_names(["logs", "pictures"])
