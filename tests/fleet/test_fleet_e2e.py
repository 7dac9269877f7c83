"""Three real `synctui agent` processes on SanteDB simulators and a real Prometheus: two push with remote
write (one of them through a link that is cut for a while, then replays), one is scraped over TCP with
its bearer token, as docs/fleet.md says. Then `synctui fleet --json` sees the three devices."""

from __future__ import annotations

import itertools
import json
import os
import time
from pathlib import Path

import pytest

from tests.e2e.stack import (
    ProcessGroup,
    child_env,
    run_cli,
    short_temp_dir,
    start_agent_process,
    start_simulator,
    wait_until,
    write_config,
)

from .conftest import need_prometheus
from .link import Link
from .prometheus_server import free_port, running_prometheus

pytestmark = pytest.mark.e2e
TOKEN = "fleet-scrape-token-never-shown"
INTERVAL = 1.0


def scrape_config(port: int, token_file: Path) -> str:
    return f"""  - job_name: synctui
    scrape_interval: 1s
    authorization:
      credentials_file: {token_file}
    static_configs:
      - targets: ["127.0.0.1:{port}"]"""


def sample_times(prom, device: str, seconds: int) -> list[float]:
    found = prom.query(f'synctui_agent_info{{device="{device}"}}[{seconds}s]')
    return [float(t) for t, _ in found[0]["values"]] if found else []


def test_three_agents_reach_prometheus_and_an_offline_one_replays(tmp_path):
    need_prometheus()
    with short_temp_dir() as base:
        group = ProcessGroup(child_env(base), base)
        try:
            token_file = base / "token"
            token_file.write_text(TOKEN)
            os.chmod(token_file, 0o600)
            tcp_port = free_port()
            with running_prometheus(
                tmp_path / "prom", scrape_configs=[scrape_config(tcp_port, token_file)]
            ) as prom:
                link = Link(prom.port, free_port())
                link.up()
                devices = {
                    "dev-a": {"push": {"url": prom.write_url, "interval": INTERVAL}},
                    "dev-b": {
                        "push": {"url": f"http://127.0.0.1:{link.port}/api/v1/write", "interval": INTERVAL}
                    },
                    "dev-c": {"tcp": f"127.0.0.1:{tcp_port}", "token_file": str(token_file)},
                }
                for name, extra in devices.items():
                    folder = base / name
                    folder.mkdir()
                    sim = start_simulator(group, folder, "--no-traffic")
                    config = write_config(
                        folder / "config.toml",
                        socket_path=folder / "agent.sock",
                        state_dir=folder / "state",
                        backends=[sim.backend("clinic")],
                        agent_extra={"device": name, "labels": {"site": f"site-{name[-1]}"}, **extra},
                    )
                    start_agent_process(group, config, folder / "agent.sock")

                def all_three() -> bool:
                    found = {r["metric"]["device"] for r in prom.query("synctui_device:verdict:max")}
                    return found >= set(devices)

                wait_until(all_three, 60, "the three devices in the recording rules")

                link.cut()
                cut_at = time.time()
                time.sleep(6 * INTERVAL)
                link.up()
                back_at = time.time()
                wait_until(
                    lambda: max(sample_times(prom, "dev-b", 60), default=0) > back_at, 30, "dev-b's replay"
                )
                times = sample_times(prom, "dev-b", 60)
                offline = [t for t in times if cut_at + 0.5 < t < back_at - 0.5]
                assert len(offline) >= 3, (cut_at, back_at, times)  # taken while the link was down
                assert times == sorted(set(times))  # in order, none twice
                gaps = [b - a for a, b in itertools.pairwise(times)]
                assert max(gaps) < 3 * INTERVAL + 1, gaps  # no hole where the link was down

                scraped = prom.query('synctui_verdict{device="dev-c"}')
                assert scraped and scraped[0]["metric"]["job"] == "synctui"

                done = run_cli(
                    "fleet", "--prometheus", prom.url, "--json", env=group.env, cwd=base, timeout=30
                )
                rows = json.loads(done.stdout)
                assert {r["device"] for r in rows} == set(devices), done.stderr
                assert {r["labels"]["site"] for r in rows} == {"site-a", "site-b", "site-c"}
                assert all(r["last_seen"] is not None for r in rows)
                assert TOKEN not in done.stdout + done.stderr
                link.cut()
        finally:
            group.stop_all()
