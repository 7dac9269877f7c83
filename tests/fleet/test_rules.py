"""The rules file `synctui fleet rules` prints is valid (`promtool check rules`) and does what it says
(`promtool test rules` on tests/fleet/rules_test.yml: latches, alerts)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from synctui.cli import main
from synctui.fleet.rules import rules_text

from .conftest import need_prometheus

HERE = Path(__file__).resolve().parent


def test_fleet_rules_prints_the_shipped_file(capsys):
    assert main(["fleet", "rules"]) == 0
    assert capsys.readouterr().out == rules_text()


def test_promtool_checks_and_tests_the_rules(tmp_path):
    need_prometheus()
    (tmp_path / "rules.yml").write_text(rules_text(), encoding="utf-8")
    shutil.copy(HERE / "rules_test.yml", tmp_path / "rules_test.yml")
    for args in (["check", "rules", "rules.yml"], ["test", "rules", "rules_test.yml"]):
        done = subprocess.run(["promtool", *args], cwd=tmp_path, capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stdout + done.stderr
        assert "SUCCESS" in done.stdout
