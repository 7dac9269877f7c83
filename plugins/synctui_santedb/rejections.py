"""Dead-letter `reason` text (a .NET exception, often with a stack trace) → Rejection.

The dCDR stores nothing but that text when the server refuses an entry (reference §6), so the HTTP
status and the exception type are fished out of it with regular expressions and mapped onto a category
and advice after OpenIZ KB005 ("Synchronization Issues on Mobile").
"""

from __future__ import annotations

import json
import re

from synctui.model import Category, Rejection

MAX_SCAN = 20_000  # characters of the reason searched for a status; stack traces can be huge
MAX_MESSAGE = 300

DO_NOT_REENTER = "Do not re-enter the data: it is not lost, only waiting in the Conflicts queue."
CONFLICT_ADVICE = (
    f"{DO_NOT_REENTER} Compare it with the server copy, then retry it to overwrite the server "
    "or discard it to keep the server version."
)
# 2.x and OpenIZ: synctui cannot fetch the server copy there, so no advice may point at comparing.
CONFLICT_ADVICE_NO_COMPARE = (
    f"{DO_NOT_REENTER} Retry it to overwrite the server with this device's version, "
    "or discard it to keep the server version."
)

# status → (category, message, advice)
_BY_STATUS: dict[int, tuple[Category, str, str]] = {
    409: (
        Category.CONFLICT,
        "The server has a newer version: someone changed this record at the same time",
        CONFLICT_ADVICE,
    ),
    412: (
        Category.CONFLICT,
        "The server has a newer version: someone changed this record at the same time",
        CONFLICT_ADVICE,
    ),
    422: (
        Category.FIX_DATA,
        "The server refused it because a business rule was broken",
        f"{DO_NOT_REENTER} Correct what broke the rule first (negative stock is a common cause), "
        "then retry the entry.",
    ),
    500: (
        Category.SERVER,
        "The server could not process it: the data is invalid or refers to something the server lacks",
        f"{DO_NOT_REENTER} Retry once the server is updated; if the server logs foreign-key errors, "
        "the device's data may need to be re-submitted (ask your administrator).",
    ),
    404: (
        Category.GONE,
        "The server does not have the record this change applies to",
        f"{DO_NOT_REENTER} Retry after the record it depends on has reached the server, "
        "or discard the change if the record should not exist.",
    ),
    410: (
        Category.GONE,
        "The record this change applies to no longer exists on the server",
        "Discard the change to keep the server version, unless an administrator restores the record.",
    ),
    401: (
        Category.AUTH,
        "The server did not accept the device's credentials",
        "Log in again on the device (or re-register it), then retry the entry.",
    ),
    403: (
        Category.AUTH,
        "The server refused it: the user or device lacks the permission",
        "Ask an administrator to grant the permission, then retry the entry.",
    ),
    423: (
        Category.RETRYABLE,
        "The record was locked on the server",
        "Retry in a few minutes; nothing needs to change.",
    ),
    429: (
        Category.RETRYABLE,
        "The server was too busy and asked the device to slow down",
        "Retry in a few minutes; nothing needs to change.",
    ),
    502: (
        Category.RETRYABLE,
        "A gateway between the device and the server failed",
        "Retry when the connection is stable; nothing needs to change.",
    ),
    503: (
        Category.RETRYABLE,
        "The server was unavailable",
        "Retry when the server is back; nothing needs to change.",
    ),
    504: (
        Category.RETRYABLE,
        "A gateway between the device and the server timed out",
        "Retry when the connection is stable; nothing needs to change.",
    ),
}

_NAMES = {
    "conflict": 409,
    "preconditionfailed": 412,
    "unprocessableentity": 422,
    "unprocessablecontent": 422,
    "internalservererror": 500,
    "notfound": 404,
    "gone": 410,
    "unauthorized": 401,
    "forbidden": 403,
    "locked": 423,
    "toomanyrequests": 429,
    "badgateway": 502,
    "serviceunavailable": 503,
    "gatewaytimeout": 504,
}

