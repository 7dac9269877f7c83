"""Reading one field of a site's GraphQL answer: the field's own error as a rejection, or the parsed
value, or a clear error when the answer has an unexpected shape."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from synctui.backend import BackendError
from synctui.model import Category, Rejection

from .site_client import shape_error
from .wire import (
    GqlResponse,
    ParseError,
    SyncSettings,
    SyncStatus,
    parse_count,
    parse_sync_settings,
    parse_sync_status,
)

T = TypeVar("T")


@dataclass(frozen=True)
class Fetched:
    status: SyncStatus | None
    push_queue: int | None
    settings: SyncSettings | None
    settings_note: str | None  # why settings are missing


def field_error(answer: GqlResponse, name: str, what: str) -> BackendError | None:
    err = answer.error_for(name)
    if err is None:
        return None
    if err.forbidden:
        category, message, advice, code = (
            Category.AUTH,
            f"The site user may not read {what}.",
            "Give this backend's user the permission it needs on the site, or use another user.",
            "FORBIDDEN",
        )
    else:
        category, message, advice, code = (
            Category.SERVER,
            f"The site could not answer {what}: {err.message}",
            "The site's server reported an error; synctui keeps trying.",
            "GRAPHQL_ERROR",
        )
    return BackendError(
        Rejection(category, message, advice, code=code, raw=f"{err.message} {err.details}".strip())
    )


def required_field(answer: GqlResponse, name: str, what: str, parse: Callable[[Any], T], site_what: str) -> T:
    """The field `name` of the answer, parsed. Raises BackendError when the site reported an error for
    it, left it out or sent it in an unexpected shape (`what` says what the field is, for a person)."""
    if answer.data.get(name) is None:
        raise field_error(answer, name, what) or shape_error(ParseError(f"{name}: missing"), site_what)
    try:
        return parse(answer.data[name])
    except ParseError as exc:
        raise shape_error(exc, site_what) from None


def read_sync_info(
    answer: GqlResponse, initialised: bool
) -> tuple[SyncStatus | None, int | None, SyncSettings | None, str | None]:
    """(status, push queue, settings, why settings are missing) from a SYNC_INFO or pre-initialisation
    answer. Raises ParseError for a malformed answer, BackendError for a field the site refused."""
    if answer.data.get("syncStatus") is None and answer.error_for("syncStatus"):
        raise field_error(answer, "syncStatus", "its sync status")  # type: ignore[misc]
    status = parse_sync_status(answer.data.get("syncStatus"), "latestSyncStatus")
    push_queue = None
    if initialised:
        if answer.data.get("numberOfRecordsInPushQueue") is None:
            raise field_error(answer, "numberOfRecordsInPushQueue", "its push queue") or ParseError(
                "numberOfRecordsInPushQueue: missing"
            )
        push_queue = parse_count(answer.data["numberOfRecordsInPushQueue"], "numberOfRecordsInPushQueue")
    settings, note = None, None
    settings_err = answer.error_for("syncSettings")
    if answer.data.get("syncSettings") is not None:
        settings = parse_sync_settings(answer.data["syncSettings"])
    elif settings_err is not None:
        note = "hidden: the site user needs the ServerAdmin permission"
    return status, push_queue, settings, note
