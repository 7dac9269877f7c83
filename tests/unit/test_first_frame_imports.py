"""The dashboard's first frame imports only what draws it (issue 15: first live frame near a bare app).

What `synctui --config F` imports before its first frame (the CLI, the agent client, the Textual app)
is imported in a fresh interpreter; dialogs, other screens, the palette's provider, the agent and the
plugins' code, and httpx's command-line tool must not be among it: they load when first used.
"""

from __future__ import annotations

import subprocess
import sys

NOT_FOR_THE_FIRST_FRAME = (
    "synctui.tui.screens.confirm",  # dialogs
    "synctui.tui.screens.resubmit",
    "synctui.tui.screens.sync_progress",
    "synctui.tui.screens.help",
    "synctui.tui.screens.queue_browser",
    "synctui.tui.screens.entry_inspector",
    "synctui.tui.screens.backend_details",
    "synctui.tui.screens.bug_report",
    "synctui.tui.screens.audit",
    "synctui.tui.screens.archive",
    "synctui.tui.commands",  # the palette's provider
    "synctui.agent",  # the agent (the dashboard finds it on its socket)
    "synctui_santedb",  # plugins' code
    "synctui_msupply",
    "synctui_hcm",
    "synctui.fleet",
    "httpx._main",  # httpx's CLI and what it pulls in
    "click",
    "pygments",
    "rich.syntax",
)

PROBE = """
import sys
import synctui.cli
from synctui.client import HttpAgentClient
from synctui.tui.app import SyncTuiApp
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