_STATUS_PATTERNS = [
    re.compile(r"\((\d{3})\)"),  # "(409) Conflict"
    re.compile(r"\b(?:HTTP|status(?:\s*code)?|StatusCode)\s*[:=]?\s*(\d{3})\b", re.IGNORECASE),
    re.compile(
        r"\b(\d{3})\s+\(?(?:Conflict|Precondition\s*Failed|Unprocessable|Internal\s*Server\s*Error|Not\s*Found|"
        r"Gone|Unauthori[sz]ed|Forbidden|Locked|Too\s*Many\s*Requests|Bad\s*Gateway|Service\s*Unavailable|"
        r"Gateway\s*Time-?out)",
        re.IGNORECASE,
    ),
]
_STATUS_NAME = re.compile(r"\b(?:StatusCode|HttpResult)\s*[:=]\s*([A-Za-z]+)")

# "SanteDB.Core.Exceptions.DetectedIssueException: message" at the start of a line or after "--->";
# generic types come out as "RestClientException`1[SanteDB.Core.Model.Interfaces.IResourceCollection]:".
_TYPE = r"((?:[A-Za-z_][\w`]*\.)*([A-Za-z_]\w*(?:Exception|Error|Fault)))(?:`\d+(?:\[[^\n]*?\]+)?)?"
_EXCEPTION = re.compile(r"(?:^|--->\s*|\n\s*)\[?" + _TYPE + r"\s*:")
# RestClientException.ToString(): "[RestClientException: message, Status=ProtocolError, HttpResult=Conflict]",
# then the server's RestServiceFault as JSON between the two markers (santedb-api Http/RestClientException.cs).
_REST_CLIENT = re.compile(r"^\[RestClientException: (.*?), Status=\w*, HttpResult=\w*\]$")
_SERVER_FAULT = re.compile(r"--SERVER FAULT--\s*(.*?)\s*--END SERVER FAULT--", re.DOTALL)
MAX_CAUSES = 10  # nested `cause` objects followed in a server fault
MAX_PARTS = 40  # messages of a chain weighed for the one-line cause (odd texts can have thousands)
# Wrappers that only say "an HTTP call failed"; the type that names the cause is elsewhere.
_WRAPPERS = {
    "RestClientException",
    "WebException",
    "HttpRequestException",
    "AggregateException",
    "TargetInvocationException",
    "UpstreamIntegrationException",
    "Exception",
}
# Messages that say no more than the status or "something failed".
_BOILERPLATE = re.compile(
    r"^(?:.*remote server returned an error.*|[A-Za-z ]+\(\d{3}\)\.?|One or more errors occurred\.?|"
    r"Exception of type .* was thrown\.?|Request failed\.?)$",
    re.IGNORECASE,
)
_STACK_LINE = re.compile(r"^\s*(?:at |--|\s*$)")

