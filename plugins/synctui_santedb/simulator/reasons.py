"""Dead-letter `reason` texts, as the dCDR stores them: the full .NET exception text.

The message pump dead-letters with `reason = exception.ToString()` (santedb-dc-core
`Synchronization/Extensions.cs` RunDefault). The exception is the UpstreamIntegrationException that
DefaultUpstreamIntegrationService wraps around the RestClientException<object> of the failed call, so
the text is one .NET chain: the outer message, ` ---> ` and the inner exception on the same line, then
the stack-trace lines. RestClientException.ToString() (santedb-api `Http/RestClientException.cs`)
writes the server's RestServiceFault, serialised as JSON, between `--SERVER FAULT--` and
`--END SERVER FAULT--`: its `$type`, `message`, `cause` (the server's inner exception) and `rules`
(the business-rule issues). KB005 meanings: 409 stale version, 422 business rule (negative stock),
500 invalid / FK constraint, 404 not found, 410 gone.
"""

from __future__ import annotations

import json
import random
from typing import Any

STATUSES = (409, 422, 500, 404, 410)
# Realistic proportions of push rejections: conflicts dominate, gone is rare.
STATUS_WEIGHTS = (45, 20, 17, 10, 8)

_TEXT = {
    409: ("Conflict", "Conflict"),
    422: ("Unprocessable Entity", "UnprocessableEntity"),
    500: ("Internal Server Error", "InternalServerError"),
    404: ("Not Found", "NotFound"),
    410: ("Gone", "Gone"),
}
_OPERATIONS = {"Insert": "Insert", "Update": "Update", "Obsolete": "Obsolete"}
_INNER_STACK = (
    "   at SanteDB.Core.Http.RestClient.InvokeInternal[TBody,TResult](String method, String url, "
    "String contentType, WebHeaderCollection additionalHeaders, WebHeaderCollection& responseHeaders, "
    "TBody body, NameValueCollection query)\r\n"
    "   at SanteDB.Core.Http.RestClientBase.Invoke[TBody,TResult](String method, String url, String contentType, "
    "TBody body, NameValueCollection query)\r\n"
    "   at SanteDB.Client.Upstream.Management.DefaultUpstreamIntegrationService.{op}(IdentifiedData data)"
)
_OUTER_STACK = (
    "   --- End of inner exception stack trace ---\r\n"
    "   at SanteDB.Client.Upstream.Management.DefaultUpstreamIntegrationService.{op}(IdentifiedData data)\r\n"
    "   at SanteDB.Client.Disconnected.Synchronization.UpstreamSynchronizationService.SendOutboundEntryInternal("
    "ISynchronizationQueueEntry entry, Boolean automatedRetry)\r\n"
    "   at SanteDB.Client.Disconnected.Synchronization.SynchronizationMessagePump.Run(ISynchronizationQueue queue, "
    "Func`2 callback, Func`3 error, Func`1 before, Action after)"
)


def _fault(status: int, type_: str, key: str, version: int) -> dict[str, Any]:
    """The RestServiceFault the iCDR answered with (HttpErrorUtility maps its type to the status)."""
    if status == 409:
        return {
            "$type": "PreconditionFailedException",
            "message": f"Object {type_}/{key} version {version} is not the current version "
            f"(the server has version {version + 1})",
        }
    if status == 422:
        doses = 1 + version % 5
        return {
            "$type": "DetectedIssueException",
            "message": "Business Rules Violation - [Error: Stock balance for ManufacturedMaterial "
            "0f2d4c6b-8a9e-4b1c-a3d5-e7f9a1b3c504 at Place 8f1c2b64-1d3e-4a57-9b0f-2f6c7d8e9a10 "
            f"would become negative (-{doses} doses)]",
            "rules": [
                {
                    "id": "STOCK_NEG",
                    "priority": "Error",
                    "text": "Stock balance for ManufacturedMaterial 0f2d4c6b-8a9e-4b1c-a3d5-e7f9a1b3c504 at "
                    f"Place 8f1c2b64-1d3e-4a57-9b0f-2f6c7d8e9a10 would become negative (-{doses} doses)",
                }
            ],
        }
    if status == 500:
        return {
            "$type": "DataPersistenceException",
            "message": f"Error inserting {type_}/{key}",
            "cause": {
                "$type": "PostgresException",
                "message": '23503: insert or update on table "act_ptcpt_tbl" violates foreign key constraint '
                '"fk_act_ptcpt_ent_id"',
            },
        }
    if status == 404:
        return {"$type": "KeyNotFoundException", "message": f"{type_}/{key} not found"}
    return {
        "$type": "ObjectGoneException",
        "message": f"{type_}/{key} is no longer present (obsoleted or merged on the server)",
    }


def reason_text(status: int, type_: str, key: str, operation: str, version: int = 1) -> str:
    """The full exception text for a push rejected with `status`."""
    op = _OPERATIONS.get(operation, "Insert")
    words, name = _TEXT[status]
    fault = json.dumps(_fault(status, type_, key, version), separators=(",", ":"))
    return (
        f"SanteDB.Client.Exceptions.UpstreamIntegrationException: Error sending {type_} (K:{key}) to the "
        f"upstream server ---> [RestClientException: The remote server returned an error: ({status}) {words}., "
        f"Status=ProtocolError, HttpResult={name}]\r\n"
        f"--SERVER FAULT--\r\n{fault}\r\n--END SERVER FAULT--\r\n"
        f"-- STACK TRACE--\r\n{_INNER_STACK.format(op=op)}\r\n{_OUTER_STACK.format(op=op)}"
    )


def apply_failure_text(type_: str, key: str) -> str:
    """An inbound (pulled) bundle that failed to apply locally: dead-lettered with originalQueue=in."""
    return (
        "SanteDB.Core.Exceptions.DataPersistenceException: Error applying inbound Bundle "
        f"---> System.Data.SQLite.SQLiteException: constraint failed\r\nFOREIGN KEY constraint failed "
        f"({type_}/{key})\r\n"
        "   at System.Data.SQLite.SQLite3.Reset(SQLiteStatement stmt)\r\n"
        "   at SanteDB.OrmLite.DataContext.Insert[TModel](TModel value)\r\n"
        "   at SanteDB.Persistence.Data.Services.BundlePersistenceService.DoInsertModel(DataContext context, "
        "Bundle data)\r\n"
        "   --- End of inner exception stack trace ---\r\n"
        "   at SanteDB.Client.Disconnected.Synchronization.UpstreamSynchronizationService.ProcessInboundEntry("
        "ISynchronizationQueueEntry entry)"
    )


def pick_status(rng: random.Random) -> int:
    return rng.choices(STATUSES, weights=STATUS_WEIGHTS)[0]
