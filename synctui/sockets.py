"""Is an agent listening on a Unix socket? Kept apart so the dashboard can ask without importing
the agent's server stack (uvicorn, starlette)."""

from __future__ import annotations

import socket
from pathlib import Path


def agent_listening(path: Path) -> bool:
    probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    probe.settimeout(0.5)
    try:
        probe.connect(str(path))
    except (OSError, ValueError):  # nothing there, not a socket, a path too long or holding a NUL
        return False
    finally:
        probe.close()
    return True
