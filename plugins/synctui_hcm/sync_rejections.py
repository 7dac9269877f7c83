"""The rejections the sync runner itself gives rows and runs (the server's own codes are in errors.py)."""

from __future__ import annotations

from synctui.model import Category, Rejection

NO_CLIENT_REFERENCE_ID = Rejection(
    category=Category.FIX_DATA,
    message="The row has no clientReferenceId, so the server copy can never be confirmed.",
    advice="Inspect the entity; discard the row once it is archived, or fix it on the device.",
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


def not_confirmed(attempts: int) -> Rejection:
    return Rejection(
        category=Category.CONFLICT,
        message=f"Not found on the server after {attempts} confirmation searches.",
        advice=(
            "The server accepted the call (202) but did not save the change: its consumer may have "
            "rejected it (DUPLICATE_ENTITY, MISMATCHED_ROW_VERSION, INVALID_ENTITY...; see the server's "
            "tracer). Compare with the server, then retry (it is searched for before any re-send) or "
            "discard it."
        ),
        code="NOT_CONFIRMED",
    )


def moved_to_conflicts(count: int) -> Rejection:
    return Rejection(
        category=Category.CONFLICT,
        message=f"{count} record{'s' if count != 1 else ''} could not be confirmed on the server.",
        advice="Open Conflicts: inspect, compare with the server, then retry or discard.",
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