# Exception types that say what happened when no status is in the text.
_BY_TYPE: dict[str, tuple[Category, str, str]] = {
    "TimeoutException": (
        Category.RETRYABLE,
        "The connection to the server timed out",
        "Retry when the connection is stable; nothing needs to change.",
    ),
    "WebException": (
        Category.RETRYABLE,
        "The connection to the server failed",
        "Retry when the connection is stable; nothing needs to change.",
    ),
    "HttpRequestException": (
        Category.RETRYABLE,
        "The connection to the server failed",
        "Retry when the connection is stable; nothing needs to change.",
    ),
    "SocketException": (
        Category.RETRYABLE,
        "The connection to the server failed",
        "Retry when the connection is stable; nothing needs to change.",
    ),
    "IOException": (
        Category.RETRYABLE,
        "The connection was cut while the data was being sent",
        "Retry when the connection is stable; nothing needs to change.",
    ),
    "TaskCanceledException": (
        Category.RETRYABLE,
        "The request to the server timed out",
        "Retry when the connection is stable; nothing needs to change.",
    ),
    "OperationCanceledException": (
        Category.RETRYABLE,
        "The request to the server was cancelled",
        "Retry when the connection is stable; nothing needs to change.",
    ),
    "SecurityException": _BY_STATUS[403],
    "PolicyViolationException": _BY_STATUS[403],
    "AuthenticationException": _BY_STATUS[401],
    "SecuritySessionException": _BY_STATUS[401],
    "DetectedIssueException": _BY_STATUS[422],
    "PreconditionFailedException": _BY_STATUS[409],
    "PatchException": _BY_STATUS[409],
    "PatchAssertionException": _BY_STATUS[409],
    "DuplicateNameException": _BY_STATUS[409],
    "KeyNotFoundException": _BY_STATUS[404],
    "FileNotFoundException": _BY_STATUS[404],
    "ObjectLockedException": _BY_STATUS[423],
    "LimitExceededException": _BY_STATUS[429],
}

_NETWORK_WORDS = re.compile(
    r"\b(?:timed?\s*out|timeout|connection (?:refused|reset|closed|was closed)|network is unreachable|"
    r"name resolution|no route to host|host is down|remote name could not be resolved)\b",
    re.IGNORECASE,
)


# Data pulled from the server that the device could not store (dead-lettered with originalQueue=in).
_LOCAL_CONSTRAINT = re.compile(
    r"\b(?:SQLiteException|FOREIGN KEY constraint|constraint failed)", re.IGNORECASE
)
_LOCAL_APPLY = (
    Category.RETRYABLE,
    "The device could not store data received from the server: something it refers to is missing locally",
    "Retry it after the next synchronization has received the missing records; if it keeps failing, "
    "reset the synchronization log for this type (no data is deleted).",
)


def find_status(text: str) -> int | None:
    """The HTTP status mentioned in an exception text, or None."""
    scan = text[:MAX_SCAN]
    for pattern in _STATUS_PATTERNS:
        for match in pattern.finditer(scan):
            status = int(match.group(1))
            if 400 <= status <= 599:
                return status
    match = _STATUS_NAME.search(scan)
    if match:
        return _NAMES.get(match.group(1).lower())
    return None


def find_exception_types(text: str) -> list[str]:
    """Short names of the exception types in the text, outermost first."""
    names: list[str] = []
    for match in _EXCEPTION.finditer(text[:MAX_SCAN]):
        name = match.group(2)
        if name not in names:
            names.append(name)
    return names


def server_fault(text: str) -> list[tuple[str, str]]:
    """(type, message) of the server's RestServiceFault and of each `cause` in it, outermost first;
    the business-rule issues (`rules`) are added to the message that lacks them. [] when the text has
    no readable fault."""
    match = _SERVER_FAULT.search(text[:MAX_SCAN])
    if not match:
        return []
    try:
        fault = json.loads(match.group(1))
    except (ValueError, RecursionError):
        return []
    chain: list[tuple[str, str]] = []
    while isinstance(fault, dict) and len(chain) < MAX_CAUSES:
        kind, message = fault.get("$type"), fault.get("message")
        message = " ".join(message.split()) if isinstance(message, str) else ""
        for rule in fault.get("rules") if isinstance(fault.get("rules"), list) else []:
            said = rule.get("text") if isinstance(rule, dict) else None
            if isinstance(said, str) and said.strip() and " ".join(said.split()) not in message:
                message = f"{message} - {' '.join(said.split())}" if message else " ".join(said.split())
        chain.append((kind.split(".")[-1] if isinstance(kind, str) else "", message))
        fault = fault.get("cause")
    return chain


def _cause_type(fault: list[tuple[str, str]], types: list[str]) -> str | None:
    """The exception type that names the cause: the server fault's, else the first non-wrapper."""
    for name in [kind for kind, _ in fault if kind] + types:
        if name not in _WRAPPERS:
            return name
    return types[0] if types else None


