"""The legacy mSupply central server as one remote site sees it: credentials, hardware-id binding, queues."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass, field
from typing import Any

SUPPORTED_V5_VERSIONS = range(12, 16)  # the site sends SYNC_V5_VERSION = 14


@dataclass
class V5Failure(Exception):
    """A v5 error answer: `{"error": {"code", "message", "data"}}` with an HTTP status."""

    code: str
    message: str
    status: int = 401
    data: Any = None

    def body(self) -> dict[str, Any]:
        return {"error": {"code": self.code, "message": self.message, "data": self.data}}


V5_FAILURES = {
    "site_name_not_found": V5Failure("site_name_not_found", "Site name not found", 401),
    "site_incorrect_password": V5Failure("site_incorrect_password", "Incorrect password", 401),
    "site_incorrect_hardware_id": V5Failure(
        "site_incorrect_hardware_id", "Site hardware ID does not match", 401
    ),
    "site_has_no_store": V5Failure("site_has_no_store", "Site has no store", 401),
    "site_auth_timeout": V5Failure("site_auth_timeout", "Timed out while authenticating the site", 408),
    "api_version_incompatible": V5Failure(
        "api_version_incompatible", "API version incompatible", 409, {"major": 14, "minor": 0}
    ),
    "sync_is_running": V5Failure("sync_is_running", "Sync is running", 503),
}


def sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass
class Central:
    site_name: str = "pharmacy-site"
    site_id: int = 2
    site_code: str = "PHS"
    password: str = "sync-pass"
    bound_hardware_id: str | None = None  # None: the next device to connect claims the site
    has_store: bool = True
    central_site_id: int = 1
    is_om_central: bool = False
    om_central_url: str | None = None
    initialisation_status: str = "completed"
    site_uuid: str = field(default_factory=lambda: uuid.uuid4().hex.upper())
    status_code: str = "idle"  # v5 site_status: idle, sync_is_running, integration_in_progress, ...
    remote_queue: int = 0  # records queued on central for this site (v3 NumRecords, v5 queueLength)
    max_cursor: int = 0  # central_records cursor of the newest central record
    v6_pending: int = 0  # records waiting on Open mSupply central (v6 pull)
    received: list[dict[str, Any]] = field(default_factory=list)  # pushed by the site (bounded)
    fail_next: str | None = None  # a v5 error code answered to the next authenticated call

    @property
    def password_sha256(self) -> str:
        return sha256_hex(self.password)

    def authenticate(self, name: str, password_sha256: str, hardware_id: str, version: str | None) -> None:
        """The checks of every v5 call, in central's order; binds an unbound site to `hardware_id`."""
        if self.fail_next:
            code, self.fail_next = self.fail_next, None
            raise V5_FAILURES.get(code, V5Failure(code, f"Injected error {code}", 500))
        if version is not None:
            try:
                ok = int(version) in SUPPORTED_V5_VERSIONS
            except ValueError:
                ok = False
            if not ok:
                raise V5_FAILURES["api_version_incompatible"]
        if name != self.site_name:
            raise V5_FAILURES["site_name_not_found"]
        if password_sha256.lower() != self.password_sha256:
            raise V5_FAILURES["site_incorrect_password"]
        if self.bound_hardware_id is None:
            self.bound_hardware_id = hardware_id
        elif hardware_id != self.bound_hardware_id:
            raise V5_FAILURES["site_incorrect_hardware_id"]
        if not self.has_store:
            raise V5_FAILURES["site_has_no_store"]

    def site_json(self) -> dict[str, Any]:
        return {
            "id": self.site_uuid,
            "siteId": self.site_id,
            "code": self.site_code,
            "name": self.site_name,
            "initialisationStatus": self.initialisation_status,
            "isOmSupplyCentralServer": self.is_om_central,
            "omSupplyCentralServerUrl": self.om_central_url or "",
            "mSupplyCentralSiteId": self.central_site_id,
        }

    def receive(self, records: list[dict[str, Any]]) -> None:
        self.received.extend(records)
        del self.received[:-500]
