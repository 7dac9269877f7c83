"""Every mSupply error code maps to a category, a plain message and advice; timeouts are never "Unknown"."""

from __future__ import annotations

import pytest
from synctui_msupply.error_kinds import (
    MEANINGS,
    SYNC_ERROR_VARIANTS,
    SYNC_ERROR_VARIANTS_V7,
    V5_CODES,
    V6_VARIANTS,
)
from synctui_msupply.rejections import central_table_in, explain, normalise_code

from synctui.model import Category

REFERENCE_S8 = (
    "CONNECTION_ERROR",
    "SITE_NAME_NOT_FOUND",
    "INCORRECT_PASSWORD",
    "HARDWARE_ID_MISMATCH",
    "SITE_HAS_NO_STORE",
    "SITE_AUTH_TIMEOUT",
    "INTEGRATION_TIMEOUT_REACHED",
    "INTEGRATION_ERROR",
    "API_VERSION_INCOMPATIBLE",
    "CENTRAL_V6_NOT_CONFIGURED",
    "V6_API_VERSION_INCOMPATIBLE",
    "SITE_UUID_IS_BEING_CHANGED",
    "INVALID_URL",
    "UNKNOWN",
)


def test_the_table_covers_reference_section_8() -> None:
    assert set(REFERENCE_S8) == set(SYNC_ERROR_VARIANTS)
    assert set(REFERENCE_S8) <= set(MEANINGS)


@pytest.mark.parametrize("code", REFERENCE_S8)
def test_every_code_has_a_plain_message_and_advice(code: str) -> None:
    rejection = explain(code, "full error text")
    assert rejection.message.endswith(".") and len(rejection.message) < 140
    assert rejection.advice
    assert rejection.raw == "full error text"
    if code != "UNKNOWN":
        assert rejection.category != Category.UNKNOWN and rejection.code == code


@pytest.mark.parametrize(
    ("code", "category", "words"),
    [
        ("HARDWARE_ID_MISMATCH", Category.AUTH, "not the one registered for the site"),
        ("INTEGRATION_TIMEOUT_REACHED", Category.RETRYABLE, "Central is busy"),
        ("SITE_AUTH_TIMEOUT", Category.RETRYABLE, "central is busy"),
        ("CONNECTION_ERROR", Category.RETRYABLE, "could not reach the central server"),
        ("INCORRECT_PASSWORD", Category.AUTH, "password"),
        ("INTEGRATION_ERROR", Category.FIX_DATA, "integrated"),
    ],
)
def test_key_meanings(code: str, category: Category, words: str) -> None:
    rejection = explain(code)
    assert rejection.category == category and words in rejection.message


@pytest.mark.parametrize("v5", sorted(V5_CODES))
def test_v5_codes(v5: str) -> None:
    assert normalise_code(v5) == V5_CODES[v5]
    assert explain(v5).category != Category.UNKNOWN


@pytest.mark.parametrize("variant", sorted(V6_VARIANTS))
def test_v6_variants(variant: str) -> None:
    assert explain(variant).category != Category.UNKNOWN


@pytest.mark.parametrize(
    "text",
    [
        "Failed to pull remote records: error sending request: operation timed out",
        "reqwest::Error { kind: Request, source: TimedOut }",
        "deadline has elapsed",
        "Request timeout",
    ],
)
def test_a_timeout_is_never_unknown(text: str) -> None:
    rejection = explain("UNKNOWN", text)
    assert rejection.code == "TIMEOUT" and rejection.category == Category.RETRYABLE
    assert "Unknown" not in rejection.message and "timed out" in rejection.message


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("Connection failure while attempting to sync.", "CONNECTION_ERROR"),
        ("Unexpected response from sync server", "UNEXPECTED_RESPONSE"),
        ("Site registration doesn't match.", "HARDWARE_ID_MISMATCH"),
        ("invalid peer certificate: UnknownIssuer", "TLS_ERROR"),
        ("Your licence does not allow more sites", "LICENCE_LIMIT"),
        ("Server is incompatible with this version", "API_VERSION_INCOMPATIBLE"),
    ],
)
def test_text_errors(text: str, code: str) -> None:
    assert explain(None, text).code == code


def test_long_error_text_is_kept_whole() -> None:
    text = "x" * 20_000 + " operation timed out"
    rejection = explain("UNKNOWN", text)
    assert rejection.raw == text and len(rejection.message) < 140


def test_ownership() -> None:
    text = "Server rejected pushed records: 1 record(s) of table item are central data and cannot be changed"
    rejection = explain("INTEGRATION_ERROR", text)
    assert rejection.message.startswith("Only the primary server may change this")
    assert rejection.code == "CENTRAL_DATA_READ_ONLY" and rejection.category == Category.FIX_DATA
    assert central_table_in("invoice_line rows failed: foreign key") is None
    assert central_table_in("table invoice cannot be changed on central") is None


# SyncError (branch 11165.4 server/repository/src/syncv7/sync_record.rs), as serde names it on the wire
V7_RUST_NAMES = (
    "DatabaseError",
    "SyncRecordSerializeError",
    "RecordNotFound",
    "SyncVersionMismatch",
    "NotACentralServer",
    "Authentication",
    "InvalidSiteNameOrPassword",
    "TokenAlreadyAllocated",
    "TokenNotFound",
    "HardwareIdMismatch",
    "FailedToGetHardwareId",
    "MissingAuthHeader",
    "SiteLockError",
    "ConnectionError",
    "ParsingError",
    "IntegrationTimeoutReached",
    "SiteIdNotSet",
    "GetCurrentSiteIdError",
    "SiteIdMismatch",
    "SiteIsNotV7",
    "RequestSiteAuthError",
)


@pytest.mark.parametrize("variant", [v for v in SYNC_ERROR_VARIANTS_V7 if v != "OTHER"] + list(V7_RUST_NAMES))
def test_every_v7_kind_is_classified(variant: str) -> None:
    rejection = explain(variant, "full error text")
    assert rejection.code != "UNKNOWN" and rejection.category != Category.UNKNOWN
    assert "did not classify" not in rejection.message and rejection.advice


def test_v7_other_is_read_from_its_text() -> None:
    assert explain("OTHER", "Unmatched error operation timed out").code == "TIMEOUT"


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ('{"code": "site_incorrect_password", "message": "Invalid password"}', "INCORRECT_PASSWORD"),
        ('{"code": "site_incorrect_hardware_id", "message": "…"}', "HARDWARE_ID_MISMATCH"),
        ('{"code": "something_new", "message": "…"}', "OTHER_LEGACY_SERVER_ERROR"),
    ],
)
def test_v6_legacy_server_error_reads_the_wrapped_v5_code(raw: str, code: str) -> None:
    assert explain("legacyServerError", raw).code == code


@pytest.mark.parametrize("code", sorted(MEANINGS))
def test_advice_names_only_what_synctui_offers(code: str) -> None:
    """synctui's settings change only the URL and the interval: advice never sends the user to a
    password or site-name field it does not have."""
    advice = MEANINGS[code].advice
    assert "password again in the sync settings" not in advice
    assert "in the sync settings against" not in advice
