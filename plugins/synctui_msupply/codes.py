"""mSupply error codes → a category, a plain message and advice (reference §8).

Covers the stored sync_log `error_code`s (SyncApiErrorCode), the GraphQL `SyncErrorVariant`s, the legacy v5
error codes and site_status codes, the Open mSupply Central v6 error variants and the mobile/legacy text
errors. `UNKNOWN` is refined by reading the full error text, so a timeout is never shown as "Unknown".
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from synctui.model import Category, Rejection


@dataclass(frozen=True)
class Meaning:
    category: Category
    message: str
    advice: str
    group: str  # the reference's suggested enum: offline, auth, device_bound, version, central_busy, ...


_BUSY_ADVICE = "Nothing was lost: the records stay queued on this site. Try again later."

MEANINGS: dict[str, Meaning] = {
    "CONNECTION_ERROR": Meaning(
        Category.RETRYABLE,
        "The site could not reach the central server.",
        "Check the network and the central server URL; the site tries again at the next interval. "
        "With an https URL also check the certificate: TLS mistakes show up as a connection problem.",
        "offline",
    ),
    "SITE_NAME_NOT_FOUND": Meaning(
        Category.AUTH,
        "The central server has no site with this site name.",
        "Check the site name (the sync user name) in the sync settings against the site registered on "
        "central.",
        "auth",
    ),
    "INCORRECT_PASSWORD": Meaning(
        Category.AUTH,
        "The central server rejected the site's sync password.",
        "Enter the site's sync password again in the sync settings; ask the central administrator if it "
        "was changed.",
        "auth",
    ),
    "HARDWARE_ID_MISMATCH": Meaning(
        Category.AUTH,
        "This device is not the one registered for the site: central has bound the site to another "
        "hardware id.",
        "Sync from the device registered for this site, or ask the central administrator to reset the "
        "site's hardware id before setting this device up for it.",
        "device_bound",
    ),
    "SITE_HAS_NO_STORE": Meaning(
        Category.AUTH,
        "The site has no active store on the central server.",
        "Ask the central administrator to make at least one store active on this site.",
        "auth",
    ),
    "SITE_AUTH_TIMEOUT": Meaning(
        Category.RETRYABLE,
        "Central took too long to check the site's credentials (central is busy).",
        "Try again in a few minutes. Nothing was lost: the records stay queued on this site.",
        "central_busy",
    ),
    "INTEGRATION_TIMEOUT_REACHED": Meaning(
        Category.RETRYABLE,
        "Central is busy: it did not finish integrating the pushed records in time.",
        _BUSY_ADVICE + " Large imports on central can keep it busy for a while.",
        "central_busy",
    ),
    "INTEGRATION_ERROR": Meaning(
        Category.FIX_DATA,
        "Records could not be integrated.",
        "Open the conflicts to see which records and why; records that wait for related data usually "
        "integrate at a later sync.",
        "integration",
    ),
    "API_VERSION_INCOMPATIBLE": Meaning(
        Category.SERVER,
        "This site and the central server use incompatible sync API versions.",
        "Upgrade Open mSupply on this site (or the central server) so that the versions match.",
        "version",
    ),
    "CENTRAL_V6_NOT_CONFIGURED": Meaning(
        Category.SERVER,
        "The Open mSupply central server is not configured on the legacy central server.",
        "Ask the central administrator to set the Open mSupply central server URL.",
        "config",
    ),
    "V6_API_VERSION_INCOMPATIBLE": Meaning(
        Category.SERVER,
        "Open mSupply central does not accept this site's sync version.",
        "Upgrade this site or Open mSupply central so that the versions match.",
        "version",
    ),
    "SITE_UUID_IS_BEING_CHANGED": Meaning(
        Category.AUTH,
        "These settings would point this installation at a different site.",
        "Keep the original site name and password. Moving an installation to another site needs a fresh "
        "initialisation.",
        "device_bound",
    ),
    "INVALID_URL": Meaning(
        Category.FIX_DATA,
        "The central server URL is not a valid URL.",
        "Enter the full URL of the central server, e.g. https://central.example.org:2048.",
        "config",
    ),
    # legacy v5 site_status codes (central is busy with this site)
    "SYNC_IS_RUNNING": Meaning(
        Category.RETRYABLE,
        "Central is already syncing this site.",
        "Wait for the running sync to finish, then try again.",
        "central_busy",
    ),
    "INTEGRATION_IN_PROGRESS": Meaning(
        Category.RETRYABLE,
        "Central is still integrating this site's records.",
        _BUSY_ADVICE,
        "central_busy",
    ),
    "INITIALISATION_IN_PROGRESS": Meaning(
        Category.RETRYABLE,
        "Central is still preparing this site's initialisation.",
        "Wait for initialisation to finish; it can take up to half an hour on a large system.",
        "central_busy",
    ),
    # Open mSupply Central (v6) error variants
    "CANNOT_CONNECT_TO_LEGACY_SERVER": Meaning(
        Category.RETRYABLE,
        "Open mSupply central could not reach the legacy central server.",
        "A problem between the central servers, not on this site. " + _BUSY_ADVICE,
        "offline",
    ),
    "OTHER_LEGACY_SERVER_ERROR": Meaning(
        Category.SERVER,
        "The legacy central server failed while checking this site.",
        "Try again later; if it persists send the full error to the central administrator.",
        "unknown",
    ),
    "OTHER_SERVER_ERROR": Meaning(
        Category.SERVER,
        "Open mSupply central failed.",
        "Try again later; if it persists send the full error to the central administrator.",
        "unknown",
    ),
    "NOT_A_CENTRAL_SERVER": Meaning(
        Category.FIX_DATA,
        "The configured Open mSupply central URL is not a central server.",
        "Ask the central administrator to correct the Open mSupply central server URL.",
        "config",
    ),
    "PARSING_SYNC_RECORD_ERROR": Meaning(
        Category.SERVER,
        "Open mSupply central could not read a record this site sent.",
        "Send the full error to support; the record stays queued on this site.",
        "integration",
    ),
    "SYNC_FILE_NOT_FOUND": Meaning(
        Category.GONE,
        "An attachment is no longer on the central server.",
        "The file was removed on central; nothing to do on this site.",
        "integration",
    ),
    # text-only errors (legacy / mobile) and what the adapter itself detects
    "TIMEOUT": Meaning(
        Category.RETRYABLE,
        "A request timed out: the central server or the network is slow.",
        _BUSY_ADVICE,
        "central_busy",
    ),
    "TLS_ERROR": Meaning(
        Category.RETRYABLE,
        "The secure (TLS) connection to the central server failed.",
        "Check the certificate of the central server and the device's date and time; check that the URL "
        "uses the right scheme (http or https) and port.",
        "offline",
    ),
    "SERVER_REJECTED_PUSH": Meaning(
        Category.FIX_DATA,
        "The central server rejected records pushed by this site.",
        "Open the conflicts for the records; records of central data can only be changed on the primary "
        "server.",
        "integration",
    ),
    "UNEXPECTED_RESPONSE": Meaning(
        Category.SERVER,
        "The sync server sent an answer this site could not read.",
        "Check that the URL points at the mSupply central server (not a proxy or login page).",
        "unknown",
    ),
    "LICENCE_LIMIT": Meaning(
        Category.AUTH,
        "The central server's licence does not allow another site or user.",
        "Ask the central administrator to extend the licence.",
        "auth",
    ),
    "CENTRAL_DATA_READ_ONLY": Meaning(
        Category.FIX_DATA,
        "Only the primary server may change this: it is central (master) data.",
        "Make the change on the primary (central) server; it reaches this site at the next sync. The local "
        "edit cannot be pushed.",
        "integration",
    ),
    "SYNC_APPEARS_HUNG": Meaning(
        Category.RETRYABLE,
        "The sync appears hung: it started long ago and never finished or reported an error.",
        "The sync process probably stopped. Restart the Open mSupply server on this device; the next sync "
        "resumes where it left off and nothing queued is lost. If it keeps happening, check the network "
        "to central.",
        "central_busy",
    ),
    "UNKNOWN": Meaning(
        Category.UNKNOWN,
        "The sync failed with an error mSupply did not classify.",
        "Open the full error text below; if it persists send it to support.",
        "unknown",
    ),
}

# legacy v5 `error.code` (error.rs SyncErrorCodeV5) → stored code (logger.rs mapping)
V5_CODES = {
    "site_name_not_found": "SITE_NAME_NOT_FOUND",
    "site_incorrect_password": "INCORRECT_PASSWORD",
    "site_incorrect_hardware_id": "HARDWARE_ID_MISMATCH",
    "site_has_no_store": "SITE_HAS_NO_STORE",
    "site_auth_timeout": "SITE_AUTH_TIMEOUT",
    "api_version_incompatible": "API_VERSION_INCOMPATIBLE",
    "sync_is_running": "SYNC_IS_RUNNING",
    "integration_in_progress": "INTEGRATION_IN_PROGRESS",
    "initialisation_in_progress": "INITIALISATION_IN_PROGRESS",
}

# Open mSupply Central v6 error variants
V6_VARIANTS = {
    "cannotConnectToLegacyServer": "CANNOT_CONNECT_TO_LEGACY_SERVER",
    "otherLegacyServerError": "OTHER_LEGACY_SERVER_ERROR",
    "otherServerError": "OTHER_SERVER_ERROR",
    "notACentralServer": "NOT_A_CENTRAL_SERVER",
    "parsingSyncRecordError": "PARSING_SYNC_RECORD_ERROR",
    "integrationInProgress": "INTEGRATION_IN_PROGRESS",
    "syncFileNotFound": "SYNC_FILE_NOT_FOUND",
    "syncVersionMismatch": "V6_API_VERSION_INCOMPATIBLE",
}

# reference §8: the stored codes plus the GraphQL-only variants
SYNC_ERROR_VARIANTS = (
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

# central ("master") data: edited on the primary/central server only (reference §1, seed 004)
CENTRAL_TABLES = frozenset(
    {
        "item",
        "unit",
        "name",
        "master_list",
        "master_list_line",
        "master_list_name_join",
        "name_store_join",
        "program",
        "period",
        "period_schedule",
        "store",
        "currency",
        "location_type",
        "item_category",
        "report",
        "form_schema",
    }
)

_TEXT_RULES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"site registration doesn'?t match|hardware.?id", re.I), "HARDWARE_ID_MISMATCH"),
    (re.compile(r"certificate|\btls\b|\bssl\b|handshake", re.I), "TLS_ERROR"),
    (re.compile(r"timed? ?out|timeout|deadline has elapsed", re.I), "TIMEOUT"),
    (
        re.compile(
            r"connection (failure|refused|reset|closed)|error sending request|dns error|unreachable", re.I
        ),
        "CONNECTION_ERROR",
    ),
    (re.compile(r"server rejected pushed records", re.I), "SERVER_REJECTED_PUSH"),
    (re.compile(r"unexpected response from sync server", re.I), "UNEXPECTED_RESPONSE"),
    (re.compile(r"licen[cs]e", re.I), "LICENCE_LIMIT"),
    (re.compile(r"incompatible|version mismatch", re.I), "API_VERSION_INCOMPATIBLE"),
]

_TABLE_IN_TEXT = re.compile(r"\btable[\s:=\"']+([a-z_]+)|\b([a-z_]+) (?:record|row)s?\b", re.I)
_OWNERSHIP_HINT = re.compile(r"central|master|primary|not allowed|cannot (?:be )?(?:change|edit|modif)", re.I)


def central_table_in(text: str) -> str | None:
    """The central-data table a rejection text talks about, if it says the site may not change it."""
    if not text or not _OWNERSHIP_HINT.search(text):
        return None
    for match in _TABLE_IN_TEXT.finditer(text):
        table = (match.group(1) or match.group(2) or "").lower()
        if table in CENTRAL_TABLES:
            return table
    return None


def ownership_rejection(table: str, raw: str = "", status: int | None = None) -> Rejection:
    meaning = MEANINGS["CENTRAL_DATA_READ_ONLY"]
    return Rejection(
        category=meaning.category,
        message=f"Only the primary server may change this: {table} records are central (master) data.",
        advice=meaning.advice,
        status=status,
        code="CENTRAL_DATA_READ_ONLY",
        raw=raw,
    )


def normalise_code(code: str | None) -> str:
    """Any spelling of a known code (v5 snake_case, v6 camelCase, GraphQL enum) as the table's key."""
    if not code:
        return "UNKNOWN"
    if code in MEANINGS:
        return code
    if code in V6_VARIANTS:
        return V6_VARIANTS[code]
    lowered = code.strip().lower()
    if lowered in V5_CODES:
        return V5_CODES[lowered]
    upper = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", code.strip()).upper().replace("-", "_").replace(" ", "_")
    return upper if upper in MEANINGS else "UNKNOWN"


def classify_text(text: str) -> str:
    """A code for an error known only by its text ("UNKNOWN" when nothing matches)."""
    for pattern, code in _TEXT_RULES:
        if pattern.search(text or ""):
            return code
    return "UNKNOWN"


def explain(code: str | None, raw: str = "", status: int | None = None, step: str | None = None) -> Rejection:
    """A Rejection for an mSupply error. `raw` is kept whole (never truncated) for the detail view."""
    key = normalise_code(code)
    if key == "UNKNOWN" and raw:
        key = classify_text(raw)
    if key in ("INTEGRATION_ERROR", "SERVER_REJECTED_PUSH", "UNKNOWN"):
        table = central_table_in(raw)
        if table:
            return ownership_rejection(table, raw, status)
    meaning = MEANINGS[key]
    message = meaning.message
    if step:
        message = f"{message} (during {step})"
    return Rejection(
        category=meaning.category,
        message=message,
        advice=meaning.advice,
        status=status,
        code=key,
        raw=raw,
    )
