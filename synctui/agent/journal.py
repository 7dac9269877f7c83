"""Append-only JSON-lines files, rotated by size: the audit log and the archive of discarded entries.

What only grows does not belong in TinyDB (which rewrites its whole file on each write).

An append is all-or-nothing: the whole record is written (short writes are continued), fsynced, and
checked (the file grew by exactly the record's bytes); on any failure the file is cut back to its size
before the append and `JournalError` (an OSError) is raised, so the change the record protects can be
refused. A record always starts on a fresh line, whatever the previous one held. One record has a size
bound: the audit log shortens long fields with a marker, the archive refuses the record.

Reading never fails: a torn or undecodable line (a crash mid-write, a tear inside a multi-byte
character, JSON that is not an object) is skipped and counted, and a record glued onto a torn line by
an older version is recovered.
"""

from __future__ import annotations

import errno
import io
import json
import logging
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO, Literal

log = logging.getLogger(__name__)

KiB = 1024
MiB = 1024 * KiB
TAIL_WINDOW = 64 * KiB  # the first bite of a limited read, from the end of a file
SHORTENED = "…[shortened: {} more {}]"
# (longest string kept, most items of a list or object kept, deepest nesting kept), tried in turn
SHORTEN_STEPS = ((4096, 200, 24), (1024, 50, 12), (256, 20, 8), (64, 8, 4), (16, 4, 2))
DISK_FULL = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG}
RECORD_START = b'{"'


