"""Broken plugins beside a healthy backend, in a real agent process.

- `raiser` (kind "raises"): its snapshot raises RuntimeError.
- `hanger` (kind "hangs"): its snapshot never returns; the agent's timeout must cut it off.
- `frob` (kind "frobnicate"): the plugin that would provide it fails to import.
- `clinic` (kind "santedb"): the simulator; it must keep updating as if nothing else were wrong.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from synctui.client import HttpAgentClient
from synctui.tui.app import SyncTuiApp

from .stack import (
    PASSWORD,
    AgentProcess,
    ProcessGroup,
    Simulator,
    queue_counts,
    run_cli,
    start_agent_process,
    start_simulator,
    wait_until,
    write_config,
)

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(60)]

FAULTY = "synctui_e2e_faulty"
IMPORT_ERROR = "synctui_e2e_import_error"
RAISES_MESSAGE = "e2e: the raises backend found its database locked"  # as in plugins/synctui_e2e_faulty.py
RAISER_ERROR = f"the adapter failed: RuntimeError: {RAISES_MESSAGE}"
HANGER_ERROR = "hanger did not answer within 1 s (refresh)"
FROB_ERROR = "no plugin provides backend kind 'frobnicate'"
PLUGIN_ERROR = "ImportError: synctui_e2e_import_error needs the 'frobnicate' library"


class Isolated:
    def __init__(self, sim: Simulator, agent: AgentProcess, env: dict[str, str], base: Path) -> None:
        self.sim, self.agent, self.env, self.base = sim, agent, env, base

    def error_of(self, name: str) -> str | None:
        error = self.agent.backend(name)["health"]["error"]
        return error["message"] if error else None


@pytest.fixture
def isolated(procs: ProcessGroup, e2e_dir: Path) -> Iterator[Isolated]:
    # Only the plugins this test is about (a peer's half-written plugin must not change the result).
    procs.env["SYNCTUI_LOAD_PLUGINS"] = f"santedb,{FAULTY},{IMPORT_ERROR}"
    sim = start_simulator(procs, e2e_dir, "--no-traffic")
    static = {"refresh_interval": 0.5, "timeout": 1.0}
    config = write_config(
        e2e_dir / "config.toml",
        socket_path=e2e_dir / "run" / "agent.sock",
        state_dir=e2e_dir / "state",
        plugins=[FAULTY, IMPORT_ERROR],
        backends=[
            {"name": "raiser", "kind": "raises", **static},
            {"name": "hanger", "kind": "hangs", **static},
            {"name": "frob", "kind": "frobnicate", **static},
            sim.backend("clinic", refresh_interval=0.5, timeout=5.0),
        ],
    )
    agent = start_agent_process(procs, config, e2e_dir / "run" / "agent.sock")
    setup = Isolated(sim, agent, procs.env, e2e_dir)
    wait_until(lambda: setup.error_of("hanger"), 10, "the hanging backend to time out")
    yield setup


def clinic_follows_simulator(iso: Isolated, timeout: float = 10.0) -> None:
    def same() -> bool:
        snap = iso.agent.backend("clinic")
        return not snap["stale"] and queue_counts(snap) == iso.sim.counts()

    wait_until(same, timeout, "clinic's counts to equal the simulator's")


def test_healthy_backend_keeps_updating_beside_broken_ones(isolated: Isolated) -> None:
    clinic_follows_simulator(isolated)
    for added in (2, 1):
        before = isolated.sim.counts()["outbox"]
        for _ in range(added):
            isolated.sim.enqueue("out")
        assert isolated.sim.counts()["outbox"] == before + added
        clinic_follows_simulator(isolated)
    assert isolated.error_of("clinic") is None
    assert isolated.error_of("raiser") == RAISER_ERROR
    assert isolated.error_of("hanger") == HANGER_ERROR
    assert (isolated.error_of("frob") or "").startswith(FROB_ERROR)
    assert isolated.agent.get("/healthz").status_code == 200
    assert isolated.agent.proc.popen.poll() is None
    assert PASSWORD not in isolated.agent.proc.stderr()


def test_repeated_failures_do_not_grow_the_error(isolated: Isolated) -> None:
    """Each failed refresh reports that failure only.

    synctui/testing.py StaticBackend.snapshot does `raise value` with the same exception instance on
    every call; Python chains each new raise onto the instance's old __traceback__, so the agent's
    Rejection.raw (traceback.format_exc() in backend_service._call) and its log grow by a copy of the
    frames per failure, without bound, and every state sent to a dashboard carries it.
    """
    seen: set[str] = set()

    def three_failed_refreshes() -> bool:
        view = next(v for v in isolated.agent.state()["backends"] if v["snapshot"]["backend"] == "raiser")
        seen.add(str(view["next_refresh"]))  # each refresh sets when the next one is due
        return len(seen) >= 4

    wait_until(three_failed_refreshes, 15, "three failed refreshes", interval=0.05)
    raw = isolated.agent.backend("raiser")["health"]["error"]["raw"]
    assert raw.count(", in snapshot") == 1, raw


def test_errors_show_in_status_and_plugins(isolated: Isolated) -> None:
    clinic_follows_simulator(isolated)
    config = str(isolated.agent.config)
    result = run_cli("--config", config, "status", env=isolated.env, cwd=isolated.base)
    out = result.stdout
    assert result.returncode == 3, result.stderr  # three backends cannot be read: UNKNOWN
    assert "Traceback" not in out + result.stderr
    assert PASSWORD not in out
    assert re.search(r"^clinic \(santedb\)\s+online\b", out, re.MULTILINE), out
    for name, kind, error in (
        ("raiser", "raises", RAISER_ERROR),
        ("hanger", "hangs", HANGER_ERROR),
        ("frob", "frobnicate", FROB_ERROR),
    ):
        block = re.search(rf"^{name} \({kind}\)\s+OFFLINE\b.*\n  UNKNOWN  .*\n    - (.*)$", out, re.MULTILINE)
        assert block, f"{name} should be OFFLINE and UNKNOWN with its reason:\n{out}"
        assert error in block.group(1), block.group(1)
    assert f"Broken plugin {IMPORT_ERROR}: {PLUGIN_ERROR}" in out

    plugins = run_cli("--config", config, "plugins", env=isolated.env, cwd=isolated.base)
    assert plugins.returncode != 0
    lines = {line.split()[0]: line for line in plugins.stdout.splitlines() if line.strip()}
    assert f"BROKEN: {PLUGIN_ERROR}" in lines[IMPORT_ERROR]
    assert re.search(r"backends: raises, hangs\s+ok$", lines[FAULTY]), lines[FAULTY]
    assert lines["santedb"].endswith("ok")


def screen_text(app: SyncTuiApp) -> str:
    """What the terminal shows, as plain text, words re-joined across wrapped lines."""
    strips = app.screen._compositor.render_strips()
    return " ".join(" ".join(strip.text for strip in strips).split())


async def test_errors_show_in_the_dashboard(isolated: Isolated) -> None:
    app = SyncTuiApp(HttpAgentClient(socket=isolated.agent.socket), close_client=True)
    async with app.run_test(size=(120, 40)) as pilot:

        async def wait_text(text: str, what: str) -> None:
            deadline = time.monotonic() + 5.0
            while text not in screen_text(app):
                assert time.monotonic() < deadline, f"{what}: {text!r} not on screen:\n{screen_text(app)}"
                await pilot.pause(0.05)

        deadline = time.monotonic() + 10.0
        while app.agent_state is None or len(app.agent_state.backends) < 4:
            assert time.monotonic() < deadline, "the dashboard never got the agent's state"
            await pilot.pause(0.05)

        for name, error in (("raiser", RAISER_ERROR), ("hanger", HANGER_ERROR), ("frob", FROB_ERROR)):
            app.select_backend(name)
            await wait_text(error, f"the error of {name}")  # in the verdict banner: why it is not known
            assert "Traceback" not in screen_text(app)
        app.select_backend("clinic")
        await wait_text(f"plugin {IMPORT_ERROR} failed to load: {PLUGIN_ERROR}", "the broken plugin")
        assert "clinic offline" not in screen_text(app)
        assert PASSWORD not in screen_text(app)
