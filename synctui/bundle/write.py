"""Packing a bundle: the parts the user keeps, a manifest (each file, its size, sha256 and why it is
there; each part left out and what support loses), one .tar.gz, encrypted with age when asked."""

from __future__ import annotations

import hashlib
import io
import json
import os
import tarfile
from dataclasses import dataclass
from pathlib import Path

from synctui import __version__
from synctui.bundle import age, layout
from synctui.bundle.build import Prepared
from synctui.bundle.parts import PARTS_BY_NAME


@dataclass(frozen=True)
class Written:
    path: Path
    size: int
    bundle_id: str
    encrypted: bool
    files: int
    left_out: list[str]  # parts that had something and were left out


def manifest(prepared: Prepared, include: set[str]) -> dict[str, object]:
    kept = {name: data for name, (part, data) in prepared.files.items() if part in include}
    return {
        "format": layout.FORMAT,
        "bundle_id": prepared.bundle_id,
        "created": prepared.created.isoformat(),
        "synctui": __version__,
        "pseudonymised": prepared.pseudonymised,
        "files": [
            {
                "file": name,
                "part": prepared.files[name][0],
                "size": len(data),
                "sha256": hashlib.sha256(data).hexdigest(),
                "why": PARTS_BY_NAME[prepared.files[name][0]].why,
            }
            for name, data in sorted(kept.items())
        ],
        "left_out": [
            {"part": name, "loss": PARTS_BY_NAME[name].loss} for name in left_out(prepared, include)
        ],
        "notes": [note.english for note in prepared.notes],
    }


def pack(prepared: Prepared, include: set[str]) -> bytes:
    """The .tar.gz: everything under one folder named after the bundle id, manifest first."""
    top = f"synctui-bug-{prepared.bundle_id}"
    files = {layout.MANIFEST: json.dumps(manifest(prepared, include), indent=1).encode()}
    files.update({name: data for name, (part, data) in sorted(prepared.files.items()) if part in include})
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz", compresslevel=6) as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(f"{top}/{name}")
            info.size = len(data)
            info.mode = 0o600
            info.mtime = int(prepared.created.timestamp())
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def write(prepared: Prepared, include: set[str], output: Path, *, encrypt_to: str | None = None) -> Written:
    """Write the bundle (mode 0600: it describes the device) and say what was written. ValueError
    (one line) for a recipient that is not an age or SSH public key; OSError when it cannot be written."""
    data = pack(prepared, include)
    if encrypt_to:
        data = age.encrypt(data, encrypt_to)
    output.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    temp = output.with_name(f".{output.name}.tmp")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temp, output)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    kept = sum(1 for part, _ in prepared.files.values() if part in include)
    return Written(
        output, len(data), prepared.bundle_id, bool(encrypt_to), kept + 1, left_out(prepared, include)
    )


def left_out(prepared: Prepared, include: set[str]) -> list[str]:
    return [name for name in prepared.parts() if name not in include]
