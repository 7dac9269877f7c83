"""Every config the agent cannot use gets ONE clear line naming the key, never a traceback (issue 9).

The CLI turns ConfigError into exit 2 (synctui.cli.__init__.main)."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from synctui.config import load_config
from synctui.config_values import ConfigError

B = "[[backends]]\nname = 'a'\nkind = 'santedb'\n"  # a backend, to which a case adds keys


def _file(path: Path, data: bytes | str, mode: int = 0o600) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data if isinstance(data, bytes) else data.encode())
    os.chmod(path, mode)
    return path


def _password_file(data: bytes) -> Callable[[Path], str]:
    def setup(tmp: Path) -> str:
        _file(tmp / "pw", data)
        return B + f"password_file = '{tmp / 'pw'}'\n"

    return setup


def _password_folder(tmp: Path) -> str:
    (tmp / "pw").mkdir(mode=0o700)
    return B + f"password_file = '{tmp / 'pw'}'\n"


def _token_file(data: bytes) -> Callable[[Path], str]:
    def setup(tmp: Path) -> str:
        _file(tmp / "token", data)
        return f"[agent]\ntcp = '127.0.0.1:8765'\ntoken_file = '{tmp / 'token'}'\n"

    return setup


def _state_dir_a_file(tmp: Path) -> str:
    _file(tmp / "statefile", "x")
    return f"[agent]\nstate_dir = '{tmp / 'statefile'}'\n"


def _state_dir_under_a_file(tmp: Path) -> str:
    _file(tmp / "statefile", "x")
    return f"[agent]\nstate_dir = '{tmp / 'statefile' / 'state'}'\n"


def _socket_a_file(tmp: Path) -> str:
    _file(tmp / "agent.sock", "x")
    return f"[agent]\nsocket = '{tmp / 'agent.sock'}'\n"


def _socket_a_folder(tmp: Path) -> str:
    (tmp / "agent.sock").mkdir()
    return f"[agent]\nsocket = '{tmp / 'agent.sock'}'\n"


def _socket_under_a_file(tmp: Path) -> str:
    _file(tmp / "run", "x")
    return f"[agent]\nsocket = '{tmp / 'run' / 'sub' / 'agent.sock'}'\n"


def _socket_too_long(tmp: Path) -> str:
    return f"[agent]\nsocket = '{tmp / ('d' * 60) / ('s' * 60)}.sock'\n"


def _text(text: str) -> Callable[[Path], str]:
    return lambda tmp: text


# (id, what the config holds, the key the message must name)
CASES: list[tuple[str, Callable[[Path], str] | bytes, str]] = [
    ("config-not-utf8", b"[agent]\nsocket = '/tmp/\xff\xfe.sock'\n", "not UTF-8"),
    ("password-file-not-utf8", _password_file(b"\xff\xfe\xfd"), "password_file"),
    ("password-file-empty", _password_file(b"\n"), "password_file"),
    ("password-file-a-folder", _password_folder, "password_file"),
    ("password-file-missing", _text(B + "password_file = '/nonexistent/pw'\n"), "password_file"),
    ("password-file-nul", _text(B + 'password_file = "/tmp/p\\u0000w"\n'), "password_file"),
    ("token-file-not-utf8", _token_file(b"\xc3"), "token_file"),
    ("warning-after-huge-days", _text(B + "warning_after = '99999999999d'\n"), "warning_after"),
    ("warning-after-too-long", _text(B + "warning_after = '4000d'\n"), "warning_after"),
    ("warning-after-1e300", _text(B + "warning_after = 1e300\n"), "warning_after"),
    ("warning-after-inf", _text(B + "warning_after = inf\n"), "warning_after"),
    ("warning-after-nan", _text(B + "warning_after = nan\n"), "warning_after"),
    ("warning-after-zero", _text(B + "warning_after = '0d'\n"), "warning_after"),
    ("warning-after-bool", _text(B + "warning_after = true\n"), "warning_after"),
    ("error-after-negative", _text(B + "error_after = -5\n"), "error_after"),
    ("stuck-after-zero", _text(B + "stuck_after = '0m'\n"), "stuck_after"),
    ("stuck-after-words", _text(B + "stuck_after = 'a while'\n"), "stuck_after"),
    ("stuck-after-bool", _text(B + "stuck_after = false\n"), "stuck_after"),
    ("refresh-interval-nan", _text(B + "refresh_interval = nan\n"), "refresh_interval"),
    ("refresh-interval-inf", _text(B + "refresh_interval = inf\n"), "refresh_interval"),
    ("refresh-interval-negative", _text(B + "refresh_interval = -1\n"), "refresh_interval"),
    ("refresh-interval-zero", _text(B + "refresh_interval = 0\n"), "refresh_interval"),
    ("refresh-interval-1e300", _text(B + "refresh_interval = 1e300\n"), "refresh_interval"),
    ("timeout-nan", _text(B + "timeout = nan\n"), "timeout"),
    ("timeout-inf", _text(B + "timeout = -inf\n"), "timeout"),
    ("timeout-negative", _text(B + "timeout = -1\n"), "timeout"),
    ("timeout-zero", _text(B + "timeout = 0\n"), "timeout"),
    ("sync-timeout-nan", _text(B + "[backends.options]\nsync_timeout = nan\n"), "options.sync_timeout"),
    ("sync-timeout-text", _text(B + "[backends.options]\nsync_timeout = 'soon'\n"), "options.sync_timeout"),
    ("flush-interval-negative", _text("[agent]\nflush_interval = -1\n"), "flush_interval"),
    ("flush-interval-zero", _text("[agent]\nflush_interval = 0\n"), "flush_interval"),
    ("flush-interval-nan", _text("[agent]\nflush_interval = nan\n"), "flush_interval"),
    ("flush-interval-inf", _text("[agent]\nflush_interval = inf\n"), "flush_interval"),
    ("flush-interval-1e300", _text("[agent]\nflush_interval = 1e300\n"), "flush_interval"),
    ("watch-step-zero", _text("[agent]\nwatch_step_ms = 0\n"), "watch_step_ms"),
    ("watch-debounce-negative", _text("[agent]\nwatch_debounce_ms = -1\n"), "watch_debounce_ms"),
    ("socket-nul", _text('[agent]\nsocket = "/tmp/a\\u0000b.sock"\n'), "socket"),
    ("state-dir-nul", _text('[agent]\nstate_dir = "/tmp/st\\u0000ate"\n'), "state_dir"),
    ("state-dir-a-file", _state_dir_a_file, "state_dir"),
    ("state-dir-under-a-file", _state_dir_under_a_file, "state_dir"),
    ("socket-a-file", _socket_a_file, "socket"),
    ("socket-a-folder", _socket_a_folder, "socket"),
    ("socket-under-a-file", _socket_under_a_file, "socket"),
    ("socket-too-long", _socket_too_long, "socket"),
    ("socket-empty", _text("[agent]\nsocket = ''\n"), "socket"),
    ("tcp-nonsense", _text("[agent]\ntcp = 'nonsense'\ntoken_env = 'HOME'\n"), "tcp"),
    ("tcp-port-99999", _text("[agent]\ntcp = '127.0.0.1:99999'\ntoken_env = 'HOME'\n"), "tcp"),
    ("tcp-port-0", _text("[agent]\ntcp = '127.0.0.1:0'\ntoken_env = 'HOME'\n"), "tcp"),
    ("tcp-empty", _text("[agent]\ntcp = ''\ntoken_env = 'HOME'\n"), "tcp"),
    ("tcp-no-port", _text("[agent]\ntcp = '127.0.0.1:'\ntoken_env = 'HOME'\n"), "tcp"),
    ("tcp-not-a-string", _text("[agent]\ntcp = 8765\ntoken_env = 'HOME'\n"), "tcp"),
    ("dashboard-bell-a-string", _text("[dashboard]\nbell = 'yes'\n"), "bell"),
    ("dashboard-bell-a-number", _text("[dashboard]\nbell = 1\n"), "bell"),
    ("dashboard-unknown-key", _text("[dashboard]\nbeep = true\n"), "beep"),
    ("dashboard-not-a-table", _text("dashboard = true\n"), "dashboard"),
    ("admin-pin-hash-huge-iterations", _text("[agent]\nadmin_pin_hash = 'pbkdf2_sha256$99999999999$00$00'\n"), "admin_pin_hash"),
]  # fmt: skip


@pytest.mark.parametrize(("case", "content", "key"), CASES, ids=[c[0] for c in CASES])
def test_every_bad_config_gets_one_clear_line_naming_the_key(tmp_path, case, content, key):
    text = content if isinstance(content, bytes) else content(tmp_path).encode()
    path = _file(tmp_path / "config.toml", text)
    with pytest.raises(ConfigError) as err:
        load_config(path)
    message = str(err.value)
    assert key in message, message
    assert message.startswith(str(path)), message
    assert "\n" not in message and len(message) < 400, message
    assert err.value.__cause__ is None or isinstance(err.value.__cause__, ConfigError)


def test_the_cli_exits_2_with_one_line(tmp_path, capsys):
    from synctui.cli import main

    path = _file(tmp_path / "config.toml", "[agent]\nflush_interval = nan\n")
    assert main(["--config", str(path), "status"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "flush_interval" in err[0] and "Traceback" not in err[0]


def test_good_values_within_bounds_are_kept(tmp_path, monkeypatch):
    text = (
        "[agent]\nflush_interval = 0.5\nwatch_debounce_ms = 0\ntcp = '[::1]:8765'\ntoken_env = 'TOKEN'\n"
        + B
        + "refresh_interval = 86400\ntimeout = 0.5\nwarning_after = '1d 12h'\nerror_after = 172800\n"
        + "stuck_after = '3m 30s'\n"
        + "[backends.options]\nsync_timeout = 600\n"
    )
    monkeypatch.setenv("TOKEN", "t")
    config = load_config(_file(tmp_path / "config.toml", text))
    assert config.agent.flush_interval == 0.5 and config.agent.watch_debounce_ms == 0
    (backend,) = config.backends
    assert backend.refresh_interval == 86400 and backend.timeout == 0.5
    assert backend.thresholds.warning.total_seconds() == 36 * 3600
    assert backend.thresholds.error.total_seconds() == 172800
    assert backend.thresholds.stuck_after.total_seconds() == 210
    assert backend.options["sync_timeout"] == 600.0


def test_the_bell_is_off_unless_the_dashboard_table_turns_it_on(tmp_path):
    assert load_config(_file(tmp_path / "none.toml", "")).dashboard.bell is False
    assert load_config(_file(tmp_path / "on.toml", "[dashboard]\nbell = true\n")).dashboard.bell is True
