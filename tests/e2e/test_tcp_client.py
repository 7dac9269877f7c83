"""`synctui --agent tcp://HOST:PORT --token-file F …`: support staff reach an agent over TCP.

A real agent process serves its Unix socket (no token) and TCP on 127.0.0.1 (bearer token required);
the CLI runs as a subprocess with no config of its own (as on a support machine), so it can only reach
the agent through `--agent`. The token never appears in any output or in the agent's log."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from .stack import (
    AgentProcess,
    ProcessGroup,
    Simulator,
    child_env,
    free_port,
    poll_http,
    run_cli,
    short_temp_dir,
    start_agent_process,
    start_simulator,
    wait_until,
    write_config,
)

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(90)]

TOKEN = "e2e-Bearer-T0ken-must-never-show-4f1c"
WRONG_TOKEN = "e2e-Wrong-T0ken-must-never-show-9b2d"
REFUSED = 4
UNREACHABLE = 3
USAGE = 2


@dataclass
class TcpStack:
    base: Path
    env: dict[str, str]  # the CLI's: private XDG folders with no config, no agent socket
    sim: Simulator
    agent: AgentProcess
    address: str  # tcp://127.0.0.1:PORT
    token_file: Path
    wrong_token_file: Path


def private_file(path: Path, text: str) -> Path:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text + "\n")
    return path


@pytest.fixture(scope="module")
def stack() -> Iterator[TcpStack]:
    with short_temp_dir() as base:
        group = ProcessGroup(child_env(base), base)
        try:
            sim = start_simulator(group, base, "--no-traffic")
            port = free_port()
            token_file = private_file(base / "agent.token", TOKEN)
            socket_path = base / "run" / "agent.sock"
            config = write_config(
                base / "config.toml",
                socket_path=socket_path,
                state_dir=base / "state",
                backends=[sim.backend()],
                agent_extra={"tcp": f"127.0.0.1:{port}", "token_file": str(token_file)},
            )
            agent = start_agent_process(group, config, socket_path)
            poll_http(
                f"http://127.0.0.1:{port}/v1/state",
                timeout=15,
                predicate=lambda r: r.status_code == 401,  # TCP is up, and wants the token
            )
            wait_until(lambda: not agent.backend("clinic")["stale"], 15, "the agent's first snapshot")
            client_home = base / "support"
            client_home.mkdir()
            yield TcpStack(
                base=base,
                env=child_env(client_home),
                sim=sim,
                agent=agent,
                address=f"tcp://127.0.0.1:{port}",
                token_file=token_file,
                wrong_token_file=private_file(client_home / "wrong.token", WRONG_TOKEN),
            )
        finally:
            group.stop_all()
            leaks = leaked(group, base)
            assert not leaks, f"a token was written out: {leaks}"


def leaked(group: ProcessGroup, base: Path) -> list[str]:
    """Where a token shows: a process's stdout, or any file but the token files (logs, state, audit)."""
    places = [proc.name for proc in group.procs if any(TOKEN in line for line in proc.lines)]
    for path in base.rglob("*"):
        if path.is_file() and not path.name.endswith(".token"):
            data = path.read_bytes()
            places += [str(path) for token in (TOKEN, WRONG_TOKEN) if token.encode() in data]
    return places


def cli(stack: TcpStack, *args: str) -> tuple[int, str, str]:
    result = run_cli(*args, env=stack.env, cwd=stack.base)
    for token in (TOKEN, WRONG_TOKEN):
        assert token not in result.stdout + result.stderr, "the token was printed"
    assert "Traceback" not in result.stderr, result.stderr
    return result.returncode, result.stdout, result.stderr


def one_line(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, f"expected one line on stderr, got:\n{stderr}"
    assert lines[0].startswith("synctui: "), lines[0]
    return lines[0]


def expected_exit(sim: Simulator) -> int:
    counts = sim.counts()
    if counts["conflicts"]:
        return 2
    return 1 if any(counts.values()) else 0


def test_status_over_tcp_with_the_token_exits_per_verdict(stack: TcpStack) -> None:
    code, out, err = cli(stack, "--agent", stack.address, "--token-file", str(stack.token_file), "status")
    assert code == expected_exit(stack.sim) == 2, out + err
    assert out.startswith("Overall: ATTENTION (clinic ATTENTION)"), out


def test_options_after_the_verb_and_other_verbs_over_tcp(stack: TcpStack) -> None:
    options = ("--agent", stack.address, "--token-file", str(stack.token_file))
    code, out, err = cli(stack, "status", "--json", *options)
    assert code == 2, out + err
    assert '"verdict": "attention"' in out
    code, out, err = cli(stack, "queue", "ls", "clinic", "conflicts", *options)
    assert code == 0, out + err
    assert out.strip(), "queue ls printed nothing"
    code, out, err = cli(stack, *options, "audit")
    assert code == 0, out + err


def test_a_wrong_token_is_refused_with_exit_4(stack: TcpStack) -> None:
    for verb in (["status"], ["queue", "ls", "clinic", "outbox"], ["sync", "clinic"], ["audit"]):
        code, out, err = cli(
            stack, "--agent", stack.address, "--token-file", str(stack.wrong_token_file), *verb
        )
        assert code == REFUSED, (verb, out, err)
        assert "refused: wrong or missing token" in one_line(err), err
        assert stack.address in err


def test_the_dashboard_on_a_refusing_or_absent_agent_says_so_and_embeds_nothing(stack: TcpStack) -> None:
    code, out, err = cli(stack, "--agent", stack.address, "--token-file", str(stack.wrong_token_file))
    assert code == REFUSED, out + err
    assert "refused: wrong or missing token" in one_line(err)
    nobody = f"tcp://127.0.0.1:{free_port()}"
    code, out, err = cli(stack, "--agent", nobody, "--token-file", str(stack.token_file), "dashboard")
    assert code == UNREACHABLE, out + err
    assert "cannot reach the agent at " + nobody in one_line(err)
    runtime = Path(stack.env["XDG_RUNTIME_DIR"])
    assert not list(runtime.rglob("*.sock")), "the dashboard started an agent of its own"


def test_the_unix_socket_still_works_without_a_token(stack: TcpStack) -> None:
    env = {**stack.env, "SYNCTUI_CONFIG": str(stack.agent.config)}
    result = run_cli("status", env=env, cwd=stack.base)
    assert result.returncode == expected_exit(stack.sim) == 2, result.stdout + result.stderr
    assert result.stdout.startswith("Overall: ATTENTION")
    response = stack.agent.get("/v1/state")  # no Authorization header at all
    assert response.status_code == 200


def test_a_private_token_file_is_required(stack: TcpStack) -> None:
    shared = stack.base / "support" / "shared.token"
    shared.write_text(TOKEN + "\n", encoding="utf-8")
    shared.chmod(0o644)
    code, out, err = cli(stack, "--agent", stack.address, "--token-file", str(shared), "status")
    assert code == USAGE, out + err
    assert "other users can read it" in one_line(err)
