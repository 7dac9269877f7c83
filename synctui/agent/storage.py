"""A TinyDB storage that never leaves a torn file, and writes only when asked to.

TinyDB rewrites its whole file on every write, so the agent batches: updates go to memory and
`flush()` writes everything at once through a temp file, fsync and rename. A crash (kill -9, power
cut) leaves either the old file or the new one, never half of each.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import time
from pathlib import Path
from typing import Any

from tinydb.storages import Storage

log = logging.getLogger(__name__)
TEMP_RE = re.compile(r"^\..+\.(\d+)\.tmp$")


class StateFileError(OSError):
    """The state file can be neither read nor set aside; the message is one line."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else "the state file is unusable"


def write_atomically(path: Path, text: str) -> None:
    """Replace `path` with `text` so that readers see the old or the new content, nothing else."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


class AtomicJSONStorage(Storage):
    """JSON storage for TinyDB with in-memory writes and an explicit, atomic `flush()`."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._data: dict[str, dict[str, Any]] | None = None
        self.dirty = False
        self.writes = 0

    def read(self) -> dict[str, dict[str, Any]] | None:
        if self._data is None:
            self._data = self._load()
        return self._data

    def _load(self) -> dict[str, dict[str, Any]] | None:
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return None
        except IsADirectoryError:
            self._set_aside("it is a folder, not a file")
            return None
        except OSError as exc:
            raise StateFileError(f"cannot read the state file {self.path}: {exc.strerror or exc}") from None
        try:
            data = json.loads(raw.decode("utf-8"))
            _check_shape(data)
        except UnicodeDecodeError:
            self._set_aside("not UTF-8 text")
            return None
        except (ValueError, RecursionError) as exc:
            # Cannot happen through our own writes; a disk fault or a hand edit. Keep the evidence.
            self._set_aside(str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__)
            return None
        return data

    def _set_aside(self, reason: str) -> None:
        aside = self.path.with_name(f"{self.path.name}.corrupt-{time.strftime('%Y%m%dT%H%M%S')}")
        n = 1
        while aside.exists() or aside.is_symlink():
            n += 1
            aside = aside.with_name(f"{self.path.name}.corrupt-{time.strftime('%Y%m%dT%H%M%S')}-{n}")
        try:
            os.replace(self.path, aside)
        except OSError as exc:
            raise StateFileError(
                f"the state file {self.path} is unusable ({reason}) and cannot be moved aside: "
                f"{exc.strerror or exc}"
            ) from None
        log.warning("state file %s was unusable (%s); moved to %s, starting empty", self.path, reason, aside)

    def write(self, data: dict[str, dict[str, Any]]) -> None:
        self._data = data
        self.dirty = True

    def flush(self) -> bool:
        """Write pending changes; True when something was written."""
        if not self.dirty or self._data is None:
            return False
        write_atomically(self.path, json.dumps(self._data, separators=(",", ":")))
        self.dirty = False
        self.writes += 1
        return True

    def close(self) -> None:
        """The last flush, on the way out: a failure is one line in the log, not a traceback (the
        state file on disk stays the previous, whole one)."""
        try:
            self.flush()
        except OSError as exc:
            self.dirty = False
            log.error(
                "cannot write the state file %s (%s); its last changes are lost",
                self.path,
                exc.strerror or exc,
            )


def _check_shape(data: Any) -> None:
    """TinyDB's layout: {table: {"doc id": {document}}}; raise ValueError for anything else."""
    if not isinstance(data, dict):
        raise ValueError(f"the top level is {_kind(data)}, not an object of tables")
    for name, table in data.items():
        if not isinstance(table, dict):
            raise ValueError(f"table {name!r} is {_kind(table)}, not an object")
        for doc_id, doc in table.items():
            if not doc_id.isdigit():
                raise ValueError(f"table {name!r} has a document id {doc_id!r} that is not a number")
            if not isinstance(doc, dict):
                raise ValueError(f"document {doc_id} of table {name!r} is {_kind(doc)}, not an object")


def _kind(value: Any) -> str:
    return {list: "a list", str: "a string", int: "a number", float: "a number", bool: "true/false"}.get(
        type(value), "null" if value is None else type(value).__name__
    )


def remove_orphan_temp_files(folder: Path) -> list[Path]:
    """Delete the temp files (`.NAME.PID.tmp`) that a crash left behind; a live process's stay."""
    removed = []
    try:
        entries = list(folder.iterdir())
    except OSError:
        return removed
    for p in entries:
        m = TEMP_RE.match(p.name)
        if not m or not _is_dead(int(m.group(1))):
            continue
        try:
            if p.is_file() or p.is_symlink():
                p.unlink()
                removed.append(p)
        except OSError as exc:
            log.warning("cannot remove the leftover temp file %s: %s", p, exc.strerror or exc)
    if removed:
        log.warning(
            "removed %d temp file(s) left by an earlier crash in %s: %s",
            len(removed),
            folder,
            ", ".join(p.name for p in removed),
        )
    return removed


def _is_dead(pid: int) -> bool:
    if pid == os.getpid():
        return True  # ours, from before a restart in this process: nothing writes it now
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except (PermissionError, OverflowError, ValueError):
        return pid <= 0
    return False
