"""TOML configuration: the agent, its backends, and where secrets come from.

Secrets are never written in the config in the clear unless the file is private (mode 0600 or
stricter); otherwise they come from a file (`password_file`, also required to be private) or an
environment variable (`password_env`).
"""

from __future__ import annotations

import os
import re
import stat
import tomllib
import warnings
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import platformdirs

from synctui.backend import BackendSettings, Secret
from synctui.model import Thresholds
from synctui.pin import valid_pin_hash

APP = "synctui"
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


class ConfigError(Exception):
    """The configuration cannot be used; the message says what to fix."""


@dataclass
class AgentSettings:
    socket: Path
    state_dir: Path
    tcp: str | None = None  # "127.0.0.1:8765": also serve TCP, only with a token
    token: Secret | None = None
    readonly: bool = False
    readonly_allows_sync: bool = False  # a read-only agent still runs Synchronize Now
    flush_interval: float = 15.0  # seconds between store writes (batched: TinyDB rewrites the file)
    watch_debounce_ms: int = 200
    watch_step_ms: int = 30
    plugins: list[str] = field(default_factory=list)  # extra plugin modules to load
    admin_pin_hash: str | None = None  # from `synctui set-pin`; destructive actions then need the PIN


@dataclass
class Config:
    agent: AgentSettings
    backends: list[BackendSettings] = field(default_factory=list)
    keymap: dict[str, str] = field(default_factory=dict)
    theme: str | None = None
    path: Path | None = None  # where it was read from, None for defaults


def default_config_path() -> Path:
    env = os.environ.get("SYNCTUI_CONFIG")
    if env:
        return Path(env).expanduser()
    return Path(platformdirs.user_config_dir(APP)) / "config.toml"


def default_socket() -> Path:
    with warnings.catch_warnings():  # no XDG_RUNTIME_DIR: platformdirs falls back to /tmp, and says so
        warnings.simplefilter("ignore")
        return Path(platformdirs.user_runtime_dir(APP)) / "agent.sock"


def default_state_dir() -> Path:
    return Path(platformdirs.user_state_dir(APP))


def load_config(path: Path | None = None, *, required: bool = False) -> Config:
    """Read the config file; a missing file gives defaults (no backends) unless `required`."""
    path = path or default_config_path()
    if not path.exists():
        if required:
            raise ConfigError(f"config file not found: {path}")
        return Config(agent=AgentSettings(socket=default_socket(), state_dir=default_state_dir()))
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}") from None
    return parse_config(raw, path)


def parse_config(raw: dict[str, Any], path: Path | None = None) -> Config:
    where = str(path) if path else "config"
    _check_keys(raw, {"agent", "backends", "keymap", "theme"}, where)
    private = path is None or _is_private(path)
    agent = _parse_agent(_table(raw, "agent", where), where, private, path)
    backends_raw = raw.get("backends", [])
    if not isinstance(backends_raw, list):
        raise ConfigError(f"{where}: [[backends]] must be an array of tables")
    backends = [
        _parse_backend(item, f"{where}: backends[{i}]", private, path) for i, item in enumerate(backends_raw)
    ]
    names = [b.name for b in backends]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise ConfigError(f"{where}: backend names must be unique: {', '.join(dupes)}")
    keymap = _table(raw, "keymap", where)
    for key, value in keymap.items():
        if not isinstance(value, str):
            raise ConfigError(f'{where}: keymap.{key} must be a string of keys, e.g. "s,f5"')
    theme = raw.get("theme")
    if theme is not None and not isinstance(theme, str):
        raise ConfigError(f"{where}: theme must be a string")
    return Config(agent=agent, backends=backends, keymap=dict(keymap), theme=theme, path=path)


def _parse_agent(raw: dict[str, Any], where: str, private: bool, path: Path | None) -> AgentSettings:
    _check_keys(
        raw,
        {
            "socket",
            "state_dir",
            "tcp",
            "token",
            "token_file",
            "token_env",
            "readonly",
            "readonly_allows_sync",
            "flush_interval",
            "watch_debounce_ms",
            "watch_step_ms",
            "plugins",
            "admin_pin_hash",
        },
        f"{where}: [agent]",
    )
    pin_hash = _opt(raw, "admin_pin_hash", str, where)
    if pin_hash is not None and not valid_pin_hash(pin_hash):
        raise ConfigError(f"{where}: [agent] admin_pin_hash is not a hash made by `synctui set-pin`")
    token = _secret(raw, "token", f"{where}: [agent]", private, path)
    tcp = _opt(raw, "tcp", str, where)
    if tcp and token is None:
        raise ConfigError(f"{where}: [agent] tcp needs a token (token_file or token_env)")
    plugins = raw.get("plugins", [])
    if not isinstance(plugins, list) or not all(isinstance(p, str) for p in plugins):
        raise ConfigError(f"{where}: [agent] plugins must be a list of module names")
    return AgentSettings(
        socket=_path(raw.get("socket"), path) or default_socket(),
        state_dir=_path(raw.get("state_dir"), path) or default_state_dir(),
        tcp=tcp,
        token=token,
        readonly=bool(_opt(raw, "readonly", bool, where) or False),
        readonly_allows_sync=bool(_opt(raw, "readonly_allows_sync", bool, where) or False),
        flush_interval=float(_opt(raw, "flush_interval", (int, float), where) or 15.0),
        watch_debounce_ms=int(_opt(raw, "watch_debounce_ms", int, where) or 200),
        watch_step_ms=int(_opt(raw, "watch_step_ms", int, where) or 30),
        plugins=list(plugins),
        admin_pin_hash=pin_hash,
    )


