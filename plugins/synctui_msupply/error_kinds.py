"""Every mSupply error kind the reference and the real servers name (reference §8), with what it means:
a category, a plain message, advice and the reference's group.

The stored sync_log `error_code`s (SyncApiErrorCode), the GraphQL `SyncErrorVariant`s, the legacy v5 error
codes and site_status codes, the Open mSupply Central v6 variants and the sync v7 variants. How a code or a
text is read into one of these is `rejections.py`.
"""

from __future__ import annotations

from dataclasses import dataclass

from synctui.model import Category


@dataclass(frozen=True)
class Meaning:
    category: Category
    message: str
    advice: str
    group: str  # the reference's suggested enum: offline, auth, device_bound, version, central_busy, ...


_BUSY_ADVICE = "Nothing was lost: the records stay queued on this site. Try again later."
# synctui cannot change the sync password (the site API takes it only with the whole settings): say who can
_PASSWORD_ADVICE = (
    "The site administrator enters the site's sync password again in Open mSupply's sync settings; ask the "
    "central administrator if it was changed."
)
_INITIALISE_ADVICE = (
    "The site administrator initialises the site again in Open mSupply (synctui never initialises a site)."
)

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
        "The site name (read-only in synctui's settings) must be a site registered on central: the site "
        "administrator corrects it in Open mSupply's sync settings, or the central administrator registers it.",
        "auth",
    ),
    "INCORRECT_PASSWORD": Meaning(
        Category.AUTH,
        "The central server rejected the site's sync password.",
        _PASSWORD_ADVICE,
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
        "Set the full URL of the central server in synctui's settings for this backend (key url, e.g. "
        "https://central.example.org:2048).",
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
    # sync v7 (SyncErrorVariantV7, branch 11165.4 server/graphql/general/src/sync_v7/sync_api_error.rs)
    "DATABASE_ERROR": Meaning(
        Category.SERVER,
        "The site's database failed during the sync.",
        "Nothing queued is lost. Restart Open mSupply on this device; if it persists send the full error "
        "to support.",
        "unknown",
    ),
    "SYNC_RECORD_SERIALIZE_ERROR": Meaning(
        Category.SERVER,
        "A record could not be prepared for sync.",
        "Send the full error to support; the record stays queued on this site.",
        "integration",
    ),
    "RECORD_NOT_FOUND": Meaning(
        Category.SERVER,
        "A record the sync refers to is missing.",
        "It may arrive with a later sync; if it persists send the full error (it names the table and id) "
        "to support.",
        "integration",
    ),
    "SYNC_VERSION_MISMATCH": Meaning(
        Category.SERVER,
        "This site and Open mSupply central run incompatible versions (sync v7).",
        "Upgrade this site or Open mSupply central so that the versions match.",
        "version",
    ),
    "AUTHENTICATION": Meaning(
        Category.AUTH,
        "Open mSupply central could not authenticate this site.",
        _PASSWORD_ADVICE,
        "auth",
    ),
    "INVALID_SITE_NAME_OR_PASSWORD": Meaning(
        Category.AUTH,
        "The central server rejected the site name or the sync password.",
        _PASSWORD_ADVICE,
        "auth",
    ),
    "TOKEN_ALREADY_ALLOCATED": Meaning(
        Category.AUTH,
        "Central has already given this site's sync token to another installation.",
        "The central administrator must clear the site's token before this installation is initialised "
        "again.",
        "device_bound",
    ),
    "TOKEN_NOT_FOUND": Meaning(
        Category.AUTH,
        "This site has no sync token: it was not initialised for sync v7, or its token was cleared.",
        _INITIALISE_ADVICE,
        "device_bound",
    ),
    "FAILED_TO_GET_HARDWARE_ID": Meaning(
        Category.SERVER,
        "Open mSupply could not read this device's hardware id.",
        "Restart Open mSupply on this device; if it persists send the full error to support.",
        "device_bound",
    ),
    "MISSING_AUTH_HEADER": Meaning(
        Category.AUTH,
        "Central received a sync call without its credentials headers.",
        "Check that no proxy between the site and central removes the Authorization, hardware-id or "
        "app-version headers.",
        "config",
    ),
    "SITE_ID_NOT_SET": Meaning(
        Category.FIX_DATA,
        "This site's id is not set: its initialisation did not finish.",
        _INITIALISE_ADVICE,
        "config",
    ),
    "SITE_ID_MISMATCH": Meaning(
        Category.AUTH,
        "Central knows this installation under another site id.",
        "Ask the central administrator which site this installation belongs to; moving it to another site "
        "needs a fresh initialisation.",
        "device_bound",
    ),
    "SITE_IS_NOT_V7": Meaning(
        Category.FIX_DATA,
        "The legacy central server has not moved this site to sync v7 yet.",
        "Ask the central administrator to transition the site to v7 on the legacy server.",
        "config",
    ),
    "REQUEST_SITE_AUTH_ERROR": Meaning(
        Category.RETRYABLE,
        "Open mSupply central could not check this site's credentials with the legacy central server.",
        "A problem between the central servers, not on this site. " + _BUSY_ADVICE,
        "offline",
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
    "legacyServerError": "OTHER_LEGACY_SERVER_ERROR",  # unless it wraps a known v5 code (explain)
    "otherLegacyServerError": "OTHER_LEGACY_SERVER_ERROR",
    "otherServerError": "OTHER_SERVER_ERROR",
    "notACentralServer": "NOT_A_CENTRAL_SERVER",
    "parsingSyncRecordError": "PARSING_SYNC_RECORD_ERROR",
    "integrationInProgress": "INTEGRATION_IN_PROGRESS",
    "syncFileNotFound": "SYNC_FILE_NOT_FOUND",
    "syncVersionMismatch": "V6_API_VERSION_INCOMPATIBLE",
}

# v7 variants (SyncErrorVariantV7) that mean what an existing code means
V7_ALIASES = {
    "SITE_LOCK_ERROR": "INTEGRATION_IN_PROGRESS",  # SiteLockError::IntegrationInProgress
    "PARSING_ERROR": "UNEXPECTED_RESPONSE",
    "GET_CURRENT_SITE_ID_ERROR": "SITE_ID_NOT_SET",
    "OTHER": "UNKNOWN",  # "Unmatched error …": refined from its text
}

# every SyncErrorVariantV7 (branch 11165.4), spelled as the site's GraphQL sends them
SYNC_ERROR_VARIANTS_V7 = (
    "DATABASE_ERROR",
    "SYNC_RECORD_SERIALIZE_ERROR",
    "RECORD_NOT_FOUND",
    "SYNC_VERSION_MISMATCH",
    "NOT_A_CENTRAL_SERVER",
    "AUTHENTICATION",
    "INVALID_SITE_NAME_OR_PASSWORD",
    "TOKEN_ALREADY_ALLOCATED",
    "TOKEN_NOT_FOUND",
    "HARDWARE_ID_MISMATCH",
    "FAILED_TO_GET_HARDWARE_ID",
    "MISSING_AUTH_HEADER",
    "SITE_LOCK_ERROR",
    "CONNECTION_ERROR",
    "PARSING_ERROR",
    "INTEGRATION_TIMEOUT_REACHED",
    "SITE_ID_NOT_SET",
    "GET_CURRENT_SITE_ID_ERROR",
    "SITE_ID_MISMATCH",
    "SITE_IS_NOT_V7",
    "REQUEST_SITE_AUTH_ERROR",
    "OTHER",
)

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
