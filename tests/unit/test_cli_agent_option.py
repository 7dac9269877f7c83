"""`--agent tcp://HOST:PORT --token-file F`: every bad value is one line on stderr and exit 2, before
anything is sent; the token never shows; the agent's refusal of the token ends a command with exit 4.

The agent is an httpx.MockTransport here; tests/e2e/test_tcp_client.py runs a real one over TCP."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import httpx
import pytest

from synctui import i18n
from synctui.backend import Secret
from synctui.cli import main
from synctui.cli.common import CommandError, connect, with_agent
from synctui.client import HttpAgentClient
from synctui.client_interface import AgentRefused, AgentTokenRefused
from synctui.config import AgentSettings, Config, RemoteAgent
from synctui.config_values import read_secret_file

TOKEN = "unit-T0ken-never-shown-7c3e"


def token_file(tmp_path: Path, text: str = TOKEN, mode: int = 0o600, name: str = "agent.token") -> Path:
    path = tmp_path / name
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(text.encode("utf-8") if isinstance(text, str) else text)
    path.chmod(mode)
    return path


def one_line_error(capsys: pytest.CaptureFixture[str]) -> str:
    captured = capsys.readouterr()
    assert TOKEN not in captured.out + captured.err
    assert "Traceback" not in captured.err
    lines = [line for line in captured.err.splitlines() if line.strip()]
    assert len(lines) == 1, captured.err
    assert lines[0].startswith("synctui: "), lines[0]
    return lines[0]


@pytest.fixture
def no_agent(monkeypatch: pytest.MonkeyPatch) -> list[httpx.Request]:
    """Every request any client would send, recorded and refused: the checks come before any of them."""
    sent: list[httpx.Request] = []
    original = HttpAgentClient.__init__

    def init(self: HttpAgentClient, **kwargs: object) -> None:
        def handler(request: httpx.Request) -> httpx.Response:
            sent.append(request)
            raise httpx.ConnectError("no agent in unit tests")

        original(self, **{**kwargs, "transport": httpx.MockTransport(handler)})  # type: ignore[arg-type]

    monkeypatch.setattr(HttpAgentClient, "__init__", init)
    return sent


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1:8765",  # no scheme
        "http://127.0.0.1:8765",
        "unix:///tmp/agent.sock",
        "tcp://",
        "tcp://127.0.0.1",
        "tcp://:8765",
        "tcp://127.0.0.1:port",
        "tcp://127.0.0.1:8765/v1",
        "tcp://bad host:8765",
        "tcp://[::1:8765",
        "tcp://127.0.0.1:1234567",
        "tcp://\x1b]52;c;aGk=\x07:8765",
    ],
)
def test_a_bad_agent_address_is_one_line_and_exit_2(address, tmp_path, capsys, no_agent):
    assert main(["--agent", address, "--token-file", str(token_file(tmp_path)), "status"]) == 2
    line = one_line_error(capsys)
    assert "--agent: expected tcp://HOST:PORT" in line
    assert "\x1b" not in line and "\x07" not in line
    assert not no_agent


@pytest.mark.parametrize("port", ["0", "65536", "99999"])
def test_a_port_out_of_range_is_one_line_and_exit_2(port, tmp_path, capsys, no_agent):
    assert (
        main(["status", "--agent", f"tcp://127.0.0.1:{port}", "--token-file", str(token_file(tmp_path))]) == 2
    )
    assert f"--agent: port must be from 1 to 65535, got {int(port)}" in one_line_error(capsys)
    assert not no_agent


def test_a_missing_token_file(tmp_path, capsys, no_agent):
    missing = tmp_path / "nope.token"
    assert main(["--agent", "tcp://127.0.0.1:8765", "--token-file", str(missing), "status"]) == 2
    assert f"--token-file {missing} does not exist" in one_line_error(capsys)
    assert not no_agent


def test_a_token_file_others_can_read(tmp_path, capsys, no_agent):
    shared = token_file(tmp_path, mode=0o644)
    assert main(["--agent", "tcp://127.0.0.1:8765", "--token-file", str(shared), "status"]) == 2
    line = one_line_error(capsys)
    assert "other users can read it" in line and "chmod 600" in line
    assert not no_agent


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("", "is empty"),
        ("  \n\n", "is empty"),
        (b"\xff\xfe token", "is not UTF-8 text"),
        ("two words", "does not hold a token"),
        ("tök", "does not hold a token"),
        ("line\x1bbreak", "does not hold a token"),
    ],
)
def test_a_token_file_that_holds_no_token(content, expected, tmp_path, capsys, no_agent):
    path = token_file(tmp_path, content)
    assert main(["--agent", "tcp://127.0.0.1:8765", "--token-file", str(path), "status"]) == 2
    assert expected in one_line_error(capsys)
    assert not no_agent


def test_an_unreadable_token_file(tmp_path, capsys, no_agent):
    if os.geteuid() == 0:
        folder = tmp_path / "folder.token"
        folder.mkdir(mode=0o700)
        assert main(["--agent", "tcp://127.0.0.1:8765", "--token-file", str(folder), "status"]) == 2
        assert "is a folder, not a file" in one_line_error(capsys)
        return
    path = token_file(tmp_path, mode=0o000)
    assert main(["--agent", "tcp://127.0.0.1:8765", "--token-file", str(path), "status"]) == 2
    assert "--token-file: cannot read" in one_line_error(capsys)
    assert not no_agent


def test_a_folder_as_token_file(tmp_path, capsys, no_agent):
    folder = tmp_path / "tokens"
    folder.mkdir(mode=0o700)
    assert main(["--agent", "tcp://127.0.0.1:8765", "--token-file", str(folder), "status"]) == 2
    assert "is a folder, not a file" in one_line_error(capsys)


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["--agent", "tcp://127.0.0.1:8765", "status"], "--agent needs --token-file FILE"),
        (["--token-file", "{token}", "status"], "--token-file is only used with --agent"),
        (
            [
                "--agent",
                "tcp://127.0.0.1:8765",
                "--token-file",
                "{token}",
                "--socket",
                "/tmp/a.sock",
                "status",
            ],
            "give --agent or --socket, not both",
        ),
        (
            ["--agent", "tcp://127.0.0.1:8765", "--token-file", "{token}", "agent"],
            "does not apply to `synctui agent`",
        ),
        (["--agent", "tcp://127.0.0.1:8765", "--token-file", "{token}", "plugins"], "`synctui plugins`"),
        (["--agent", "tcp://127.0.0.1:8765", "--token-file", "{token}", "demo"], "`synctui demo`"),
    ],
)
def test_options_that_do_not_fit_together(argv, expected, tmp_path, capsys, no_agent):
    path = str(token_file(tmp_path))
    assert main([arg.replace("{token}", path) for arg in argv]) == 2
    assert expected in one_line_error(capsys)
    assert not no_agent


def test_an_unreachable_agent_is_exit_3_and_names_it(tmp_path, capsys, no_agent):
    path = str(token_file(tmp_path))
    assert main(["--agent", "tcp://192.0.2.10:8765", "--token-file", path, "status"]) == 3
    assert "cannot reach the agent at tcp://192.0.2.10:8765" in one_line_error(capsys)
    assert main(["--agent", "tcp://192.0.2.10:8765", "--token-file", path, "audit"]) == 3
    one_line_error(capsys)
    assert main(["--agent", "tcp://192.0.2.10:8765", "--token-file", path]) == 3  # the dashboard
    assert "cannot reach the agent at tcp://192.0.2.10:8765" in one_line_error(capsys)
    assert [r.url.host for r in no_agent] == ["192.0.2.10"] * 3
    assert all(r.headers["authorization"] == f"Bearer {TOKEN}" for r in no_agent)
    assert not (Path(os.environ["XDG_RUNTIME_DIR"]) / "synctui").exists(), "an agent was embedded"


# --- the client: which 401 is the token's ------------------------------------------------------------


def remote_config(host: str = "::1", port: int = 8765) -> Config:
    settings = AgentSettings(socket=Path("/nonexistent/agent.sock"), state_dir=Path("/nonexistent"))
    settings.remote = RemoteAgent(host=host, port=port, token=Secret(TOKEN))
    return Config(agent=settings)


def test_the_remote_address_and_url():
    remote = remote_config().agent.remote
    assert remote is not None
    assert (remote.address, remote.url) == ("tcp://[::1]:8765", "http://[::1]:8765")
    assert TOKEN not in repr(remote)


def answering(status: int, body: dict[str, str]) -> httpx.MockTransport:
    return httpx.MockTransport(lambda request: httpx.Response(status, json=body))


def test_a_token_refusal_is_told_apart_from_a_pin_refusal():
    async def ask(status: int, body: dict[str, str]) -> BaseException:
        client = HttpAgentClient(url="http://h:1", token=TOKEN, transport=answering(status, body))
        try:
            await client.state()
        except AgentRefused as exc:
            return exc
        finally:
            await client.aclose()
        raise AssertionError("no refusal")

    token = asyncio.run(ask(401, {"error": "missing or wrong bearer token"}))
    assert isinstance(token, AgentTokenRefused) and token.status == 401
    assert "refused: wrong or missing token" in token.message and TOKEN not in token.message
    pin = asyncio.run(ask(401, {"error": "discard needs the admin PIN"}))
    assert not isinstance(pin, AgentTokenRefused) and pin.status == 401


def test_a_command_ends_on_the_token_refusal_with_exit_4(monkeypatch, capsys):
    config = remote_config("127.0.0.1")
    transport = answering(401, {"error": "missing or wrong bearer token"})
    original = HttpAgentClient.__init__
    monkeypatch.setattr(
        HttpAgentClient,
        "__init__",
        lambda self, **kw: original(self, **{**kw, "transport": transport}),  # type: ignore[arg-type]
    )

    async def work(client: HttpAgentClient) -> int:
        await client.audit()
        return 0

    with pytest.raises(CommandError) as ended:
        with_agent(config, work)
    assert ended.value.code == 4
    assert (
        ended.value.message == "synctui: refused: wrong or missing token (the agent at tcp://127.0.0.1:8765)"
    )

    async def dashboard_client() -> BaseException:
        client = connect(config, command=False)  # the dashboard's screens show an AgentRefused
        try:
            await client.state()
        except AgentRefused as exc:
            return exc
        finally:
            await client.aclose()
        raise AssertionError("no refusal")

    assert isinstance(asyncio.run(dashboard_client()), AgentTokenRefused)


def test_read_secret_file_never_shows_the_content(tmp_path):
    path = token_file(tmp_path, TOKEN + "\n")
    assert read_secret_file(path, "--token-file").reveal() == TOKEN
    assert TOKEN not in repr(read_secret_file(path, "--token-file"))


def test_an_unreachable_agent_is_named_in_the_language_in_use(tmp_path, capsys, no_agent):
    path = str(token_file(tmp_path))
    argv = ["--agent", "tcp://192.0.2.10:8765", "--token-file", path, "--lang", "fr", "status"]
    try:
        assert main(argv) == 3
        assert "impossible de joindre l'agent à tcp://192.0.2.10:8765" in one_line_error(capsys)
    finally:
        i18n.use("en")
