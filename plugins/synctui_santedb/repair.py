"""The sync centre's repair actions: retry, discard, reset the sync log, Count Remotes, compare with server."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from synctui.backend import BackendError
from synctui.model import (
    ActionResult,
    Category,
    Comparison,
    EntryResult,
    QueueEntry,
    QueueKind,
    Rejection,
    SyncLogRow,
)

from . import reading
from .dcdr_client import DcdrClient
from .reading import GUID
from .wire import parse_total

TYPE_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,99}$")


async def retry(client: DcdrClient, ids: Sequence[str] | None) -> ActionResult:
    client.forget_cache()
    profile = client.profile
    if ids is None and profile.retry_all is None:
        ids = await _dead_ids(client)  # OpenIZ: requeue each dead entry, as its sync centre does
        if not ids:
            return ActionResult(ok=True, message="No conflicted entries to queue again")
    if ids is None:
        assert profile.retry_all is not None
        before = await _conflicts(client)
        body = {"parameter": [{"name": "all", "value": True}]} if profile.retry_parameters else None
        await client.request(profile.retry_all.method, profile.retry_all.path, json_body=body)
        return await _requeued_all(client, before)
    results = []
    for id in ids:
        try:
            number = reading.entry_id(client, id)
            body = {"parameter": [{"name": "id", "value": int(number)}]} if profile.retry_parameters else None
            path = profile.retry_one.path.format(id=number)
            await client.request(profile.retry_one.method, path, json_body=body)
            results.append(EntryResult(id=id, ok=True, message="queued again"))
        except BackendError as exc:
            results.append(_failed(id, exc))
    return _summary(results, "queued again")


async def _conflicts(client: DcdrClient) -> int | None:
    """The Conflicts count now (None when it cannot be read: the result then says so)."""
    client.forget_cache()
    try:
        return (await reading.counts(client))[QueueKind.CONFLICTS]
    except (BackendError, KeyError):
        return None


async def _requeued_all(client: DcdrClient, before: int | None) -> ActionResult:
    """What the dCDR's "retry all" did, counted from the Conflicts queue before and after it."""
    after = await _conflicts(client)
    if before is None or after is None:
        return ActionResult(
            ok=True,
            message="The dCDR accepted Re-Queue Conflicted; how many entries it queued again could not be "
            "read (refresh to see the Conflicts count)",
        )
    requeued = max(before - after, 0)
    still = f"; {after:,} still in Conflicts" if after else ""
    return ActionResult(
        ok=True,
        message=f"{requeued:,} of {before:,} conflicted {'entry' if before == 1 else 'entries'} queued again"
        + still,
        counts={"requeued": requeued, "still_rejected": after},
    )


async def _dead_ids(client: DcdrClient, pages: int = 10, size: int = 100) -> list[str]:
    ids: list[str] = []
    for number in range(pages):
        found = await reading.page(client, QueueKind.CONFLICTS, number * size, size)
        ids.extend(entry.id for entry in found.entries)
        if len(found.entries) < size:
            break
    return ids


async def discard(client: DcdrClient, queue: QueueKind, ids: Sequence[str]) -> ActionResult:
    """ "Leave Server Version" / "Ignore": deletes queue entries (the local change is dropped)."""
    client.forget_cache()
    results = []
    for id in ids:
        try:
            call = client.profile.delete
            path = call.path.format(q=client.profile.queue_names[queue], id=reading.entry_id(client, id))
            await client.request(call.method, path)
            results.append(EntryResult(id=id, ok=True, message="discarded"))
        except BackendError as exc:
            results.append(_failed(id, exc))
    return _summary(results, "discarded")


async def reset(client: DcdrClient, keys: Sequence[str] | None) -> ActionResult:
    client.forget_cache()
    reset_all, reset_one = client.profile.reset_all, client.profile.reset_one
    assert reset_all is not None and reset_one is not None  # the adapter checks the capability
    if keys is None:
        await client.request(reset_all.method, reset_all.path)
        return ActionResult(ok=True, message="The synchronization log was reset; no data was deleted")
    by_type = "{type}" in reset_one.path  # 2.x resets a resource type, not one row
    rows = await reading.sync_log(client, fresh=True) if by_type else []
    types = {log.row.key.lower(): log.row.record_type for log in rows}
    results = []
    for key in keys:
        try:
            if not isinstance(key, str) or not GUID.match(key):
                raise client.config(f"{key!r} is not a sync-log key (a GUID)")
            if by_type:
                record_type = types.get(key.lower())
                if record_type is None or not TYPE_NAME.match(record_type):
                    raise client.config(f"{key} is not a row of the sync log")
                path = reset_one.path.format(type=record_type)
            else:
                path = reset_one.path.format(key=key)
            await client.request(reset_one.method, path)
            results.append(EntryResult(id=key, ok=True, message="reset"))
        except BackendError as exc:
            results.append(_failed(key, exc))
    return _summary(results, "reset")


