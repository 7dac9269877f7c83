"""TOML configuration: the agent, its backends, and where secrets come from.

Secrets are never written in the config in the clear unless the file is private (mode 0600 or
stricter); otherwise they come from a file (`password_file`, also required to be private) or an
environment variable (`password_env`).
"""

from __future__ import annotations

import os
import re
import tomllib
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import platformdirs

from synctui.backend import Backend, BackendSettings, OptionError, Secret, read_options
from synctui.config_values import (
    ConfigError,
    check_folder,
    check_socket_path,
    is_private,
    parse_duration,
    parse_interval,
    parse_path,
    parse_seconds,
    parse_tcp,
    parse_whole,
    read_secret_file,
    typed_value,
)
from synctui.i18n import LANGUAGES
from synctui.model import Capability, Thresholds

if TYPE_CHECKING:
    from synctui.config_fleet import DeviceIdentity, PushSettings

APP = "synctui"
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
# (lowest, highest) seconds of each number the agent waits on; outside, it would busy-loop or never wake
FLUSH_INTERVAL = (0.1, 86400.0)
REFRESH_INTERVAL = (0.5, 86400.0)
TIMEOUT = (0.1, 3600.0)
LONG_ACTION_TIMEOUT = (1.0, 7 * 86400.0)  # options sync_timeout / resubmit_timeout, read by the agent
WATCH_DEBOUNCE_MS = (0, 60_000)
WATCH_STEP_MS = (1, 10_000)
FLEET_KEYS = frozenset({"device", "labels", "push"})  # [agent] keys read by synctui.config_fleet
SHORTEST_SYNC_EVERY = timedelta(minutes=1)  # a background sync more often would load device and server


@dataclass
class AgentSettings:
    """The `[agent]` table: where the agent listens, what it allows, how often it works."""

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
    remote: RemoteAgent | None = None  # `--agent tcp://HOST:PORT --token-file F`: talk to that agent
    identity: DeviceIdentity | None = None  # `device` + `[agent.labels]`, on every series; None: host name
    push: PushSettings | None = None  # `[agent.push]`: remote write to a Prometheus receiver


@dataclass(frozen=True)
class RemoteAgent:
    """An agent reached over TCP with its bearer token (support staff: `synctui --agent tcp://…`)."""

    host: str
    port: int
    token: Secret

    @property
    def address(self) -> str:
        return f"tcp://{_url_host(self.host)}:{self.port}"

    @property
    def url(self) -> str:
        return f"http://{_url_host(self.host)}:{self.port}"


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


@dataclass
class DashboardSettings:
    """The `[dashboard]` table."""

    bell: bool = False  # ring the terminal bell when a backend turns to ATTENTION


@dataclass
class Config:
    """A whole config file, checked; `synctui.config.load_config` reads one."""

    agent: AgentSettings
    backends: list[BackendSettings] = field(default_factory=list)
    keymap: dict[str, str] = field(default_factory=dict)
    theme: str | None = None
    lang: str | None = None  # the language of the dashboard and the CLI (synctui.i18n.LANGUAGES)
    dashboard: DashboardSettings = field(default_factory=DashboardSettings)
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
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"{path}: not UTF-8 text (byte {data[exc.start]:#04x} at offset {exc.start})"
        ) from None
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    except RecursionError:
        raise ConfigError(f"{path}: not valid TOML: nested too deeply") from None
    return parse_config(raw, path)