BACKEND_KEYS = {
    "name",
    "kind",
    "url",
    "username",
    "password",
    "password_file",
    "password_env",
    "refresh_interval",
    "timeout",
    "warning_after",
    "error_after",
    "options",
}


def _parse_backend(raw: Any, where: str, private: bool, path: Path | None) -> BackendSettings:
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: must be a table")
    _check_keys(raw, BACKEND_KEYS, where)
    name = raw.get("name")
    if not isinstance(name, str) or not NAME_RE.match(name):
        raise ConfigError(f"{where}: name must be 1-64 letters, digits, '.', '_' or '-'")
    kind = raw.get("kind")
    if not isinstance(kind, str) or not kind:
        raise ConfigError(f'{where} ({name}): kind is required, e.g. kind = "santedb"')
    interval = float(_opt(raw, "refresh_interval", (int, float), where) or 5.0)
    if interval < 0.5:
        raise ConfigError(f"{where} ({name}): refresh_interval must be at least 0.5 seconds")
    timeout = float(_opt(raw, "timeout", (int, float), where) or 10.0)
    defaults = Thresholds()
    thresholds = Thresholds(
        warning=_duration(raw.get("warning_after"), defaults.warning, f"{where} ({name}): warning_after"),
        error=_duration(raw.get("error_after"), defaults.error, f"{where} ({name}): error_after"),
    )
    if thresholds.error < thresholds.warning:
        raise ConfigError(f"{where} ({name}): error_after must not be shorter than warning_after")
    options = raw.get("options", {})
    if not isinstance(options, dict):
        raise ConfigError(f"{where} ({name}): [backends.options] must be a table")
    return BackendSettings(
        name=name,
        kind=kind,
        url=_opt(raw, "url", str, where) or "",
        username=_opt(raw, "username", str, where),
        secret=_secret(raw, "password", f"{where} ({name})", private, path),
        refresh_interval=interval,
        timeout=timeout,
        thresholds=thresholds,
        options=dict(options),
    )


def _secret(raw: dict[str, Any], key: str, where: str, private: bool, path: Path | None) -> Secret | None:
    if key in raw:
        if not private:
            raise ConfigError(
                f"{where}: refusing a {key} written in {path}, which other users can read. "
                f"Run `chmod 600 {path}`, or use {key}_file / {key}_env instead."
            )
        value = raw[key]
        if not isinstance(value, str):
            raise ConfigError(f"{where}: {key} must be a string")
        return Secret(value)
    if f"{key}_file" in raw:
        file = _path(raw[f"{key}_file"], path)
        if file is None:
            raise ConfigError(f"{where}: {key}_file must be a path")
        if not file.exists():
            raise ConfigError(f"{where}: {key}_file {file} does not exist")
        if not _is_private(file):
            raise ConfigError(
                f"{where}: refusing {key}_file {file}: other users can read it. Run `chmod 600 {file}`."
            )
        try:
            return Secret(file.read_text(encoding="utf-8").strip())
        except OSError as exc:
            raise ConfigError(f"{where}: cannot read {key}_file {file}: {exc.strerror}") from None
    if f"{key}_env" in raw:
        var = raw[f"{key}_env"]
        if not isinstance(var, str):
            raise ConfigError(f"{where}: {key}_env must be the name of an environment variable")
        value = os.environ.get(var)
        if value is None:
            raise ConfigError(f"{where}: environment variable {var} ({key}_env) is not set")
        return Secret(value)
    return None


def _is_private(path: Path) -> bool:
    try:
        mode = path.stat().st_mode
    except OSError:
        return False
    return not mode & (stat.S_IRWXG | stat.S_IRWXO)


def _duration(value: Any, default: timedelta, where: str) -> timedelta:
    """ "90m", "12h", "1d", "2d12h" or a number of seconds."""
    if value is None:
        return default
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0:
        return timedelta(seconds=value)
    if isinstance(value, str):
        parts = re.fullmatch(r"\s*(?:(\d+)d)?\s*(?:(\d+)h)?\s*(?:(\d+)m)?\s*", value)
        if parts and any(parts.groups()):
            d, h, m = (int(x or 0) for x in parts.groups())
            return timedelta(days=d, hours=h, minutes=m)
    raise ConfigError(f'{where}: expected a duration such as "1d", "12h" or "90m", got {value!r}')


def _table(raw: dict[str, Any], key: str, where: str) -> dict[str, Any]:
    value = raw.get(key, {})
    if not isinstance(value, dict):
        raise ConfigError(f"{where}: [{key}] must be a table")
    return value


def _opt(raw: dict[str, Any], key: str, types: type | tuple[type, ...], where: str) -> Any:
    value = raw.get(key)
    if value is None:
        return None
    if isinstance(value, bool) and types is not bool:
        raise ConfigError(f"{where}: {key} has the wrong type (got true/false)")
    if not isinstance(value, types):
        raise ConfigError(f"{where}: {key} has the wrong type (got {type(value).__name__})")
    return value


def _path(value: Any, config_path: Path | None) -> Path | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise ConfigError(f"expected a path, got {value!r}")
    p = Path(value).expanduser()
    if not p.is_absolute() and config_path is not None:
        p = config_path.parent / p
    return p


def _check_keys(raw: dict[str, Any], allowed: set[str], where: str) -> None:
    unknown = sorted(set(raw) - allowed)
    if unknown:
        raise ConfigError(
            f"{where}: unknown key(s) {', '.join(unknown)} (allowed: {', '.join(sorted(allowed))})"
        )