class JournalError(OSError):
    """An append that did not happen (nothing of it is on disk). `str()` is one line for people, e.g.
    "the archive could not be written (disk full?)"."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(code, message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class Journal:
    def __init__(
        self,
        path: Path,
        *,
        max_bytes: int = 1_000_000,
        keep: int | None = 10,
        max_record: int = 64 * KiB,
        oversize: Literal["shorten", "refuse"] = "shorten",
        label: str | None = None,
    ) -> None:
        """`keep=None` never deletes rotated files (the archive: nothing discarded is ever lost).

        `max_record` bounds one record's bytes: with `oversize="shorten"` long strings, lists and
        objects are cut with a marker until it fits; with "refuse" the append raises JournalError."""
        self.path = path
        self.max_bytes = max_bytes
        self.keep = keep
        self.max_record = max_record
        self.oversize = oversize
        self.label = label or f"the journal {path.name}"
        self.skipped = 0  # unreadable lines met by the last read()
        self._warned: int | None = None
        self._lock = threading.Lock()
        path.parent.mkdir(parents=True, exist_ok=True)

    # --- writing ----------------------------------------------------------------------------------

    def append(self, record: dict[str, Any]) -> None:
        """Write `record` durably as one line, or raise JournalError with nothing written."""
        data = self.encode(record)
        with self._lock:
            try:
                self._rotate_if_needed(len(data) + 1)
            except OSError as exc:
                raise self._error(exc) from None
            self._append_bytes(data)

    def encode(self, record: dict[str, Any]) -> bytes:
        """The record's line (with its newline), within the size bound."""
        if self.oversize == "refuse":
            if _estimate(record, self.max_record) > self.max_record:
                raise self._too_big()
            try:
                data = _dumps(record)
            except (RecursionError, ValueError, TypeError) as exc:
                raise JournalError(
                    errno.EINVAL, f"{self.label} could not be written: the record cannot be encoded ({exc})"
                ) from None
            if len(data) > self.max_record:
                raise self._too_big(len(data))
            return data
        data = None
        if _estimate(record, self.max_record) <= self.max_record:
            try:
                data = _dumps(record)
            except (RecursionError, ValueError, TypeError):
                data = None
            if data is not None and len(data) <= self.max_record:
                return data
        for strings, items, depth in SHORTEN_STEPS:
            try:
                data = _dumps(_shorten(record, strings, items, depth))
            except (RecursionError, ValueError, TypeError):
                continue
            if len(data) <= self.max_record:
                return data
        # Nothing left to shorten that fits: keep that it happened, not what it held.
        return _dumps({"shortened": f"a record of more than {self.max_record} bytes was cut"})

    def _too_big(self, size: int | None = None) -> JournalError:
        got = f" ({_human(size)})" if size else ""
        return JournalError(
            errno.EFBIG,
            f"{self.label} could not be written: the record is too large{got}, "
            f"at most {_human(self.max_record)}",
        )

    def _error(self, exc: OSError) -> JournalError:
        if isinstance(exc, JournalError):
            return exc
        if exc.errno in DISK_FULL:
            return JournalError(exc.errno, f"{self.label} could not be written (disk full?)")
        reason = exc.strerror or str(exc) or type(exc).__name__
        return JournalError(exc.errno or errno.EIO, f"{self.label} could not be written ({reason})")

    def _append_bytes(self, data: bytes) -> None:
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o600)
        except OSError as exc:
            raise self._error(exc) from None
        try:
            before = os.fstat(fd).st_size
            if before and os.pread(fd, 1, before - 1) != b"\n":
                data = b"\n" + data  # the last line was torn: never glue this record onto it
            try:
                _write_all(fd, data)
                os.fsync(fd)
                after = os.fstat(fd).st_size
                if after != before + len(data):
                    raise OSError(errno.EIO, f"the file grew by {after - before} bytes, not {len(data)}")
            except OSError as exc:
                self._cut_back(fd, before)
                raise self._error(exc) from None
        finally:
            os.close(fd)
        if before == 0:
            _fsync_dir(self.path.parent)  # a new file (first append, or after a rotation)

    def _cut_back(self, fd: int, size: int) -> None:
        try:
            os.ftruncate(fd, size)
            os.fsync(fd)
        except OSError as exc:
            # The torn line stays; readers skip it and the next append starts on a fresh line.
            log.error("%s: could not cut back a failed append: %s", self.path, exc.strerror or exc)

    def _rotate_if_needed(self, incoming: int) -> None:
        try:
            size = self.path.stat().st_size
        except FileNotFoundError:
            return
        if size == 0 or size + incoming <= self.max_bytes:
            return
        rotated = self._rotated()
        for n, p in reversed(rotated):
            if self.keep is not None and n >= self.keep:
                p.unlink(missing_ok=True)
            else:
                os.replace(p, self._name(n + 1))
        os.replace(self.path, self._name(1))
        _fsync_dir(self.path.parent)

    def _name(self, n: int) -> Path:
        return self.path.with_name(f"{self.path.name}.{n}")

    def _rotated(self) -> list[tuple[int, Path]]:
        found = []
        for p in self.path.parent.glob(f"{self.path.name}.*"):
            suffix = p.name.rsplit(".", 1)[-1]
            if suffix.isdigit():
                found.append((int(suffix), p))
        return sorted(found)

    # --- reading ----------------------------------------------------------------------------------

    def read(self, limit: int | None = None) -> list[dict[str, Any]]:
        """Newest last; with `limit`, only the newest `limit` records. Never raises on content."""
        if not limit:
            return list(self.scan())
        skipped = 0
        # Newest file first, from its end, so that a `limit` stops before older files are read at all.
        chunks: list[list[dict[str, Any]]] = []
        held = 0
        for handle in self._open(newest_first=True):
            with handle:
                lines = _tail(handle, limit - held, self._max_line)
            found = [record for record in lines if record is not None]
            skipped += len(lines) - len(found)
            chunks.append(found)
            held += len(found)
            if held >= limit:
                break
        self._report_skipped(skipped)
        return [record for chunk in reversed(chunks) for record in chunk][-limit:]

    def scan(self) -> Iterator[dict[str, Any]]:
        """Every record, oldest first, one at a time (a caller that keeps little holds little).
        Never raises on content."""
        skipped = 0
        for handle in self._open(newest_first=False):
            with handle:
                for record in _records(handle, self._max_line):
                    if record is None:
                        skipped += 1
                    else:
                        yield record
        self._report_skipped(skipped)

    @property
    def _max_line(self) -> int:
        return self.max_record + 2 * KiB

    def _open(self, *, newest_first: bool) -> Iterator[BinaryIO]:
        paths = [self.path] + [p for _, p in self._rotated()]
        for p in paths if newest_first else reversed(paths):
            try:
                yield p.open("rb")
            except FileNotFoundError:
                continue
            except OSError as exc:
                log.warning("%s: cannot read %s: %s", self.label, p, exc.strerror or exc)

    def _report_skipped(self, skipped: int) -> None:
        self.skipped = skipped
        if skipped and skipped != self._warned:
            log.warning(
                "%s: skipped %d unreadable line(s) in %s (torn by a crash or damaged)",
                self.label,
                skipped,
                self.path.name,
            )
        self._warned = skipped or None