async def count_remotes(client: DcdrClient) -> list[SyncLogRow]:
    """Local and upstream totals for each sync-log row, as the sync centre's Count Remotes."""
    rows = await reading.sync_log(client, fresh=True)
    counted: list[SyncLogRow] = []
    upstream_errors: list[BackendError] = []
    for log in rows:
        row = log.row
        # The log's Filter is a URL-encoded query string; the sync centre decodes it and sends it as is.
        if row.filter.startswith("$") or not TYPE_NAME.match(row.record_type):
            counted.append(row)
            continue
        local = await _total(client, row.record_type, row.filter, upstream=False)
        try:
            remote = await _total(client, row.record_type, row.filter, upstream=True)
        except BackendError as exc:
            upstream_errors.append(exc)
            remote = None
        counted.append(replace(row, local_count=local, remote_count=remote))
    if upstream_errors and len(upstream_errors) == len([r for r in counted if r.local_count is not None]):
        first = upstream_errors[0].rejection
        raise BackendError(
            Rejection(
                category=first.category,
                message=f"Could not count records on the server: {first.message}",
                advice="The dCDR relays this to the central server; check that it is online.",
                status=first.status,
            )
        )
    return counted


async def _total(client: DcdrClient, record_type: str, filter: str, *, upstream: bool) -> int | None:
    query = "&".join(p for p in (filter.lstrip("?"), "_count=0&_includeTotal=true") if p)
    headers = {"X-SanteDB-Upstream": "true"} if upstream else None
    try:
        data, where = await client.get_json(
            _hdsi(client).format(type=record_type), query=query, headers=headers
        )
    except BackendError as exc:
        if not upstream and exc.rejection.category in (Category.GONE, Category.UNKNOWN):
            return None  # not an HDSI type on this dCDR: shown as "-"
        raise
    return parse_total(data, where)


def _hdsi(client: DcdrClient) -> str:
    assert client.profile.hdsi is not None  # the adapter checks the capability
    return client.profile.hdsi


async def compare(client: DcdrClient, queue: QueueKind, id: str) -> Comparison:
    """The record the entry is about beside the server's copy of it: for a Bundle, its focal object
    (the server is asked for that object, not for the Bundle)."""
    id = reading.entry_id(client, id)
    meta = await reading.find_entry(client, queue, id)
    limit = int(client.options["payload_limit"])
    payload, _, _ = await reading.payload(client, queue, id, limit)
    record_type, key, focal, items = _focal(payload, meta)
    local = json.dumps(focal, indent=2, ensure_ascii=False) if focal is not None else payload
    if not record_type or not key or not TYPE_NAME.match(record_type) or not GUID.match(key):
        return Comparison(
            id=id,
            local=local,
            server=None,
            reason="The type or key of this record is not known, so the server copy cannot be fetched.",
        )
    path = _hdsi(client).format(type=record_type) + f"/{key}"
    try:
        response = await client.request("GET", path, headers={"X-SanteDB-Upstream": "true"})
    except BackendError as exc:
        if exc.rejection.category == Category.GONE:
            return Comparison(
                id=id,
                local=local,
                server=None,
                reason=f"The server has no {record_type} {key}: it was never received or was removed.",
            )
        return Comparison(
            id=id,
            local=local,
            server=None,
            reason=f"The server copy could not be fetched: {exc.rejection.message}",
        )
    try:
        server = json.dumps(json.loads(response.content), indent=2, ensure_ascii=False)
    except (ValueError, RecursionError):
        server = response.content[:limit].decode("utf-8", "replace")
    note = ""
    if focal is not None and items > 1:
        note = f"The queued Bundle holds {items} objects; its focal {record_type} is compared."
    return Comparison(id=id, local=local, server=server, reason=note)


def _failed(id: object, exc: BackendError) -> EntryResult:
    return EntryResult(id=str(id), ok=False, message=exc.rejection.message, rejection=exc.rejection)


def _summary(results: list[EntryResult], verb: str) -> ActionResult:
    good = sum(r.ok for r in results)
    bad = len(results) - good
    message = f"{good} {'entry' if good == 1 else 'entries'} {verb}"
    if bad:
        message += f", {bad} failed"
    return ActionResult(ok=bad == 0, message=message, results=results)


def _focal(payload: str, meta: QueueEntry) -> tuple[str | None, str | None, dict[str, Any] | None, int]:
    """The type and key of the record a queued payload is about (a Bundle's focal object, or itself),
    that object when the payload holds it whole, and how many objects a Bundle holds (0 otherwise)."""
    try:
        data = json.loads(payload)
    except (ValueError, RecursionError):
        return None, None, None, 0
    if not isinstance(data, dict):
        return None, None, None, 0
    key = meta.correlation or (data.get("id") if isinstance(data.get("id"), str) else None)
    kind = data.get("$type")
    if kind == "Bundle" and isinstance(data.get("resource"), list):
        items = data["resource"]
        focal = data.get("focal")
        wanted = {key} | (set(f for f in focal if isinstance(f, str)) if isinstance(focal, list) else set())
        for item in items:
            if isinstance(item, dict) and item.get("id") in wanted and isinstance(item.get("$type"), str):
                return item["$type"], item["id"], item, len(items)
        return None, key, None, len(items)
    if kind == "Patch":
        target = data.get("appliesTo")
        if isinstance(target, dict) and all(isinstance(target.get(k), str) for k in ("type", "id")):
            return target["type"].split(",")[0].split(".")[-1], target["id"], None, 0
        return None, key, None, 0
    return (kind if isinstance(kind, str) else meta.record_type or None), key, data, 0
