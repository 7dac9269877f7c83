"""A simulated SanteDB dCDR (the sync centre of a field tablet) for tests and `synctui demo`.

One queue state machine, served through the API of one of three generations (`profile`):
"santedb3" (default, below), "santedb2" (§7: /auth/oauth2_token, /app/Queue with 2.x names and plain
lists, /app/Sync) or "openiz" (§8: /__auth/authenticate, /__app/queue with Size/CollectionItem/Offset and
base64 `data`/`tag`, PUT /__app/data/sync re-submit); see legacy_api.py for their endpoints. 2.x and
OpenIZ errors are ErrorResult JSON {type, error, error_description, caused_by}.

3.x wire API (reference `santedb-openiz-api.md` §1–§6), all under one ASGI app:
    POST /auth/oauth2_token                 form grant_type=password, username, password, client_id, scope
    GET  /app/State[?_full=true]            {online, hdsi, ami[, client_id]}
    GET  /app/Queue[?type=<pattern>]        {in, out, admin, deadletter}
    GET  /app/Queue/{q}?_offset&_count&_includeTotal   AmiCollection {resource, offset, size(=total)[, totalResults]}
    GET  /app/Queue/{q}/{id}                payload ($type JSON, or XML)
    POST /app/Queue/deadletter/$retry       ParameterCollection id=<int> | all=true (neither: 400)
    DELETE /app/Queue/{q}/{id}
    GET  /app/Sync                          [{Key, ResourceType, Filter, LastSync, LastETag, LastError}]
    POST /app/Sync/$reset, /app/Sync/{Key}/$reset
    GET  /ami/JobInfo, /ami/JobInfo/{id};  POST /ami/JobInfo/{id}/$start, /$cancel
    GET  /hdsi/{Type}?_count=0&_includeTotal=true   Bundle {totalResults}; X-SanteDB-Upstream / _upstream=true
    GET  /hdsi/{Type}/{id}                  local copy, or the iCDR copy with the upstream flag
Everything under /app, /ami, /hdsi needs `Authorization: Bearer <token>` (scheme case-insensitive).
Errors are RestServiceFault JSON: {"$type": <exception type>, "message", "detail"}.

Test controls (not SanteDB, never faulted, no auth):
    GET  /__sim/state                       full dump (same shape as the state file, plus faults)
    POST /__sim/faults   {"rate":0.3, "kinds":[...], "timeoutDelay":0.2}
    POST /__sim/online   {"online": false}  upstream unreachable: pushes stay queued, sync job Aborted
    POST /__sim/enqueue  {"queue":"out", "resourceType":"Patient", "operation":"Insert", "fate":409|null}
    POST /__sim/tick     {"steps":1, "sync":false}  advance traffic; sync=true also runs the upstream job

Python API:
    SimulatorState(seed=0, username="demo", password="demo", client_id="clinic-tablet-01",
                   populate=True, step_delay=0.05, clock=None, profile="santedb3")
        .enqueue(queue, resource_type, operation, payload, correlation_key=None, fate=None) -> Entry
        .queue_entries(queue) -> list[Entry];  .counts() -> dict;  .get_entry(queue, id) -> Entry
        .dead_letter(id, reason) -> Entry;  .retry(id) -> Entry;  .retry_all() -> list[Entry]
        .delete(queue, id) -> Entry;  .payload(entry);  .push(entry) -> int | None
        .pull();  .apply_inbound(entry, fail=False);  .mark_pulled(error=None);  .server_change(type)
        .reset_log(key=None);  .log_rows();  .job(id);  .jobs;  .online;  .dump() -> dict
        .runner: JobRunner  (.start(job_id, params) -> bool, await .wait(job_id=None), await .stop())
        .listeners: callables run synchronously after every change
    create_app(state, faults=None, traffic=None, profile=None) -> ASGI app  (profile: the state's)
    Faults(rate=0.0, kinds=None, seed=0, timeout_delay=30.0, real_socket=False)   kinds: FAULT_KINDS
    Traffic(state, seed=0, speed=1.0, sync_every=8, reject_rate=0.06, max_out=40, max_deadletter=8)
        .start(), await .stop(), .step()
    StateFileWriter(path, atomic=False).attach(state)
Command line: `python -m synctui_santedb.simulator --help`.
"""

from .app import create_app
from .faults import FAULT_KINDS, Faults, SimulatedConnectionReset, SimulatedTimeout
from .jobs import CDSS_JOB_ID, CONFIG_JOB_ID, SECURITY_JOB_ID, UPSTREAM_JOB_ID, Job, JobRunner
from .state import PROFILES, QUEUES, Entry, LogRow, SimulatorError, SimulatorState
from .statefile import StateFileWriter
from .traffic import Traffic

__all__ = [
    "CDSS_JOB_ID",
    "CONFIG_JOB_ID",
    "FAULT_KINDS",
    "PROFILES",
    "QUEUES",
    "SECURITY_JOB_ID",
    "UPSTREAM_JOB_ID",
    "Entry",
    "Faults",
    "Job",
    "JobRunner",
    "LogRow",
    "SimulatedConnectionReset",
    "SimulatedTimeout",
    "SimulatorError",
    "SimulatorState",
    "StateFileWriter",
    "Traffic",
    "create_app",
]
