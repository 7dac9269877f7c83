"""httpx without its command-line tool.

`import httpx` also imports `httpx._main` (click, rich.syntax, pygments: ~40 ms and ~4 MiB) whenever
those are installed, as they are beside textual and uvicorn. synctui never uses that tool, so its
import is marked as unavailable first and httpx falls back to a stub `main`. Import httpx from here.
"""

from __future__ import annotations

import sys

sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]

import httpx  # noqa: E402

__all__ = ["httpx"]
