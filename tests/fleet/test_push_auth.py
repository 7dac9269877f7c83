"""Push and read through a real Prometheus that checks credentials (`--web.config.file`): basic auth
over http, then TLS with a self-signed certificate made here by the openssl CLI.

Wrong credentials or an unverified certificate: one line in the agent's log, the samples kept in the
buffer, none dropped, the secret nowhere; fixed settings then send every kept sample with its own time.
`synctui fleet --prometheus` reads the device with the same credentials and CA, and says in one line
when they are wrong. (Prometheus' web config has no bearer tokens: docs/fleet.md, 2b.)"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import shutil
import subprocess
import time
from datetime import timedelta
from pathlib import Path

import pytest

from synctui.agent.core import Agent
from synctui.agent.metrics import metrics_registry
from synctui.agent.push import FlushResult, Pusher
from synctui.agent.push_buffer import PushBuffer
from synctui.backend import Secret
from synctui.cli import main
from synctui.config_fleet import DeviceIdentity, PushSettings
from synctui.testing import make_snapshot
from tests.agent.conftest import agent_config, registry, static_settings
from tests.e2e.stack import wait_until

from .conftest import need_prometheus
from .prometheus_server import Prometheus, in_ci, running_prometheus

__all__ = ["registry"]
DEVICE = "tab-auth"
USER = "fleet"
PASSWORD = "fleet-pass-7f3q"
# bcrypt of PASSWORD at cost 4 (the lowest: each request checks it), made once with libxcrypt
PASSWORD_HASH = "$2b$04$N.wUWUItWVH6bm6dsND/K.d0wJNsJlSI5iXapa3B5LkCDEbpScJG2"
WRONG_PASSWORD = "not-the-password-3k9"
MINUTE_MS = 60_000
BASIC_AUTH = f"basic_auth_users:\n  {USER}: {PASSWORD_HASH}\n"


def self_signed(folder: Path) -> Path:
    """A certificate for 127.0.0.1 (its own CA) and its key, in `folder`; the certificate's path."""
    if shutil.which("openssl") is None:
        if in_ci():
            pytest.fail("openssl is not installed; the TLS test needs its CLI")
        pytest.skip("openssl is not installed")
    cert, key = folder / "cert.pem", folder / "key.pem"
    new_key = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", str(key)]
    subject = ["-subj", "/CN=synctui test receiver", "-addext", "subjectAltName=IP:127.0.0.1"]
    subprocess.run(
        ["openssl", "req", "-x509", *new_key, "-out", str(cert), "-days", "2", *subject],
        check=True,
        capture_output=True,
        timeout=60,
    )
    return cert


async def flush_with(settings: PushSettings, buffer: Path, state: Path, takes: list[int], plugins) -> tuple:
    """A real agent's series taken at `takes` (ms) into the buffer folder and flushed with `settings`:
    (result, takes left in the buffer, samples dropped)."""
    config = agent_config(state, [static_settings("dcdr")])
    config.agent.identity = DeviceIdentity(DEVICE, {"site": "Kisumu-03"})
    agent = Agent(config, plugins, watch=False)
    agent.services["dcdr"].backend.next = make_snapshot("dcdr", outbox=4)
    await agent.services["dcdr"].refresh_once()
    pusher = Pusher(
        settings,
        metrics_registry(agent),
        PushBuffer(buffer, max_bytes=10 * 1024 * 1024, max_age=timedelta(days=1)),
    )
    try:
        for at in takes:
            pusher.take(at)
        result: FlushResult = await pusher.flush()
        return result, len(pusher.buffer.segments), pusher.buffer.dropped_samples
    finally:
        await pusher.aclose()
        await agent.stop()


def push_warnings(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "synctui.agent.push" and r.levelno >= 30]


