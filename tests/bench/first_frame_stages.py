"""Where the dashboard's time to first live frame goes, stage by stage (a helper of bench_first_frame.py).

Runs what `synctui --config F` runs for the dashboard (the cyclic collector paused -> cli -> config ->
agent probe -> client, which sends the state request at once -> app, which reads the answer before its
first frame and resumes the collector after it),
headless at 120x40, and stamps each stage from the top of this script; exits at the first frame that
holds the agent's Outbox count. Frames are taken where Textual hands them to its display
(`App._display`, wrapped on the instance). The interpreter's own start-up comes before the first stamp.

    python tests/bench/first_frame_stages.py --config F [--profile out.prof]
"""

from __future__ import annotations

import time

T0 = time.perf_counter()

import argparse  # noqa: E402
import cProfile  # noqa: E402
import gc  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

STAMPS: list[tuple[str, float]] = []


def stamp(what: str) -> None:
    STAMPS.append((what, time.perf_counter() - T0))


def run(config_path: Path) -> None:
    gc.disable()  # as the `synctui` command does (synctui.__main__); the app resumes it after its first frame
    import synctui.cli as cli
    from synctui.cli.dashboard import agent_running

    stamp("import synctui.cli")
    config = cli.load_config(config_path, required=True)
    stamp("load config")
    assert agent_running(config.agent.socket), "no agent on the config's socket"
    stamp("probe the agent socket")
    from synctui.client import HttpAgentClient

    stamp("import synctui.client")
    client = HttpAgentClient(socket=config.agent.socket)
    client.ask_state_now()
    stamp("construct HttpAgentClient, send the state request")
    from synctui.tui.app import SyncTuiApp

    stamp("import synctui.tui.app (textual, screens, widgets)")
    frames = {"n": 0}

    async def first_state():
        state = await client.early_state()
        stamp("state asked for at start-up read and decoded")
        return state

    app = SyncTuiApp(client, theme=config.theme, keymap=config.keymap, first_state=first_state)
    stamp("construct the app (themes, keymap)")
    original = app._display
    apply_state = app.apply_state

    def applied(state) -> None:
        if "state" not in frames:
            frames["state"] = 1
            stamp("first state from the agent's stream received (SSE, decoded)")
        apply_state(state)

    app.apply_state = applied  # type: ignore[method-assign]

    def display(screen, renderable) -> None:
        original(screen, renderable)
        if renderable is None:
            return
        frames["n"] += 1
        if frames["n"] == 1:
            stamp("first frame (no data yet)")
        view = app.selected_view()
        if view is not None and not view.snapshot.stale and "data" not in frames:
            frames["data"] = 1
            stamp("first frame with live data")
            app.exit()

    app._display = display  # type: ignore[method-assign]
    app.run(headless=True, size=(120, 40))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", type=Path, required=True)
    parser.add_argument("--profile", type=Path, help="also write a cProfile of the whole run here")
    args = parser.parse_args()
    if args.profile:
        cProfile.runctx("run(args.config)", globals(), {"args": args}, str(args.profile))
    else:
        run(args.config)
    previous = 0.0
    for what, at in STAMPS:
        print(f"{at * 1000:7.1f} ms  (+{(at - previous) * 1000:6.1f})  {what}")
        previous = at
    return 0


if __name__ == "__main__":
    sys.exit(main())
