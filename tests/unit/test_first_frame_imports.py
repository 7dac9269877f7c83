"""The dashboard's first frame imports only what draws it (issue 15: first live frame near a bare app).

What `synctui --config F` imports before its first frame (the CLI, the agent client, the Textual app)
is imported in a fresh interpreter; dialogs, other screens, the palette's provider, the panels mounted
after the first frame, the agent and the plugins' code, and httpx (the first state comes over the
socket without it) must not be among it: they load when first used.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from synctui.cli import build_parser, names_a_verb

NOT_FOR_THE_FIRST_FRAME = (
    "synctui.tui.screens.confirm",  # dialogs
    "synctui.tui.screens.resubmit",
    "synctui.tui.screens.sync_progress",
    "synctui.tui.screens.help",
    "synctui.tui.screens.queue_browser",
    "synctui.tui.screens.queue_page",
    "synctui.tui.screens.entry_inspector",
    "synctui.tui.screens.backend_details",
    "synctui.tui.screens.bug_report",
    "synctui.tui.screens.audit",
    "synctui.tui.screens.archive",
    "synctui.tui.commands",  # the palette's provider
    "synctui.tui.widgets.sync.sync_log_table",  # mounted after the first frame (MainScreen.compose_rest)
    "synctui.tui.widgets.sync.jobs_panel",
    "synctui.tui.widgets.shared.dashboard_footer",
    "textual.widgets._data_table",
    "textual.widgets._footer",
    "synctui.pin",  # hashlib, hmac: only for a config that sets a PIN
    "synctui.config_fleet",  # [agent] device, labels and push: only for an agent in a fleet
    "synctui.agent",  # the agent (the dashboard finds it on its socket)
    "synctui_santedb",  # plugins' code
    "synctui_msupply",
    "synctui_hcm",
    "synctui.fleet",
    "synctui.cli.status",  # the other verbs
    "synctui.cli.agent",
    "synctui.cli.fleet",
    "synctui.cli.changes",
    "synctui.cli.bug_report",
    "httpx",  # the event stream on the socket is read without httpx (synctui.socket_stream)
    "httpcore",
    "anyio",
    "h11",
    "httpx._main",  # httpx's CLI and what it pulls in
    "click",
    "pygments",
    "rich.syntax",
    "babel",  # dates and numbers in languages other than English (the probe speaks English)
)

PROBE = """
import sys
from synctui.cli import build_parser
build_parser(["--config", "device.toml", "--theme", "dark"])  # what `synctui --config F` parses with
from pathlib import Path
from synctui.client import HttpAgentClient
from synctui.tui.app import SyncTuiApp
HttpAgentClient(socket=Path("agent.sock"))  # the dashboard's client on the agent's socket
print("\\n".join(name for name in sys.modules if sys.modules[name] is not None))
"""


def test_first_frame_imports_only_what_draws_it() -> None:
    result = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=60, check=True
    )
    loaded = set(result.stdout.split())
    assert "synctui.tui.screens.main" in loaded  # the probe did import the dashboard
    found = sorted(
        name
        for name in loaded
        for heavy in NOT_FOR_THE_FIRST_FRAME
        if name == heavy or name.startswith(heavy + ".")
    )
    assert not found, f"imported before the first frame: {found}"


@pytest.mark.parametrize(
    ("argv", "command"),
    [
        ([], None),
        (["--config", "status", "--theme", "dark", "--readonly"], None),  # option values are not verbs
        (["--config=f.toml", "-v", "--plain"], None),
        (["status"], "status"),
        (["--config", "f.toml", "sync", "tablet"], "sync"),
    ],
)
def test_a_verb_is_parsed_and_no_verb_is_the_dashboard(argv: list[str], command: str | None) -> None:
    assert names_a_verb(argv) is (command is not None)
    args = build_parser(argv).parse_args(argv)
    assert args.command == command
    assert args.func.__module__ == f"synctui.cli.{command or 'dashboard'}"


def test_help_and_unknown_words_get_every_verb() -> None:
    assert names_a_verb(["--help"]) and names_a_verb(["-h", "--config", "f"])
    assert names_a_verb(["bogus"])  # so the error lists the verbs there are
