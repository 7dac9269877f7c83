"""Opening a bundle: decrypt when needed, read the .tar.gz without extracting it, check every file
against the manifest, decode the device's state. Any damage is one BundleError line."""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from synctui.bundle import age, layout
from synctui.bundle.contents import BundleError, Contents, from_files
from synctui.i18n import _

MAX_FILE = 64 * 1024 * 1024
MAX_TOTAL = 256 * 1024 * 1024


@dataclass
class OpenedBundle:
    manifest: dict[str, Any]
    contents: Contents

    @property
    def bundle_id(self) -> str:
        return str(self.manifest.get("bundle_id", "?"))


def open_bundle(path: Path, identity: Path | None = None) -> OpenedBundle:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise BundleError(_("cannot read it: {error}").format(error=exc.strerror or exc)) from None
    if age.is_encrypted(data):
        if identity is None:
            raise BundleError(_("it is encrypted: give the key that opens it with --identity FILE"))
        try:
            data = age.decrypt(data, identity)
        except ValueError as exc:
            raise BundleError(str(exc)) from None
    files = _members(data)
    manifest = _json(files, layout.MANIFEST)
    if not isinstance(manifest, dict) or manifest.get("format") != layout.FORMAT:
        raise BundleError(_("its manifest is missing or of a format this synctui does not know"))
    _check(manifest, files)
    decoded = {
        name: _json(files, name) for name in files if name.endswith(".json") and name != layout.MANIFEST
    }
    return OpenedBundle(manifest, from_files(decoded))


def _members(data: bytes) -> dict[str, bytes]:
    """{name inside the bundle's folder: content} of its regular files."""
    files: dict[str, bytes] = {}
    total = 0
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
            for member in tar:
                if not member.isfile():
                    continue
                if member.size > MAX_FILE or total + member.size > MAX_TOTAL:
                    raise BundleError(
                        _("{name} is larger than any bundle synctui writes").format(name=member.name)
                    )
                total += member.size
                reader = tar.extractfile(member)
                name = member.name.partition("/")[2]
                files[name] = reader.read() if reader is not None else b""
    except (tarfile.TarError, EOFError, zlib.error, OSError) as exc:
        raise BundleError(
            _("it is truncated or damaged ({error})").format(error=exc or type(exc).__name__)
        ) from None
    if not files:
        raise BundleError(_("it holds no files"))
    return files


def _json(files: dict[str, bytes], name: str) -> Any:
    if name not in files:
        raise BundleError(_("it has no {name}").format(name=name))
    try:
        return json.loads(files[name])
    except (ValueError, UnicodeDecodeError) as exc:
        raise BundleError(_("{name} is not valid JSON ({error})").format(name=name, error=exc)) from None


def _check(manifest: dict[str, Any], files: dict[str, bytes]) -> None:
    listed = manifest.get("files")
    if not isinstance(listed, list):
        raise BundleError(_("its manifest lists no files"))
    for item in listed:
        name = item.get("file") if isinstance(item, dict) else None
        if name not in files:
            raise BundleError(
                _("{name} is listed in the manifest but missing (truncated?)").format(name=name)
            )
        if hashlib.sha256(files[name]).hexdigest() != item.get("sha256"):
            raise BundleError(
                _("{name} does not match its checksum in the manifest (damaged)").format(name=name)
            )
