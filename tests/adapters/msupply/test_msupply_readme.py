"""The plugin README's config example works as written."""

from __future__ import annotations

import os
import re
from pathlib import Path

import synctui_msupply
from synctui_msupply.options import parse_options

from synctui.config import load_config

README = Path(synctui_msupply.__file__).parent / "README.md"


def test_the_readme_config_example_loads(tmp_path: Path) -> None:
    section = README.read_text().split("## Config", 1)[1]
    example = re.search(r"```toml\n(.*?)```", section, re.S)
    assert example is not None
    path = tmp_path / "config.toml"
    path.write_text(example.group(1))
    os.chmod(path, 0o600)  # the example writes the password in the file
    (backend,) = load_config(path).backends
    assert (backend.name, backend.kind, backend.username) == ("pharmacy", "msupply", "admin")
    options = parse_options(backend)
    assert options.hardware_id and options.site_password and options.database
