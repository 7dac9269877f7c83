"""What may leave the device: every known secret removed from a text in every form it can take there
(as written, URL-, JSON- or SVG-escaped, base64 at any alignment), and the usual shapes of credentials
(bearer tokens, `password=` pairs, `user:password@` in URLs) removed even when the value is not known."""

from __future__ import annotations

import base64
import html
import json
import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import quote, quote_plus

REMOVED = "[removed]"
SHORTEST_SECRET = 4  # a shorter "secret" would blank ordinary words all over the bundle

# "[removed]" as a narrow column cuts it ("[rem…"): already removed, not a value to remove again.
_REMOVED_OR_CUT = "|".join(re.escape(REMOVED[:end] + "…") for end in range(1, len(REMOVED))) + r"|\[removed\]"
_SECRET_WORDS = r"password|passwd|pwd|passphrase|secret|token|access_token|refresh_token|api[_-]?key|pin"
_SHAPES = (
    (re.compile(r"(?i)\b(bearer|basic|token)(\s+)[A-Za-z0-9._~+/=-]{6,}"), rf"\1\2{REMOVED}"),
    (re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://[^\s/:@\"'<>]+):[^\s/@\"'<>]+@"), rf"\1:{REMOVED}@"),
    (
        re.compile(
            rf"(?i)(\b(?:{_SECRET_WORDS})\b(?:&quot;|[\"'])?\s*(?:=|:|&#160;)\s*(?:&quot;|[\"'])?)"
            rf"(?!{_REMOVED_OR_CUT})[^\s\"'&,;}}<>]{{1,}}"
        ),
        rf"\1{REMOVED}",
    ),
)


def secret_forms(secret: str) -> set[str]:
    """How `secret` can be written in a log, a JSON document, a URL or an SVG."""
    forms = {secret, quote(secret, safe=""), quote_plus(secret), json.dumps(secret)[1:-1]}
    forms |= {html.escape(form).replace(" ", "&#160;") for form in list(forms)}
    return {form for form in forms if form}


class Scrubber:
    """Removes the device's known secrets, and the common shapes of credentials, from text."""

    def __init__(self, secrets: Iterable[str]) -> None:
        self.secrets = sorted({s for s in secrets if len(s) >= SHORTEST_SECRET}, key=len, reverse=True)
        forms = {form for secret in self.secrets for form in secret_forms(secret)}
        self._forms = sorted(forms, key=len, reverse=True)
        self._cores = sorted({core for secret in self.secrets for core in base64_cores(secret.encode())})
        # base64 of n bytes is at least 4n/3 characters: shorter runs cannot hold a whole secret
        shortest = min((len(secret.encode()) for secret in self.secrets), default=SHORTEST_SECRET)
        self._base64_run = re.compile(rf"[A-Za-z0-9+/_-]{{{max(6, shortest * 4 // 3)},}}={{0,2}}")

    def text(self, text: str) -> str:
        for form in self._forms:
            text = text.replace(form, REMOVED)
        for pattern, replacement in _SHAPES:
            text = pattern.sub(replacement, text)
        if self._cores:
            text = self._base64_run.sub(self._unless_secret_inside, text)
        return text

    def data(self, data: Any) -> Any:
        """`text` on every string (and key) of JSON-like data."""
        if isinstance(data, str):
            return self.text(data)
        if isinstance(data, list):
            return [self.data(item) for item in data]
        if isinstance(data, dict):
            return {self.text(str(key)): self.data(value) for key, value in data.items()}
        return data

    def _unless_secret_inside(self, match: re.Match[str]) -> str:
        run = match.group(0)
        return REMOVED if any(core in run for core in self._cores) else run


def base64_cores(raw: bytes) -> set[str]:
    """What base64 of any text holding `raw` must contain, whatever the alignment: for each of the three
    offsets, the characters that depend on `raw`'s bits alone (standard and URL-safe alphabets)."""
    cores: set[str] = set()
    for offset in range(3):
        encoded = base64.b64encode(bytes(offset) + raw).decode()
        first = -(-8 * offset // 6)  # the first character made only of raw's bits
        last = 8 * (offset + len(raw)) // 6  # one past the last
        core = encoded[first:last]
        cores |= {core, core.replace("+", "-").replace("/", "_")}
    return cores