def parse_config(raw: dict[str, Any], path: Path | None = None) -> Config:
    where = str(path) if path else "config"
    _check_keys(raw, {"agent", "backends", "keymap", "theme", "lang", "dashboard"}, where)
    private = path is None or is_private(path)
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
    lang = raw.get("lang")
    if lang is not None and lang not in LANGUAGES:
        raise ConfigError(f"{where}: lang must be one of {', '.join(LANGUAGES)} (got {str(lang)[:40]!r})")
    dashboard = _table(raw, "dashboard", where)
    _check_keys(dashboard, {"bell"}, f"{where}: [dashboard]")
    bell = bool(typed_value(dashboard, "bell", bool, f"{where}: [dashboard]"))
    return Config(
        agent=agent,
        backends=backends,
        keymap=dict(keymap),
        theme=theme,
        lang=lang,
        dashboard=DashboardSettings(bell=bell),
        path=path,
    )


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
            "device",
            "labels",
            "push",
        },
        f"{where}: [agent]",
    )
    at = f"{where}: [agent]"
    pin_hash = typed_value(raw, "admin_pin_hash", str, at)
    if pin_hash is not None:
        from synctui.pin import valid_pin_hash  # hashlib and hmac load only where a PIN is set

        if not valid_pin_hash(pin_hash):
            raise ConfigError(f"{at} admin_pin_hash is not a hash made by `synctui set-pin`")
    token = _secret(raw, "token", at, private, path)
    tcp = typed_value(raw, "tcp", str, at)
    if tcp is not None:
        parse_tcp(tcp, f"{at} tcp")
        if token is None:
            raise ConfigError(f"{at} tcp needs a token (token_file or token_env)")
    plugins = raw.get("plugins", [])
    if not isinstance(plugins, list) or not all(isinstance(p, str) for p in plugins):
        raise ConfigError(f"{at} plugins must be a list of module names")
    socket = parse_path(raw.get("socket"), path, f"{at} socket") or default_socket()
    check_socket_path(socket, f"{at} socket")
    state_dir = parse_path(raw.get("state_dir"), path, f"{at} state_dir") or default_state_dir()
    check_folder(state_dir, f"{at} state_dir")
    identity, push = _fleet_settings(raw, at, path, private)
    return AgentSettings(
        socket=socket,
        state_dir=state_dir,
        tcp=tcp,
        token=token,
        readonly=bool(typed_value(raw, "readonly", bool, at) or False),
        readonly_allows_sync=bool(typed_value(raw, "readonly_allows_sync", bool, at) or False),
        flush_interval=parse_seconds(raw, "flush_interval", at, 15.0, FLUSH_INTERVAL),
        watch_debounce_ms=parse_whole(raw, "watch_debounce_ms", at, 200, WATCH_DEBOUNCE_MS),
        watch_step_ms=parse_whole(raw, "watch_step_ms", at, 30, WATCH_STEP_MS),
        plugins=list(plugins),
        admin_pin_hash=pin_hash,
        identity=identity,
        push=push,
    )


def _fleet_settings(
    raw: dict[str, Any], at: str, path: Path | None, private: bool
) -> tuple[DeviceIdentity | None, PushSettings | None]:
    """(identity, push) of an agent in a fleet; (None, None) for a config that names neither, whose
    agent and dashboard then never load synctui.config_fleet."""
    if not FLEET_KEYS & raw.keys():
        return None, None
    from synctui.config_fleet import parse_identity, parse_push

    identity = parse_identity(raw, at)
    return identity, parse_push(
        raw.get("push"), at, path, lambda t, key, w: _secret(t, key, w, private, path)
    )


