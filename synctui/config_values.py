"""Values in the configuration: numbers, durations, paths, TCP addresses and secret files.

Each check raises ConfigError with one line that names the key (`where`) and says what to fix.
"""

from __future__ import annotations

import math
import os
import re
import stat
from datetime import timedelta
from pathlib import Path
from typing import Any

from synctui.backend import Secret

UNIX_PATH_MAX = 107  # bytes of a Unix socket path: sun_path holds 108 with the final NUL
LONGEST_DURATION = timedelta(days=3650)


class ConfigError(Exception):
    """The configuration cannot be used; the message says what to fix."""


def typed_value(raw: dict[str, Any], key: str, types: type | tuple[type, ...], where: str) -> Any:
    value = raw.get(key)
    if value is None:
        return None
    if isinstance(value, bool) and types is not bool:
        raise ConfigError(f"{where} {key} has the wrong type (got true/false)")
    if not isinstance(value, types):
        raise ConfigError(f"{where} {key} has the wrong type (got {type(value).__name__})")
    return value


def parse_path(value: Any, config_path: Path | None, where: str = "path") -> Path | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{where}: expected a path, got {value!r}"[:300])
    _no_nul(value, where)
    try:
        p = Path(value).expanduser()
    except RuntimeError:  # "~nobody/x": no such user
        raise ConfigError(f"{where}: cannot expand {value!r}: no such user") from None
    if not p.is_absolute() and config_path is not None:
        p = config_path.parent / p
    return p


def read_secret_file(file: Path, label: str) -> Secret:
    """The secret held in `file` (surrounding white space dropped). The file must exist, be private
    (no access for group or others) and hold UTF-8 text; else ConfigError, starting with `label`
    (e.g. "--token-file") and never showing the file's content."""
    _no_nul(file, label)
    if not file.exists():
        raise ConfigError(f"{label} {file} does not exist")
    if file.is_dir():
        raise ConfigError(f"{label} {file} is a folder, not a file")
    if not is_private(file):
        raise ConfigError(f"{label}: refusing {file}: other users can read it. Run `chmod 600 {file}`.")
    try:
        value = file.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{label}: cannot read {file}: {exc.strerror or exc}") from None
    try:
        secret = value.decode("utf-8").strip()
    except UnicodeDecodeError:
        raise ConfigError(f"{label} {file} is not UTF-8 text") from None
    if not secret:
        raise ConfigError(f"{label} {file} is empty")
    return Secret(secret)


def is_private(path: Path) -> bool:
    try:
        mode = path.stat().st_mode
    except OSError:
        return False
    return not mode & (stat.S_IRWXG | stat.S_IRWXO)


_DURATION_TEXT = re.compile(
    r"\s*(?:(\d{1,9})\s*d)?\s*(?:(\d{1,9})\s*h)?\s*(?:(\d{1,9})\s*m)?\s*(?:(\d{1,9})\s*s)?\s*", re.ASCII
)


def _duration_text(value: str) -> float | None:
    """Seconds in "2d12h", "90m", "20s" (None when it is not such a text)."""
    parts = _DURATION_TEXT.fullmatch(value)
    if not parts or not any(parts.groups()):
        return None
    d, h, m, sec = (int(x or 0) for x in parts.groups())
    return float(((d * 24 + h) * 60 + m) * 60 + sec)


def parse_duration(value: Any, default: timedelta, where: str) -> timedelta:
    """ "90m", "12h", "1d", "2d12h", "30s" or a number of seconds; more than 0, at most 10 years."""
    if value is None:
        return default
    expected = (
        f'{where}: expected a duration such as "1d", "12h", "90m" or "20s" (at most 3650d), got {value!r}'
    )
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        seconds: float | None = float(value)
    elif isinstance(value, str):
        seconds = _duration_text(value)
    else:
        seconds = None
    if seconds is None:
        raise ConfigError(expected[:300])
    if not math.isfinite(seconds) or seconds > LONGEST_DURATION.total_seconds():
        raise ConfigError(expected[:300])
    if seconds <= 0:
        raise ConfigError(f"{where}: must be longer than 0, got {value!r}")
    return timedelta(seconds=seconds)


def parse_interval(value: Any, shortest: timedelta, where: str) -> float:
    """An interval in seconds where 0 means off: 0 or "0", else a duration (see parse_duration) of at
    least `shortest`."""
    if value is None or (value in (0, "0") and not isinstance(value, bool)):
        return 0.0
    interval = parse_duration(value, timedelta(0), where)
    if interval < shortest:
        raise ConfigError(
            f"{where}: must be 0 (off) or at least {int(shortest.total_seconds())} s, got {value!r}"[:300]
        )
    return interval.total_seconds()


