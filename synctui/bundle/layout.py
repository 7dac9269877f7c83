"""Where each thing sits inside a bundle (one place, read by the writer and by the reader)."""

from __future__ import annotations

import re

from synctui.model import QueueKind

MANIFEST = "manifest.json"
STATE = "state.json"
AUDIT = "audit.json"
PLUGINS_JSON = "plugins.json"
PLUGINS_TEXT = "plugins.txt"
VERSIONS = "versions.json"
CONFIG = "config.json"
LOGS = "logs/"
FORMAT = 1  # the manifest's `format`: a reader refuses a bundle of a format it does not know


def file_name(name: str) -> str:
    """A backend name made safe as one path segment."""
    return re.sub(r"[^A-Za-z0-9_.-]", "_", name)[:64] or "_"


def queue_page(backend: str, kind: QueueKind) -> str:
    return f"queues/{file_name(backend)}/{kind.value}.json"


def rejections(backend: str) -> str:
    return f"rejections/{file_name(backend)}.json"


def payloads(backend: str) -> str:
    return f"payloads/{file_name(backend)}.json"


def dashboard_screen(backend: str, size: tuple[int, int]) -> str:
    return f"screens/{file_name(backend)}-dashboard-{size[0]}x{size[1]}.svg"


def queue_screen(backend: str, kind: QueueKind, size: tuple[int, int]) -> str:
    return f"queues/screens/{file_name(backend)}-{kind.value}-{size[0]}x{size[1]}.svg"