def _tail(handle: BinaryIO, wanted: int, max_line: int) -> list[dict[str, Any] | None]:
    """The last `wanted` records of a file, with the unreadable lines among them, read from its end:
    a limited read costs what it returns, not the file's size. The window grows until it holds
    enough whole lines or the whole file."""
    size = handle.seek(0, os.SEEK_END)
    window = TAIL_WINDOW
    while True:
        start = max(0, size - window)
        handle.seek(start)
        data = handle.read(size - start)
        if start:
            first_end = data.find(b"\n")  # the window's first line may have begun before it
            data = data[first_end + 1 :] if first_end != -1 else b""
        lines = list(_records(io.BytesIO(data), max_line))
        held = 0
        for i in range(len(lines) - 1, -1, -1):
            held += lines[i] is not None
            if held == wanted:
                return lines[i:]
        if start == 0:
            return lines
        window *= 4


def _records(handle: BinaryIO, max_line: int) -> Iterator[dict[str, Any] | None]:
    """Each line's record, or None for a line that holds none."""
    while True:
        line = handle.readline(max_line)
        if not line:
            return
        if not line.endswith(b"\n") and len(line) >= max_line:
            while line and not line.endswith(b"\n"):  # longer than any record we write: skip it
                line = handle.readline(max_line)
            yield None
            continue
        line = line.strip()
        if not line:
            continue
        record = _parse(line)
        if record is not None:
            yield record
            continue
        yield None  # the torn or damaged start
        # An older version could glue the next record onto a torn line: recover it.
        start = line.find(RECORD_START, 1)
        while start != -1:
            record = _parse(line[start:])
            if record is not None:
                yield record
                break
            start = line.find(RECORD_START, start + 1)


def _parse(line: bytes) -> dict[str, Any] | None:
    try:
        record = json.loads(line.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return None
    return record if isinstance(record, dict) else None


def _dumps(record: Any) -> bytes:
    text = json.dumps(record, separators=(",", ":"), ensure_ascii=False, default=str)
    # A lone surrogate ("\ud800") cannot be UTF-8: write it as the JSON escape it came from, which
    # reads back as the same string.
    return text.encode("utf-8", "backslashreplace") + b"\n"


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        n = os.write(fd, view)
        if n <= 0:
            raise OSError(errno.ENOSPC, "no space left on device")
        view = view[n:]


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _estimate(value: Any, budget: int) -> int:
    """A cheap lower bound of the encoded size, that stops counting past `budget`."""
    total = 0
    stack = [value]
    while stack and total <= budget:
        item = stack.pop()
        if isinstance(item, str):
            total += len(item) + 2
        elif isinstance(item, dict):
            total += 2 + len(item)
            for k, v in item.items():
                total += len(k) if isinstance(k, str) else 8
                if total > budget:
                    break
                stack.append(v)
        elif isinstance(item, (list, tuple)):
            total += 2 + len(item)
            stack.extend(item[: max(0, budget - total + 1)])
        elif isinstance(item, (bytes, bytearray)):
            total += len(item)
        else:
            total += 8
    return total


def _shorten(value: Any, strings: int, items: int, depth: int) -> Any:
    if isinstance(value, str):
        if len(value) > strings:
            return value[:strings] + SHORTENED.format(len(value) - strings, "characters")
        return value
    if isinstance(value, dict):
        if depth <= 0:
            return SHORTENED.format(len(value), "keys")
        out: dict[str, Any] = {}
        for i, (k, v) in enumerate(value.items()):
            if i >= items:
                out["…"] = SHORTENED.format(len(value) - items, "keys")
                break
            out[_shorten(str(k), strings, items, depth)] = _shorten(v, strings, items, depth - 1)
        return out
    if isinstance(value, (list, tuple)):
        if depth <= 0:
            return [SHORTENED.format(len(value), "items")]
        kept = [_shorten(v, strings, items, depth - 1) for v in value[:items]]
        if len(value) > items:
            kept.append(SHORTENED.format(len(value) - items, "items"))
        return kept
    if isinstance(value, (int, float, bool)) or value is None:
        return value
    return _shorten(str(value), strings, items, depth)


def _human(size: int) -> str:
    if size >= MiB:
        return f"{size / MiB:.0f} MiB" if size % MiB == 0 else f"{size / MiB:.1f} MiB"
    if size >= KiB:
        return f"{size / KiB:.0f} KiB"
    return f"{size} bytes"
