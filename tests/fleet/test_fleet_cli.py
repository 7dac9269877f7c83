"""`synctui fleet --json`, `--stuck` and `fleet gate` on a generated fleet in a real Prometheus: exit
codes are the worst level of the selected devices, 0 only when every one is SAFE."""

from __future__ import annotations

import json

import pytest

from synctui.cli import main

from .generator import device_name, is_silent
from .prometheus_server import free_port

STUCK = {device_name(i) for i in range(30) if i % 7 == 3 and not is_silent(i)}


@pytest.mark.parametrize(
    ("labels", "code"),
    [
        (["--label", "site=site-01"], 0),  # one device, safe
        (["--label", "site=site-03"], 2),  # stuck
        (["--label", "site=site-06"], 1),  # records queued, moving
        ([], 3),  # a silent device among them: not known
        (["--label", "site=nowhere"], 3),  # nothing selected is never "safe"
    ],
)
def test_gate_exits_with_the_worst_level(generated_fleet, capsys, labels, code):
    prom, _ = generated_fleet
    assert main(["fleet", "gate", "--prometheus", prom.url, *labels]) == code
    if code == 0:
        assert "1 of 1 device safe" in capsys.readouterr().out


def test_gate_without_prometheus_is_unknown_and_bad_labels_are_usage(capsys):
    assert main(["fleet", "gate", "--prometheus", f"http://127.0.0.1:{free_port()}"]) == 3
    assert "cannot reach" in capsys.readouterr().err
    assert main(["fleet", "gate", "--prometheus", "http://x", "--label", "site"]) == 2
    assert "--label expects NAME=VALUE" in capsys.readouterr().err
    assert main(["fleet", "gate", "--prometheus", "http://x", "--label", 'a"b=c']) == 2


def test_stuck_lists_exactly_the_stuck_devices(generated_fleet, capsys):
    prom, _ = generated_fleet
    main(["fleet", "--prometheus", prom.url, "--stuck", "--json"])
    rows = json.loads(capsys.readouterr().out)
    assert {r["device"] for r in rows} == STUCK
    assert all("queue stuck" in r["diagnosis"] for r in rows)


def test_json_is_riskiest_first_and_unknown_is_null_not_zero(generated_fleet, capsys):
    prom, _ = generated_fleet
    assert main(["fleet", "--prometheus", prom.url, "--json"]) == 3
    rows = json.loads(capsys.readouterr().out)
    assert len(rows) == 30
    risks = [r["risk"] for r in rows]
    assert risks[0] == max(risks) > 0
    silent = next(r for r in rows if r["device"] == device_name(12))
    assert silent["level"] == "unknown" and silent["reported_level"] == "waiting"
    assert "silent 3d" in silent["diagnosis"]
    never = next(r for r in rows if r["device"] == device_name(10))
    assert never["last_full_sync"] == "never"
    calm = next(r for r in rows if r["device"] == device_name(1))
    assert calm["oldest_pending"] is None and calm["unsent"] == 0
