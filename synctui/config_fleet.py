"""The `[agent]` keys that place a device in a fleet: its name, its free labels, and `[agent.push]`
(Prometheus remote write to a receiver, buffered on disk while the link is down)."""

from __future__ import annotations

import re
import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from synctui.backend import Secret
from synctui.config_values import (
    ConfigError,
    parse_duration,
    parse_path,
    parse_seconds,
    parse_whole,
    typed_value,
)

LABEL_NAME_RE = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]{0,62}$")  # Prometheus label names (no "__" prefix)
# Labels that synctui's own series carry, or that Prometheus sets: a free label may not take these names.
RESERVED_LABELS = frozenset(
    {"device", "backend", "kind", "queue", "code", "level", "record_type", "filter", "version", "reason"}
    | {"adapter_version", "server_version", "job", "instance", "le", "quantile", "alertname"}
)
LABEL_VALUE_MAX = 200
PUSH_INTERVAL = (1.0, 86400.0)
PUSH_TIMEOUT = (0.5, 600.0)
BUFFER_MB = (1, 10_000)
PUSH_KEYS = {
    "url",
    "interval",
    "timeout",
    "token",
    "token_file",
    "token_env",
    "username",
    "password",
    "password_file",
    "password_env",
    "ca_file",
    "buffer_max_mb",
    "buffer_max_age",
}


@dataclass(frozen=True)
class PushSettings:
    """Where and how an agent behind NAT pushes its series (Prometheus remote write 1.0)."""

    url: str
    interval: float = 60.0  # seconds between two samples of every series
    timeout: float = 30.0
    token: Secret | None = None  # bearer token, or username + password (basic auth), or neither
    username: str | None = None
    password: Secret | None = None
    ca_file: Path | None = None  # a private CA for an https:// receiver
    buffer_max_bytes: int = 64 * 1024 * 1024
    buffer_max_age: timedelta = timedelta(days=30)


@dataclass(frozen=True)
class DeviceIdentity:
    """`device` and free labels, set on every series the agent exports."""

    device: str
    labels: dict[str, str] = field(default_factory=dict)

    def as_labels(self) -> dict[str, str]:
        return {"device": self.device, **self.labels}


SecretReader = Callable[[dict[str, Any], str, str], Secret | None]


def parse_identity(raw: dict[str, Any], at: str) -> DeviceIdentity:
    device = typed_value(raw, "device", str, at)
    if device is not None and not _fine_value(device):
        raise ConfigError(f"{at} device must be 1-{LABEL_VALUE_MAX} printable characters")
    labels = raw.get("labels", {})
    if not isinstance(labels, dict):
        raise ConfigError(f'{at} [agent.labels] must be a table, e.g. site = "Kisumu-03"')
    for name, value in labels.items():
        if not LABEL_NAME_RE.match(name) or name.startswith("__"):
            raise ConfigError(f"{at} labels.{name[:64]}: a label name is letters, digits and '_'")
        if name in RESERVED_LABELS:
            raise ConfigError(
                f"{at} labels.{name}: this name is taken by synctui or Prometheus; choose another"
            )
        if not isinstance(value, str) or not _fine_value(value):
            raise ConfigError(f"{at} labels.{name} must be 1-{LABEL_VALUE_MAX} printable characters")
    return DeviceIdentity(device=device or host_identity().device, labels=dict(labels))


def parse_push(raw: Any, at: str, config_path: Path | None, secret: SecretReader) -> PushSettings | None:
    if raw is None:
        return None
    where = f"{at} [agent.push]"
    if not isinstance(raw, dict):
        raise ConfigError(f"{where} must be a table")
    unknown = sorted(set(raw) - PUSH_KEYS)
    if unknown:
        raise ConfigError(
            f"{where}: unknown key(s) {', '.join(unknown)} (allowed: {', '.join(sorted(PUSH_KEYS))})"
        )
    url = typed_value(raw, "url", str, where)
    if not url or not re.match(r"^https?://[^\s/]+(/\S*)?$", url):
        raise ConfigError(
            f'{where} url must be http(s)://HOST[:PORT]/PATH, e.g. "https://prom.example/api/v1/write"'
        )
    if "@" in url.split("/")[2]:
        raise ConfigError(f"{where} url must not hold a user or password; use username and password_file")
    token = secret(raw, "token", where)
    username = typed_value(raw, "username", str, where)
    password = secret(raw, "password", where)
    if token is not None and (username or password):
        raise ConfigError(f"{where}: give a token or a username and password, not both")
    if (username is None) != (password is None):
        raise ConfigError(f"{where}: basic auth needs both username and password (password_file or _env)")
    ca_file = parse_path(raw.get("ca_file"), config_path, f"{where} ca_file")
    if ca_file is not None and not ca_file.is_file():
        raise ConfigError(f"{where} ca_file {ca_file} is not a file")
    return PushSettings(
        url=url,
        interval=parse_seconds(raw, "interval", where, 60.0, PUSH_INTERVAL),
        timeout=parse_seconds(raw, "timeout", where, 30.0, PUSH_TIMEOUT),
        token=token,
        username=username,
        password=password,
        ca_file=ca_file,
        buffer_max_bytes=parse_whole(raw, "buffer_max_mb", where, 64, BUFFER_MB) * 1024 * 1024,
        buffer_max_age=parse_duration(
            raw.get("buffer_max_age"), timedelta(days=30), f"{where} buffer_max_age"
        ),
    )


def _fine_value(value: str) -> bool:
    return 0 < len(value) <= LABEL_VALUE_MAX and value.isprintable()


def host_identity() -> DeviceIdentity:
    """The identity of an agent whose config names no device: its host name, no free labels."""
    return DeviceIdentity(device=socket.gethostname())