def parse_seconds(
    raw: dict[str, Any],
    key: str,
    where: str,
    default: float,
    bounds: tuple[float, float],
    *,
    label: str | None = None,
) -> float:
    """A number of seconds, or a duration text such as "20s" or "2m": finite and within `bounds` (else one
    line naming the key)."""
    label = label or key
    value = raw.get(key)
    number = _duration_text(value) if isinstance(value, str) else None
    if isinstance(value, str) and number is None:
        raise ConfigError(
            f'{where} {label} must be a number of seconds or a duration such as "20s" or "2m", got {value!r}'[
                :300
            ]
        )
    if number is None:
        value = typed_value({label: value}, label, (int, float), where)
        if value is None:
            return default
        number = float(value)
    low, high = bounds
    if not math.isfinite(number) or not low <= number <= high:
        raise ConfigError(
            f"{where} {label} must be a number of seconds from {low:g} to {high:g}, got {_show(value)}"
        )
    return number


def parse_whole(raw: dict[str, Any], key: str, where: str, default: int, bounds: tuple[int, int]) -> int:
    value = typed_value(raw, key, int, where)
    if value is None:
        return default
    low, high = bounds
    if not low <= value <= high:
        raise ConfigError(f"{where} {key} must be a whole number from {low} to {high}, got {value}")
    return int(value)


def _show(value: Any) -> str:
    if isinstance(value, float):
        return "nan" if math.isnan(value) else "inf" if math.isinf(value) else f"{value:g}"
    return str(value)


def parse_tcp(address: str, where: str = "tcp") -> tuple[str, int]:
    """ "127.0.0.1:8765", "[::1]:8765" or ":8765" (loopback) as (host, port)."""
    expected = f'{where}: expected HOST:PORT such as "127.0.0.1:8765", got {address!r}'
    host, sep, port = address.strip().rpartition(":")
    if not sep or not port.isdigit() or len(port) > 5:
        raise ConfigError(expected[:300])
    number = int(port)
    if not 1 <= number <= 65535:
        raise ConfigError(f"{where}: port must be from 1 to 65535, got {number}")
    if host.startswith("[") != host.endswith("]"):
        raise ConfigError(expected[:300])
    host = host.strip("[]") or "127.0.0.1"
    if not re.fullmatch(r"[A-Za-z0-9.:%_-]{1,253}", host):
        raise ConfigError(expected[:300])
    return host, number


def check_socket_path(path: Path, where: str = "socket") -> None:
    """A path the agent can bind a Unix socket at: short enough, not a file or folder, under a folder."""
    _no_nul(path, where)
    size = len(os.fsencode(str(path)))
    if size > UNIX_PATH_MAX:
        raise ConfigError(
            f"{where}: {path} is {size} bytes long; a Unix socket path can be at most {UNIX_PATH_MAX}"
        )
    try:
        mode = path.lstat().st_mode
    except FileNotFoundError:
        mode = None
    except OSError as exc:
        raise ConfigError(f"{where}: cannot use {path}: {exc.strerror or exc}") from None
    if mode is not None and not stat.S_ISSOCK(mode):
        what = "a folder" if stat.S_ISDIR(mode) else "a file"
        raise ConfigError(f"{where}: {path} is {what}, not a socket; choose another path or remove it")
    _under_a_folder(path.parent, where)


def check_folder(path: Path, where: str) -> None:
    """A folder that exists, or can be made (every existing part of the path is a folder)."""
    _no_nul(path, where)
    _under_a_folder(path, where)


def _under_a_folder(folder: Path, where: str) -> None:
    for part in (folder, *folder.parents):
        try:
            mode = part.stat().st_mode
        except FileNotFoundError:
            continue
        except NotADirectoryError:
            continue  # a parent higher up is a file: found when the loop reaches it
        except OSError as exc:
            raise ConfigError(f"{where}: cannot use {part}: {exc.strerror or exc}") from None
        if not stat.S_ISDIR(mode):
            raise ConfigError(f"{where}: {part} is a file, not a folder")
        return


def _no_nul(path: Path | str, where: str) -> None:
    if "\x00" in str(path):
        raise ConfigError(f"{where}: the path contains a NUL character")
