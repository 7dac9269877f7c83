"""Every exit code of `synctui`, in one place.

`status` and `sync` answer the question "is everything on the server?" with the monitoring-plugins
(Nagios/Icinga) convention, the verdict's own codes (`Level.exit_code`):

    0  SAFE       every backend verified: queues empty, no conflicts, log recent, data fresh
    1  WAITING    records queued and moving (or a sync still running)
    2  ATTENTION  conflicts, a stuck queue, a log past its error threshold, a failed sync
    3  UNKNOWN    no fresh data, a backend offline, or no agent to ask

The other verbs say whether what was asked was done:

    0  done (everything asked for)       3  the agent cannot be reached
    1  failed, or some entries did       4  refused: read-only, PIN needed or wrong, locked out
    2  usage error, or not confirmed     130  interrupted (Ctrl-C)
"""

from __future__ import annotations

SAFE = 0
WAITING = 1
ATTENTION = 2
UNKNOWN = 3

OK = 0
FAILED = 1
USAGE = 2
UNREACHABLE = 3
REFUSED = 4
INTERRUPTED = 130

REFUSAL_STATUSES = frozenset({401, 403, 429})  # PIN needed, read-only or wrong PIN, locked out


def of_refusal(status: int) -> int:
    """The exit code for an agent's HTTP refusal of a request."""
    return REFUSED if status in REFUSAL_STATUSES else FAILED
