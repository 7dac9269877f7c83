"""`synctui bug-report` as a subprocess against a real agent and SanteDB simulator: the bundle holds the
device's state and never the backend password; bad options and damaged bundles end in one line."""

from __future__ import annotations

import base64
import json
import tarfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from .stack import PASSWORD, Stack, run_cli, running_stack

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(240)]


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    with running_stack() as running:
        yield running


def one_line(stderr: str) -> str:
    assert "Traceback" not in stderr
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    return lines[0]


def test_bug_report_writes_the_agents_state_without_the_password(stack: Stack) -> None:
    output = stack.base / "report.tar.gz"
    result = run_cli(
        "--config",
        str(stack.config),
        "bug-report",
        "--output",
        str(output),
        env=stack.env,
        cwd=stack.base,
        timeout=180,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith(f"Bug report written: {output} (")
    bundle_id = result.stdout.splitlines()[1].removeprefix("Bundle id: ").split()[0].replace("-", "")
    with tarfile.open(output, "r:gz") as tar:
        files = {m.name.partition("/")[2]: tar.extractfile(m).read() for m in tar if m.isfile()}
    manifest = json.loads(files["manifest.json"])
    assert manifest["bundle_id"] == bundle_id
    state = json.loads(files["state.json"])
    assert [v["snapshot"]["backend"] for v in state["state"]["backends"]] == ["clinic"]
    assert "screens/clinic-dashboard-120x40.svg" in files
    assert "rejections/clinic.json" in files  # the simulator starts with entries in conflict
    secrets = (PASSWORD.encode(), base64.b64encode(PASSWORD.encode()))
    for name, data in files.items():
        assert not any(secret in data for secret in secrets), name


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--exclude", "pictures"], "synctui: --exclude: unknown part 'pictures'"),
        (["--encrypt-to", "age1notakey"], "synctui: --encrypt-to: 'age1notakey' is not an age public key"),
    ],
)
def test_bad_options_are_one_line(stack: Stack, args: list[str], says: str) -> None:
    result = run_cli("--config", str(stack.config), "bug-report", *args, env=stack.env, cwd=stack.base)
    assert result.returncode == 2
    assert one_line(result.stderr).startswith(says)


def test_open_a_truncated_bundle_is_one_line(stack: Stack, tmp_path: Path) -> None:
    broken = tmp_path / "broken.tar.gz"
    broken.write_bytes(b"\x1f\x8b\x08\x00" + b"\x00" * 20)
    result = run_cli("open", str(broken), env=stack.env, cwd=stack.base)
    assert result.returncode == 1
    assert one_line(result.stderr).startswith(f"synctui: {broken} is not a readable support bundle: ")
