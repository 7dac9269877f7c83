"""`synctui agent` that writes when each stage of a change happens, for `bench_change_latency.py --stages`.

    python tests/bench/traced_agent.py TRACE_FILE --config F agent

One line per event, `<time.perf_counter()> <stage>`: the inotify descriptor readable, a refresh begun,
the adapter's answer, the state published, the push encoded. On Linux `perf_counter` is CLOCK_MONOTONIC,
one clock for every process, so the benchmark lines these up with its own marks. The wrappers only
note the time; what the agent does is unchanged.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import Any

from synctui.agent import backend_service, core, watch_inotify
from synctui.agent.api import state as state_api

STAGES = {
    "inotify": "inotify readable",
    "refresh": "refresh begun",
    "adapter": "adapter answered",
    "publish": "state published",
    "push": "push encoded",
}


def trace(mark: Callable[[str], None]) -> None:
    read = watch_inotify.InotifyWatcher.read
    refresh_once = backend_service.BackendService.refresh_once
    set_snapshot = backend_service.BackendService._set
    publish = core.Agent.publish
    to_data = state_api.to_data

    def traced_read(self: Any) -> None:
        mark("inotify")
        read(self)

    async def traced_refresh(self: Any) -> None:
        mark("refresh")
        await refresh_once(self)

    def traced_set(self: Any, snap: Any) -> None:
        mark("adapter")
        set_snapshot(self, snap)

    def traced_publish(self: Any) -> None:
        mark("publish")
        publish(self)

    def traced_to_data(value: Any) -> Any:
        data = to_data(value)
        mark("push")
        return data

    watch_inotify.InotifyWatcher.read = traced_read  # type: ignore[method-assign]
    backend_service.BackendService.refresh_once = traced_refresh  # type: ignore[method-assign]
    backend_service.BackendService._set = traced_set  # type: ignore[method-assign]
    core.Agent.publish = traced_publish  # type: ignore[method-assign]
    state_api.to_data = traced_to_data  # type: ignore[assignment]


def main(argv: list[str]) -> int:
    with open(argv[0], "w", buffering=1, encoding="utf-8") as out:
        trace(lambda stage: out.write(f"{time.perf_counter():.6f} {stage}\n"))
        from synctui.cli import main as cli_main

        return cli_main(argv[1:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
