"""The errors a simulated site can be made to fail with: the stored codes, where each strikes by default,
and the full error texts the real site logs."""

from __future__ import annotations

from dataclasses import dataclass

V5_TO_CODE = {
    "site_name_not_found": "SITE_NAME_NOT_FOUND",
    "site_incorrect_password": "INCORRECT_PASSWORD",
    "site_incorrect_hardware_id": "HARDWARE_ID_MISMATCH",
    "site_has_no_store": "SITE_HAS_NO_STORE",
    "site_auth_timeout": "SITE_AUTH_TIMEOUT",
    "api_version_incompatible": "API_VERSION_INCOMPATIBLE",
}
# where an injected error strikes when no step is named (None: while checking the site, before any step)
DEFAULT_STEP = {
    "INTEGRATION_TIMEOUT_REACHED": "push_wait",  # after pushing, while waiting for central
    "INTEGRATION_ERROR": "integration",
    "CENTRAL_V6_NOT_CONFIGURED": "push_v6",
    "V6_API_VERSION_INCOMPATIBLE": "push_v6",
    "UNKNOWN": "pull_remote",
}
FULL_ERRORS = {
    "CONNECTION_ERROR": "Failed to get site info: error sending request for url ({url}/sync/v5/site): "
    "error trying to connect: tcp connect error: Connection refused (os error 111)",
    "SITE_NAME_NOT_FOUND": "Failed to get site info: legacy server error: site_name_not_found: Site name not found",
    "INCORRECT_PASSWORD": "Failed to get site info: legacy server error: site_incorrect_password: Incorrect password",
    "HARDWARE_ID_MISMATCH": "Failed to get site info: legacy server error: site_incorrect_hardware_id: "
    "Site hardware ID does not match",
    "SITE_HAS_NO_STORE": "Failed to get site info: legacy server error: site_has_no_store: Site has no store",
    "SITE_AUTH_TIMEOUT": "Failed to get site info: legacy server error: site_auth_timeout: "
    "Timed out while authenticating the site",
    "INTEGRATION_TIMEOUT_REACHED": "Failed to push records: Timeout was reached while waiting for the central "
    "server to integrate the pushed records",
    "INTEGRATION_ERROR": "Failed to integrate records: Integration failed: constraint violation in table "
    "invoice_line (foreign key item_link_id)",
    "API_VERSION_INCOMPATIBLE": "Failed to get site info: legacy server error: api_version_incompatible: "
    'API version incompatible {{"major":14,"minor":0}}',
    "CENTRAL_V6_NOT_CONFIGURED": "Failed to push v6 records: Open mSupply central server is not configured",
    "V6_API_VERSION_INCOMPATIBLE": "Failed to push v6 records: sync version mismatch: min 0, max 5, received 6",
    "SITE_UUID_IS_BEING_CHANGED": "Sync settings would change the site: site uuid is being changed",
    "INVALID_URL": "Invalid url: relative URL without a base",
    "UNKNOWN": "Failed to pull remote records: error sending request for url ({url}/sync/v5/queued_records): "
    "operation timed out",
}


class SyncFailure(Exception):
    def __init__(self, code: str, full_error: str) -> None:
        super().__init__(full_error)
        self.code = code
        self.full_error = full_error


@dataclass
class Injected:
    code: str
    step: str | None
    full_error: str
    sticky: bool = False  # keeps failing every sync until cleared
