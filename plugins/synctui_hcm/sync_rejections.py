"""The rejections the sync runner itself gives rows and runs (the server's own codes are in rejections.py)."""

from __future__ import annotations

from synctui.model import Category, Rejection

NO_CLIENT_REFERENCE_ID = Rejection(
    category=Category.FIX_DATA,
    message="The row has no clientReferenceId, so the server copy can never be confirmed.",
    advice="synctui can never confirm it: discard the row (archived first) and give its OpLog row id to "
    "the field supervisor, who can say whether the record must be recorded again.",
    code="NO_CLIENT_REFERENCE_ID",
)

INVALID_ENTITY_STRING = Rejection(
    category=Category.FIX_DATA,
    message="The row's entityString is not a valid JSON object (NaN and Infinity are not JSON).",
    advice="Inspect the row; it cannot be sent as it is. Discard it once archived.",
    code="INVALID_ENTITY_STRING",
)

NO_SERVER_ID = Rejection(
    category=Category.RETRYABLE,
    message="Blocked: the record has no server id yet (its create is not confirmed).",
    advice="It goes out once the create is confirmed. If the create was discarded, discard this too.",
    code="NULL_ID",
)

VERIFYING_EARLIER_SEND = Rejection(
    category=Category.RETRYABLE,
    message="Some records were not sent: an earlier send of theirs may have reached the server "
    "and is being verified before any re-send.",
    advice="Sync again in a minute; nothing is lost and nothing is sent twice.",
    code="VERIFYING_EARLIER_SEND",
)


def no_wire(etype: str) -> Rejection:
    return Rejection(
        category=Category.FIX_DATA,
        message=f"No API path is configured for entity type {etype!r}.",
        advice="Add it under options.paths (base, list_key, search_key, response_key); the rows wait.",
        code="NO_API_PATH",
    )


_RECHECKED = {"NOT_CONFIRMED": "STILL_NOT_CONFIRMED", "UPDATE_NOT_APPLIED": "STILL_NOT_APPLIED"}
_SEARCHED_AGAIN = "The next sync searches for it once more, as the server may only be saving it late."
_WHAT_TO_DO = (
    "Compare it with the server copy, then Retry it (it is searched for before any re-send) or discard "
    "it (archived first). If it keeps failing, give its clientReferenceId to the HCM server "
    "administrator, who can see why the server refused it."
)


def not_confirmed(attempts: int) -> Rejection:
    return Rejection(
        category=Category.CONFLICT,
        message=f"Not found on the server after {attempts} confirmation searches.",
        advice=f"The server accepted the call (202) but has not saved the change. {_SEARCHED_AGAIN} "
        + _WHAT_TO_DO,
        code="NOT_CONFIRMED",
    )


def not_applied(operation: str, attempts: int, sent_version: int, server_version: int | None) -> Rejection:
    """The server has the record, but not this change (an update at an unmoved row version, a delete
    of a record not marked deleted)."""
    if operation == "delete":
        state = "it is not marked deleted"
    elif server_version is None or server_version == sent_version:
        state = f"its row version is still {sent_version}"
    else:
        state = f"its row version is {server_version}, not the {sent_version + 1} this {operation} makes"
    return Rejection(
        category=Category.CONFLICT,
        message=f"The server has this record but not this {operation}: {state} after {attempts} "
        "confirmation searches.",
        advice=f"The server accepted the call (202); its consumer may have refused the change "
        f"(MISMATCHED_ROW_VERSION...). {_SEARCHED_AGAIN} " + _WHAT_TO_DO,
        code="UPDATE_NOT_APPLIED",
    )


def rechecked(first: Rejection) -> Rejection:
    """A row that may only have been late, still missing when the next sync searched again."""
    return Rejection(
        category=first.category,
        message=f"{first.message} Still so when the next sync searched again.",
        advice=_WHAT_TO_DO,
        code=_RECHECKED.get(first.code or "", first.code),
    )


def moved_to_conflicts(count: int) -> Rejection:
    return Rejection(
        category=Category.CONFLICT,
        message=f"{count} record{'s' if count != 1 else ''} could not be confirmed on the server.",
        advice="Open Conflicts: compare them with the server copy, then Retry or discard them (archived "
        "first).",
        code="NOT_CONFIRMED",
    )


def not_confirmed_yet(count: int) -> Rejection:
    return Rejection(
        category=Category.RETRYABLE,
        message=f"{count} {'record was' if count == 1 else 'records were'} accepted by the server (202) but "
        f"{'is' if count == 1 else 'are'} not confirmed yet: it saves them later, and a search has not "
        "found them so far.",
        advice="Synchronize again in a while: they are searched for, never sent twice.",
        code="NOT_CONFIRMED_YET",
    )