BACKEND_KEYS = {
    "name",
    "kind",
    "url",
    "username",
    "password",
    "password_file",
    "password_env",
    "token",
    "token_file",
    "token_env",
    "refresh_interval",
    "timeout",
    "warning_after",
    "error_after",
    "stuck_after",
    "sync_at_start",
    "sync_every",
    "disable",
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
    at = f"{where} ({name}):"
    interval = parse_seconds(raw, "refresh_interval", at, 5.0, REFRESH_INTERVAL)
    timeout = parse_seconds(raw, "timeout", at, 10.0, TIMEOUT)
    defaults = Thresholds()
    thresholds = Thresholds(
        warning=parse_duration(raw.get("warning_after"), defaults.warning, f"{at} warning_after"),
        error=parse_duration(raw.get("error_after"), defaults.error, f"{at} error_after"),
        stuck_after=parse_duration(raw.get("stuck_after"), defaults.stuck_after, f"{at} stuck_after"),
    )
    if thresholds.error < thresholds.warning:
        raise ConfigError(f"{at} error_after must not be shorter than warning_after")
    options = raw.get("options", {})
    if not isinstance(options, dict):
        raise ConfigError(f"{at} [backends.options] must be a table")
    options = dict(options)
    for key in ("sync_timeout", "resubmit_timeout"):  # read by the agent itself, not the adapter
        if key in options:
            options[key] = parse_seconds(options, key, at, 0.0, LONG_ACTION_TIMEOUT, label=f"options.{key}")
    return BackendSettings(
        name=name,
        kind=kind,
        url=typed_value(raw, "url", str, at) or "",
        username=typed_value(raw, "username", str, at),
        secret=_backend_secret(raw, at.rstrip(":"), private, path),
        refresh_interval=interval,
        timeout=timeout,
        thresholds=thresholds,
        options=options,
        sync_at_start=typed_value(raw, "sync_at_start", bool, at),
        sync_every=parse_interval(raw.get("sync_every"), SHORTEST_SYNC_EVERY, f"{at} sync_every"),
        disable=_capabilities(raw.get("disable", []), f"{at} disable"),
    )


def _capabilities(value: Any, where: str) -> frozenset[Capability]:
    known = ", ".join(c.value for c in Capability)
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{where} must be a list of capabilities ({known})")
    unknown = sorted(set(value) - {c.value for c in Capability})
    if unknown:
        raise ConfigError(f"{where}: {unknown[0][:40]!r} is not a capability ({known})")
    return frozenset(Capability(v) for v in value)


def check_backend_options(config: Config, adapter: Callable[[str], type[Backend]]) -> None:
    """Check each backend's options against its adapter's declarations (`adapter(kind)`; LookupError:
    no adapter, the agent says so) and keep them typed, paths relative to the config file's folder."""
    where = str(config.path) if config.path else "config"
    base_dir = config.path.parent if config.path else None
    for i, backend in enumerate(config.backends):
        try:
            specs = adapter(backend.kind).option_specs
        except LookupError:
            continue
        if not specs:  # an adapter that declares nothing reads its options itself
            continue
        try:
            backend.options = read_options(specs, backend.options, base_dir)
        except OptionError as exc:
            raise ConfigError(f"{where}: backends[{i}] ({backend.name}): {exc}") from None


def _backend_secret(raw: dict[str, Any], where: str, private: bool, path: Path | None) -> Secret | None:
    """The backend's secret: a password, or a token (an API token such as DIGIT's authToken)."""
    given = sorted(k for k in raw if k.split("_")[0] in ("password", "token"))
    if {k.split("_")[0] for k in given} == {"password", "token"}:
        raise ConfigError(f"{where}: give either a password or a token, not both ({', '.join(given)})")
    key = "token" if given and given[0].startswith("token") else "password"
    return _secret(raw, key, where, private, path)


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
        file = parse_path(raw[f"{key}_file"], path, f"{where}: {key}_file")
        if file is None:
            raise ConfigError(f"{where}: {key}_file must be a path")
        return read_secret_file(file, f"{where}: {key}_file")
    if f"{key}_env" in raw:
        var = raw[f"{key}_env"]
        if not isinstance(var, str):
            raise ConfigError(f"{where}: {key}_env must be the name of an environment variable")
        value = os.environ.get(var)
        if value is None:
            raise ConfigError(f"{where}: environment variable {var} ({key}_env) is not set")
        return Secret(value)
    return None


def _table(raw: dict[str, Any], key: str, where: str) -> dict[str, Any]:
    value = raw.get(key, {})
    if not isinstance(value, dict):
        raise ConfigError(f"{where}: [{key}] must be a table")
    return value


def _check_keys(raw: dict[str, Any], allowed: set[str], where: str) -> None:
    unknown = sorted(set(raw) - allowed)
    if unknown:
        raise ConfigError(
            f"{where}: unknown key(s) {', '.join(unknown)} (allowed: {', '.join(sorted(allowed))})"
        )