def _chain(text: str) -> list[str]:
    """The messages of the .NET chain, outermost first: each inner exception follows ` ---> `, on the
    same line or the next; stack-trace lines, type prefixes and the server fault block are left out."""
    messages = []
    for line in _SERVER_FAULT.sub("\n", text).splitlines():
        if _STACK_LINE.match(line):
            continue
        for segment in " ".join(line.split()).split("--->"):
            segment = segment.strip()
            rest = _REST_CLIENT.match(segment)
            if rest:
                segment = rest.group(1)
            match = _EXCEPTION.match(segment)
            if match:
                segment = segment[match.end() :].strip()
            if segment:
                messages.append(segment)
    return messages


def first_message_line(text: str) -> str:
    """The first meaningful line of an exception text without the type prefix, shortened."""
    messages = _chain(text[:MAX_SCAN])
    return _shorten(messages[0]) if messages else ""


def cause(text: str, fault: list[tuple[str, str]] | None = None, room: int = MAX_MESSAGE) -> str:
    """What the server said, in its own words and in one line: the chain's messages that are not HTTP
    boilerplate, outermost first, then the server fault's. When they do not fit in `room` characters
    the outermost go first: the innermost names the rule, the record and the value."""
    scan = text[:MAX_SCAN]
    if fault is None:
        fault = server_fault(scan)
    parts: list[str] = []
    for message in (_chain(scan) + [message for _, message in fault])[-MAX_PARTS:]:
        folded = message.lower().rstrip(". ")
        if not folded or _BOILERPLATE.match(message) or any(folded in p.lower() for p in parts):
            continue
        parts = [p for p in parts if p.lower().rstrip(". ") not in folded] + [message.rstrip(" .")]
    while len(parts) > 1 and len(": ".join(parts)) > room:
        parts.pop(0)
    return _shorten(": ".join(parts), room)


def _shorten(line: str, room: int = MAX_MESSAGE) -> str:
    line = " ".join(line.split())
    return line if len(line) <= room else line[: max(room - 1, 0)] + "…"


def parse_reason(raw: str | None, status: int | None = None, *, compare: bool = True) -> Rejection:
    """Explain a dead-letter reason. Always returns a Rejection; never raises on odd text. `compare`:
    the backend can show the server copy (3.x), so the advice for a conflict may say to compare."""
    text = raw if isinstance(raw, str) else ""
    if status is None:
        status = find_status(text)
    types = find_exception_types(text)
    fault = server_fault(text)
    code = _cause_type(fault, types)
    known = _BY_STATUS.get(status) if status is not None else None
    if known is None:
        for name in ([code] if code else []) + types:
            if name in _BY_TYPE:
                known = _BY_TYPE[name]
                break
    if known is None and _LOCAL_CONSTRAINT.search(text[:MAX_SCAN]):
        known = _LOCAL_APPLY
    if known is None and _NETWORK_WORDS.search(text[:MAX_SCAN]):
        known = _BY_TYPE["WebException"]
    if known is None and status is not None and 500 <= status <= 599:
        known = _BY_STATUS[500]
    if known is None:
        return Rejection(
            category=Category.UNKNOWN,
            message=cause(text, fault) or "The server refused it without saying why",
            advice=f"{DO_NOT_REENTER} Inspect the entry; if retrying does not help, report it to support "
            "with the full reason.",
            status=status,
            code=code,
            raw=text,
        )
    category, message, advice = known
    if advice == CONFLICT_ADVICE and not compare:
        advice = CONFLICT_ADVICE_NO_COMPARE
    said = cause(text, fault, MAX_MESSAGE - len(message) - 2)
    if said and said.lower() not in message.lower():
        message = f"{message}: {said}"
    return Rejection(category=category, message=message, advice=advice, status=status, code=code, raw=text)
