"""A real Prometheus for the fleet tests and the benchmark: Debian's `prometheus` on a free loopback port,
a temporary TSDB, the remote-write receiver on, synctui's rules loaded, out-of-order samples accepted
for 30 days (replays of long offline periods). Nothing mocks it.

Used by tests/fleet (fixture in conftest.py) and tests/bench/bench_fleet.py.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import ssl
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

from synctui.fleet.rules import rules_text
from tests.e2e.stack import LOOPBACK, free_port

__all__ = ["free_port"]  # for the fleet tests
MISSING = "prometheus is not installed (Debian: apt-get install prometheus; .ci/run installs it)"


def binaries_present() -> bool:
    return shutil.which("prometheus") is not None and shutil.which("promtool") is not None


def config_text(evaluation_interval: str, scrape_configs: list[str]) -> str:
    scrapes = "\n".join(scrape_configs)
    return f"""global:
  scrape_interval: 1s
  evaluation_interval: {evaluation_interval}
rule_files: [rules.yml]
storage:
  tsdb:
    out_of_order_time_window: 30d
scrape_configs:
{scrapes or "  []"}
"""


class Prometheus:
    """`web_config`: the text of a --web.config.file (basic_auth_users, tls_server_config); `auth` and
    `ca_file` are then what this helper itself uses to reach it."""

    def __init__(
        self,
        folder: Path,
        *,
        evaluation_interval: str = "1s",
        scrape_configs: list[str] | None = None,
        web_config: str | None = None,
        auth: tuple[str, str] | None = None,
        ca_file: Path | None = None,
    ):
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "rules.yml").write_text(rules_text(), encoding="utf-8")
        (folder / "prometheus.yml").write_text(
            config_text(evaluation_interval, scrape_configs or []), encoding="utf-8"
        )
        self.port = free_port()
        scheme = "https" if web_config and "tls_server_config" in web_config else "http"
        self.url = f"{scheme}://{LOOPBACK}:{self.port}"
        self.http: dict[str, Any] = {
            "auth": auth,
            "verify": ssl.create_default_context(cafile=str(ca_file)) if ca_file else True,
        }
        command = [
            "prometheus",
            f"--config.file={folder / 'prometheus.yml'}",
            f"--storage.tsdb.path={folder / 'tsdb'}",
            f"--web.listen-address={LOOPBACK}:{self.port}",
            "--web.enable-remote-write-receiver",
            "--storage.tsdb.retention.time=60d",
        ]
        if web_config is not None:
            (folder / "web.yml").write_text(web_config, encoding="utf-8")
            command.append(f"--web.config.file={folder / 'web.yml'}")
        self.log = (folder / "prometheus.log").open("wb")
        self.proc = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            cwd=folder,
            start_new_session=True,
        )
        self._wait_ready(60.0)

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"prometheus exited ({self.proc.returncode}):\n{self.output()}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{self.url}/-/ready", timeout=1.0, **self.http).status_code == 200:
                    return
            time.sleep(0.1)
        raise RuntimeError(f"prometheus not ready within {timeout:g} s:\n{self.output()}")

    @property
    def write_url(self) -> str:
        return f"{self.url}/api/v1/write"

    def output(self) -> str:
        self.log.flush()
        return (self.folder / "prometheus.log").read_text(errors="replace")[-4000:]

    def query(self, promql: str, at: float | None = None) -> list[dict[str, Any]]:
        params: dict[str, Any] = {"query": promql}
        if at is not None:
            params["time"] = at
        response = httpx.get(f"{self.url}/api/v1/query", params=params, timeout=30.0, **self.http)
        response.raise_for_status()
        return response.json()["data"]["result"]

    def rss_bytes(self) -> int:
        with open(f"/proc/{self.proc.pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
        return 0

    def disk_bytes(self) -> int:
        return sum(f.stat().st_size for f in (self.folder / "tsdb").rglob("*") if f.is_file())

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.log.close()


@contextlib.contextmanager
def running_prometheus(folder: Path, **kw: Any) -> Iterator[Prometheus]:
    server = Prometheus(folder, **kw)
    try:
        yield server
    finally:
        server.stop()


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"
