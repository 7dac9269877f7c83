"""Dead-letter `reason` texts, as the dCDR stores them: the full .NET exception text.

SendOutboundEntryInternal dead-letters with `reason = exception.ToString()`, so the HTTP status only
appears inside that text (type, message, inner exception, stack, server fault). KB005 meanings:
409 stale version, 422 business rule (negative stock), 500 invalid / FK constraint, 404 not found,
410 gone.
"""

from __future__ import annotations

import random

STATUSES = (409, 422, 500, 404, 410)
# Realistic proportions of push rejections: conflicts dominate, gone is rare.
STATUS_WEIGHTS = (45, 20, 17, 10, 8)

_REST_EX = "SanteDB.Core.Exceptions.RestClientException`1[SanteDB.Core.Model.Interfaces.IResourceCollection]"
_STACK = (
    "   at SanteDB.Core.Http.RestClientBase.InvokeInternal[TBody,TResult](String method, String url, "
    "String contentType, WebHeaderCollection requestHeaders, WebHeaderCollection& responseHeaders, "
    "TBody body, NameValueCollection query)\r\n"
    "   at SanteDB.Core.Http.RestClientBase.Invoke[TBody,TResult](String method, String url, String contentType, "
    "TBody body, NameValueCollection query)\r\n"
    "   at SanteDB.Client.Upstream.Management.DefaultUpstreamIntegrationService.{op}(IIdentifiedResource data)\r\n"
    "   at SanteDB.Client.Disconnected.Synchronization.UpstreamSynchronizationService.SendOutboundEntryInternal("
    "ISynchronizationQueueEntry entry)\r\n"
    "   at SanteDB.Client.Disconnected.Synchronization.SynchronizationMessagePump.Run(Object state)"
)
_WEB_EX = (
    " ---> System.Net.WebException: The remote server returned an error: ({code}) {text}.\r\n"
    "   at System.Net.HttpWebRequest.GetResponse()\r\n"
    "   at SanteDB.Core.Http.RestClient.InvokeInternal[TBody,TResult](String method, String url, "
    "String contentType, WebHeaderCollection additionalHeaders, WebHeaderCollection& responseHeaders, "
    "TBody body, NameValueCollection query)\r\n"
    "   --- End of inner exception stack trace ---\r\n"
)
_TEXT = {
    409: "Conflict",
    422: "Unprocessable Entity",
    500: "Internal Server Error",
    404: "Not Found",
    410: "Gone",
}


def _server_fault(status: int, type_: str, key: str, version: int) -> str:
    if status == 409:
        return (
            f"Server fault: SanteDB.Core.Exceptions.PreconditionFailedException: Object {type_}/{key} "
            f"version {version} is not the current version (current is {version + 1}); "
            "the record was updated concurrently on another device"
        )
    if status == 422:
        return (
            "Server fault: SanteDB.Core.Exceptions.DetectedIssueException: Business rule violation\r\n"
            "  [Error] STOCK_NEG: Stock balance for ManufacturedMaterial "
            "0f2d4c6b-8a9e-4b1c-a3d5-e7f9a1b3c504 at Place 8f1c2b64-1d3e-4a57-9b0f-2f6c7d8e9a10 "
            f"would become negative (-{1 + version % 5} doses)\r\n"
            "   at SanteDB.Core.Services.Impl.BusinessRulesTriggerService.Validate(IdentifiedData data)"
        )
    if status == 500:
        return (
            "Server fault: SanteDB.Core.Exceptions.DataPersistenceException: Error inserting "
            f"{type_}/{key} ---> Npgsql.PostgresException: 23503: insert or update on table "
            '"act_ptcpt_tbl" violates foreign key constraint "fk_act_ptcpt_ent_id"\r\n'
            "   at Npgsql.NpgsqlConnector.<ReadMessage>g__ReadMessageLong|0(Boolean async, DataRowLoadingMode "
            "dataRowLoadingMode, Boolean readingNotifications, Boolean isReadingPrependedMessage)\r\n"
            "   at SanteDB.OrmLite.DataContext.Insert[TModel](TModel value)"
        )
    if status == 404:
        return (
            f"Server fault: System.Collections.Generic.KeyNotFoundException: {type_}/{key} was not found "
            "on the server (update of a record the server never received)"
        )
    return (
        f"Server fault: SanteDB.Core.Exceptions.ObjectGoneException: {type_}/{key} is no longer present "
        "(obsoleted or merged on the server)"
    )


def reason_text(status: int, type_: str, key: str, operation: str, version: int = 1) -> str:
    """The full exception text for a push rejected with `status`."""
    op = {"Insert": "Insert", "Update": "Update", "Obsolete": "Obsolete"}.get(operation, "Insert")
    if status == 422:
        head = (
            "SanteDB.Core.BusinessRules.DetectedIssueException: Business rule violation: STOCK_NEG "
            f"(Unprocessable Entity (422))\r\n ---> {_REST_EX}: Unprocessable Entity (422)\r\n"
        )
    else:
        head = f"{_REST_EX}: {_TEXT[status]} ({status}) - The remote server returned an error: ({status}) "
        head += f"{_TEXT[status]}.\r\n"
    body = _WEB_EX.format(code=status, text=_TEXT[status]) + _STACK.format(op=op)
    return f"{head}{body}\r\n{_server_fault(status, type_, key, version)}"


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
        "   at SanteDB.Client.Disconnected.Synchronization.UpstreamSynchronizationService.ProcessInboundEntry("
        "ISynchronizationQueueEntry entry)"
    )


def pick_status(rng: random.Random) -> int:
    return rng.choices(STATUSES, weights=STATUS_WEIGHTS)[0]
