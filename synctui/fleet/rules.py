"""The rules file synctui ships for Prometheus (recording rules for the fleet screen, alerts)."""

from __future__ import annotations

from importlib import resources


def rules_text() -> str:
    return resources.files("synctui.fleet").joinpath("rules.yml").read_text(encoding="utf-8")
