"""What a bundle says about the device besides the agent's data: versions, log tails, the plugins, the
configuration with every secret removed, and the list of secrets that must never leave it."""

from __future__ import annotations

import os
import platform
import re
import sys
from importlib import metadata
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from synctui import __version__
from synctui.backend import Secret
from synctui.bundle.clean import REMOVED
from synctui.config import Config
from synctui.model import PluginInfo

LOG_FILES = ("synctui.log", "agent.log")  # in the state folder: the dashboard's (and an embedded agent's)
LOG_TAIL = 256 * 1024  # bytes from the end of each log
SECRET_KEY = re.compile(r"(?i)pass|secret|token|pin|key|credential|auth")


def versions(plugins: list[PluginInfo]) -> dict[str, Any]:
    return {
        "synctui": __version__,
        "python": sys.version.split()[0],
        "textual": _version("textual"),
        "pyrage": _version("pyrage"),
        "os": platform.platform(),
        "plugins": {
            info.name: _version(info.source)
            if info.source not in ("built-in", "config", "?")
            else info.source
            for info in plugins
        },
    }


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "not installed"


def plugins_text(plugins: list[PluginInfo]) -> str:
    """The lines of `synctui plugins`."""
    lines = []
    for info in plugins:
        kinds = ", ".join(info.kinds) or "-"
        status = f"BROKEN: {info.error}" if info.error else "ok"
        lines.append(f"{info.name:<20} {info.source:<16} backends: {kinds:<20} {status}")
    return "\n".join(lines or ["no plugins found"]) + "\n"


def log_tails(state_dir: Path) -> dict[str, str]:
    """{file name: its last LOG_TAIL bytes, from a line start} of the logs found in the state folder."""
    tails: dict[str, str] = {}
    for name in LOG_FILES:
        try:
            with open(state_dir / name, "rb") as log:
                size = log.seek(0, os.SEEK_END)
                log.seek(max(0, size - LOG_TAIL))
                data = log.read()
        except OSError:
            continue
        if size > LOG_TAIL:
            data = data.partition(b"\n")[2]
        tails[name] = data.decode("utf-8", "replace")
    return tails


def config_data(config: Config) -> dict[str, Any]:
    """The configuration as support needs it: every secret replaced by "[removed]" (or null when none
    was set), the admin PIN only as whether it is set."""
    agent = config.agent
    return {
        "file": str(config.path) if config.path else None,
        "agent": {
            "socket": str(agent.socket),
            "state_dir": str(agent.state_dir),
            "tcp": agent.tcp,
            "token": _removed(agent.token),
            "readonly": agent.readonly,
            "readonly_allows_sync": agent.readonly_allows_sync,
            "flush_interval": agent.flush_interval,
            "watch_debounce_ms": agent.watch_debounce_ms,
            "watch_step_ms": agent.watch_step_ms,
            "plugins": list(agent.plugins),
            "admin_pin": "set" if agent.admin_pin_hash else "not set",
        },
        "backends": [
            {
                "name": backend.name,
                "kind": backend.kind,
                "url": backend.url,
                "username": backend.username,
                "password": _removed(backend.secret),
                "refresh_interval": backend.refresh_interval,
                "timeout": backend.timeout,
                "warning_after": backend.thresholds.warning.total_seconds(),
                "error_after": backend.thresholds.error.total_seconds(),
                "options": {
                    key: REMOVED if SECRET_KEY.search(key) or isinstance(value, Secret) else _plain(value)
                    for key, value in backend.options.items()
                },
            }
            for backend in config.backends
        ],
        "keymap": dict(config.keymap),
        "theme": config.theme,
    }


def _plain(value: Any) -> Any:
    """An option as the config wrote it: the agent keeps checked paths as Path."""
    return str(value) if isinstance(value, Path) else value


def _removed(secret: Secret | None) -> str | None:
    return REMOVED if secret else None


def secrets(config: Config) -> list[str]:
    """Every secret value this device knows: none of them may appear anywhere in a bundle."""
    found = [config.agent.token, *(b.secret for b in config.backends)]
    if config.agent.remote is not None:
        found.append(config.agent.remote.token)
    values = [s.reveal() for s in found if s]
    for backend in config.backends:
        values += [str(v) for k, v in backend.options.items() if SECRET_KEY.search(k) and isinstance(v, str)]
        values += [v.reveal() for v in backend.options.values() if isinstance(v, Secret) and v]
    pin = os.environ.get("SYNCTUI_PIN")
    return [*values, *([pin] if pin else [])]


def names(config: Config) -> tuple[list[str], list[str]]:
    """(host names, user names) this device knows, for pseudonyms."""
    hosts = [platform.node()]
    users = [b.username for b in config.backends if b.username]
    for backend in config.backends:
        try:
            hosts.append(urlsplit(backend.url).hostname or "")
        except ValueError:
            continue
    try:
        users.append(os.getlogin())
    except OSError:
        users.append(os.environ.get("USER", ""))
    return [h for h in hosts if h], [u for u in users if u]
