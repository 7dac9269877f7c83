"""Compare aligns the local and the server object by field and says in one line what differs."""

from __future__ import annotations

import json

from synctui.tui.diff import FieldRow, field_rows, field_summary

LOCAL = {
    "$type": "Patient",
    "id": "7d2e5c1a-9f43-4b7e-a2c1-0e8d6b4f3a21",
    "versionSequence": 1,
    "name": {"OfficialRecord": [{"component": {"Given": ["Amina"], "Family": ["Banda"]}}]},
    "dateOfBirth": "2020-03-01T00:00:00+00:00",
}


def test_only_the_differing_field_differs() -> None:
    """The issue's case: a whole record that differs in versionSequence only (not "53 lines differ")."""
    rows = field_rows(json.dumps(LOCAL), json.dumps(dict(LOCAL, versionSequence=6), indent=2))
    assert rows is not None
    assert [row.path for row in rows if row.differs] == ["versionSequence"]
    assert FieldRow("name.OfficialRecord[0].component.Given[0]", '"Amina"', '"Amina"') in rows
    assert field_summary(rows) == "1 field differs: versionSequence 1 → 6"


def test_fields_one_copy_lacks_are_aligned_beside_their_neighbours() -> None:
    server = {
        "$type": "Patient",
        "id": LOCAL["id"],
        "versionSequence": 2,
        "etag": "ab12",
        "name": {"OfficialRecord": [{"component": {"Given": ["Amina"], "Family": ["Phiri"]}}]},
    }
    rows = field_rows(json.dumps(LOCAL), json.dumps(server))
    assert rows is not None
    assert [row.path for row in rows] == [
        "$type",
        "id",
        "versionSequence",
        "etag",
        "name.OfficialRecord[0].component.Given[0]",
        "name.OfficialRecord[0].component.Family[0]",
        "dateOfBirth",
    ]
    assert field_summary(rows) == (
        '4 fields differ: versionSequence 1 → 2, etag (absent) → "ab12", '
        'name.OfficialRecord[0].component.Family[0] "Banda" → "Phiri" and 1 more'
    )


def test_same_copies_have_no_summary_and_other_shapes_are_not_aligned() -> None:
    same = field_rows(json.dumps(LOCAL), json.dumps(LOCAL))
    assert same is not None and not any(row.differs for row in same) and field_summary(same) == ""
    bundle = {"$type": "Bundle", "resource": [LOCAL]}
    assert field_rows(json.dumps(bundle), json.dumps(LOCAL)) is None  # different types
    assert field_rows("<Patient/>", json.dumps(LOCAL)) is None
    assert field_rows("[1, 2]", "[1, 3]") is None


def test_backend_text_in_the_summary_is_shown_not_obeyed() -> None:
    rows = field_rows(json.dumps({"a\x1b[2J": 1}), json.dumps({"a\x1b[2J": 2}))
    assert rows is not None and "\x1b" not in field_summary(rows)