def secret_file(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    os.chmod(path, 0o600)
    return path


def kept_then_sent(prom: Prometheus, tmp_path: Path, plugins, refused: PushSettings, right: PushSettings):
    """Two takes refused (kept), then sent with the right settings along with a third."""
    now_ms = int(time.time() * 1000)
    takes = [now_ms - 2 * MINUTE_MS, now_ms - MINUTE_MS]
    buffer = tmp_path / "push"
    result, kept, dropped = asyncio.run(flush_with(refused, buffer, tmp_path / "a", takes, plugins))
    assert result.error and (result.sent_samples, kept, dropped) == (0, 2, 0)
    first = result.error
    result, kept, dropped = asyncio.run(flush_with(right, buffer, tmp_path / "b", [now_ms], plugins))
    assert result.error is None and (kept, dropped) == (0, 0) and result.sent_samples > 0
    stored = prom.query(f'synctui_agent_info{{device="{DEVICE}"}}[5m]')
    assert [round(float(t) * 1000) for t, _ in stored[0]["values"]] == [*takes, now_ms]
    wait_until(
        lambda: prom.query(f'synctui_device:verdict:max{{device="{DEVICE}"}}'), 30, "the recording rules"
    )
    return first


def read_fleet(capsys, prom: Prometheus, *options: str) -> tuple[int, str, str]:
    code = main(["fleet", "--prometheus", prom.url, "--json", *options])
    out, err = capsys.readouterr()
    return code, out, err


def assert_reads_the_device(code: int, out: str) -> None:
    [row] = json.loads(out)
    assert (row["device"], row["labels"]["site"], row["unsent"]) == (DEVICE, "Kisumu-03", 4)
    assert code == {"safe": 0, "waiting": 1, "attention": 2}[row["level"]]


def test_basic_auth_wrong_password_keeps_the_samples_right_one_sends_them(tmp_path, registry, caplog, capsys):
    need_prometheus()
    caplog.set_level(logging.INFO)
    with running_prometheus(tmp_path / "prom", web_config=BASIC_AUTH, auth=(USER, PASSWORD)) as prom:
        error = kept_then_sent(
            prom,
            tmp_path,
            registry,
            PushSettings(url=prom.write_url, username=USER, password=Secret(WRONG_PASSWORD)),
            PushSettings(url=prom.write_url, username=USER, password=Secret(PASSWORD)),
        )
        assert (
            error == "HTTP 401: Unauthorized; samples kept, check [agent.push] username and password or token"
        )
        [warning] = push_warnings(caplog)
        assert "HTTP 401: Unauthorized" in warning and "\n" not in warning
        mistyped = PushSettings(url=f"{prom.url}/api/v1/wirte", username=USER, password=Secret(PASSWORD))
        result, kept, dropped = asyncio.run(
            flush_with(mistyped, tmp_path / "other", tmp_path / "c", [int(time.time() * 1000)], registry)
        )
        assert result.error.startswith("HTTP 404: ") and result.error.endswith("check [agent.push] url")
        assert (kept, dropped) == (1, 0)

        password = secret_file(tmp_path, "password", PASSWORD)
        wrong = secret_file(tmp_path, "wrong", WRONG_PASSWORD)
        user = ["--prometheus-user", USER]
        assert_reads_the_device(
            *read_fleet(capsys, prom, *user, "--prometheus-password-file", str(password))[:2]
        )
        code, out, err = read_fleet(capsys, prom, *user, "--prometheus-password-file", str(wrong))
        assert (code, out) == (3, "")
        assert err == (
            f"synctui: {prom.url} answered HTTP 401: check --prometheus-user and --prometheus-password-file,"
            " or --prometheus-token-file\n"
        )
        code, _, err = read_fleet(capsys, prom)
        assert code == 3 and "HTTP 401" in err
    assert PASSWORD not in caplog.text + err and WRONG_PASSWORD not in caplog.text + err


def test_tls_with_a_private_ca_and_basic_auth(tmp_path, registry, caplog, capsys):
    need_prometheus()
    caplog.set_level(logging.INFO)
    cert = self_signed(tmp_path)
    web = f"tls_server_config:\n  cert_file: {cert}\n  key_file: {tmp_path / 'key.pem'}\n{BASIC_AUTH}"
    with running_prometheus(tmp_path / "prom", web_config=web, auth=(USER, PASSWORD), ca_file=cert) as prom:
        assert prom.url.startswith("https://")
        error = kept_then_sent(
            prom,
            tmp_path,
            registry,
            PushSettings(url=prom.write_url, username=USER, password=Secret(PASSWORD)),  # the system CAs
            PushSettings(url=prom.write_url, username=USER, password=Secret(PASSWORD), ca_file=cert),
        )
        assert error.startswith("ConnectError: [SSL: CERTIFICATE_VERIFY_FAILED]") and "\n" not in error
        password = secret_file(tmp_path, "password", PASSWORD)
        auth = ["--prometheus-user", USER, "--prometheus-password-file", str(password)]
        code, out, _ = read_fleet(capsys, prom, *auth, "--prometheus-ca-file", str(cert))
        assert_reads_the_device(code, out)
        code, out, err = read_fleet(capsys, prom, *auth)
        assert (code, out) == (3, "") and "CERTIFICATE_VERIFY_FAILED" in err and err.count("\n") == 1
    assert PASSWORD not in caplog.text + err
