"""Consistent pseudonyms for host names, IP addresses and user names (`--pseudonymise`), as `sos clean`
does: the same name always becomes the same pseudonym, across bundles, and the map that turns them back
stays on the device (in the state folder, mode 0600), never in a bundle."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

MAP_FILE = "bundle-pseudonyms.json"
KINDS = ("host", "ip", "user")
_IPV4 = re.compile(r"(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?![\w.])")
_URL_HOST = re.compile(r"\b[a-z][a-z0-9+.-]*://(?:[^\s/@\"'<>]*@)?([A-Za-z0-9.-]+)", re.IGNORECASE)
_LOOPBACK = {"localhost", "127.0.0.1", "0.0.0.0"}
# Values of these fields are the product's own words (queue kinds, categories, states), never names.
_OWN_FIELDS = frozenset({"queue", "kind", "original_queue", "category", "state", "level", "code", "action"})


class Pseudonyms:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.map: dict[str, dict[str, str]] = {kind: {} for kind in KINDS}
        try:
            loaded = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            loaded = {}
        for kind in KINDS:
            known = loaded.get(kind) if isinstance(loaded, dict) else None
            if isinstance(known, dict):
                self.map[kind].update({str(k): str(v) for k, v in known.items()})

    def add(self, kind: str, names: Iterable[str | None]) -> None:
        for name in names:
            if name and name not in _LOOPBACK and name not in self.map[kind]:
                self.map[kind][name] = f"{kind}-{len(self.map[kind]) + 1}"

    def learn(self, text: str) -> None:
        """Add the IP addresses and the host names of URLs found in `text`."""
        self.add("ip", _IPV4.findall(text))
        self.add("host", (h for h in _URL_HOST.findall(text) if not _IPV4.fullmatch(h)))

    def text(self, text: str) -> str:
        self.learn(text)
        for kind in KINDS:
            for name in sorted(self.map[kind], key=len, reverse=True):
                if name in text:
                    text = re.sub(rf"(?<![\w.-]){re.escape(name)}(?![\w-])", self.map[kind][name], text)
        return text

    def data(self, data: Any, field: str = "") -> Any:
        """`text` on every string value of JSON-like data, except the product's own words."""
        if isinstance(data, str):
            return data if field in _OWN_FIELDS else self.text(data)
        if isinstance(data, list):
            return [self.data(item, field) for item in data]
        if isinstance(data, dict):
            return {key: self.data(value, str(key)) for key, value in data.items()}
        return data

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        temp = self.path.with_name(self.path.name + ".tmp")
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(self.map, out, indent=2, sort_keys=True)
        os.replace(temp, self.path)
