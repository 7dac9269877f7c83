"""`python -m synctui_santedb.simulator` as a real process on a loopback port."""

from __future__ import annotations

import json
import selectors
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

pytestmark = pytest.mark.e2e


def _start(*args: str) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "synctui_santedb.simulator", "--port", "0", "--no-traffic", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    with selectors.DefaultSelector() as sel:  # bounded wait for the ready line
        sel.register(proc.stdout, selectors.EVENT_READ)
        ready = sel.select(timeout=15)
    line = proc.stdout.readline() if ready else ""
    if not line.startswith("listening on http://127.0.0.1:"):
        proc.kill()
        raise AssertionError(f"no ready line: {line!r} {proc.communicate(timeout=5)}")
    return proc, line.split()[-1]


def _stop(proc: subprocess.Popen[str]) -> str:
    proc.terminate()
    try:
        _, err = proc.communicate(timeout=5)
    except subprocess.TimeoutExpired:
        proc.kill()
        _, err = proc.communicate(timeout=5)
    return err


def test_real_socket_round_trip_and_reset(tmp_path: Path) -> None:
    state_file = tmp_path / "dcdr.json"
    proc, url = _start("--state-file", str(state_file), "--username", "nurse", "--password", "pw-1")
    try:
        with httpx.Client(base_url=url, timeout=5) as client:
            form = {
                "grant_type": "password",
                "username": "nurse",
                "password": "pw-1",
                "client_id": "t",
                "scope": "*",
            }
            token = client.post("/auth/oauth2_token", data=form).json()["access_token"]
            headers = {"Authorization": f"Bearer {token}"}
            counts = client.get("/app/Queue", headers=headers).json()
            assert counts == json.loads(state_file.read_text())["counts"]
            entry = client.post("/__sim/enqueue", json={"queue": "out"}).json()
            assert json.loads(state_file.read_text())["queues"]["out"][-1]["id"] == entry["id"]
            client.post("/__sim/faults", json={"rate": 1.0, "kinds": ["reset"]})
            with pytest.raises(httpx.TransportError):
                client.get("/app/Queue", headers=headers)
            client.post("/__sim/faults", json={"rate": 0.0})
            assert client.get("/app/Queue", headers=headers).status_code == 200
    finally:
        err = _stop(proc)
    assert "Traceback" not in err and "Exception in ASGI" not in err and "pw-1" not in err
    # the injected reset is logged in one line (as it is expected, not as an error with a traceback)
    assert [line.split(" ", 2)[2] for line in err.splitlines()] == ["injected fault reset: GET '/app/Queue'"]


def test_refuses_remote_host() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "synctui_santedb.simulator", "--host", "0.0.0.0", "--port", "0"],
        capture_output=True,
        text=True,
        timeout=20,
    )
    assert result.returncode != 0 and "--allow-remote" in result.stderr


def test_help_documents_default_credentials() -> None:
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "synctui_santedb.simulator", "--help"],
        capture_output=True,
        text=True,
        timeout=20,
    )
    assert "demo" in result.stdout and time.monotonic() - started < 20
