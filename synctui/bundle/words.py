"""What the CLI and the dialog say about a bundle, in the same words."""

from __future__ import annotations

from synctui.bundle.parts import PARTS_BY_NAME
from synctui.bundle.write import Written


def size_text(size: int) -> str:
    if size < 1024:
        return f"{size} bytes"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KiB"
    return f"{size / 1024 / 1024:.2f} MiB"


def spoken_id(bundle_id: str) -> str:
    """The id in two groups of five, easier to read out over the phone."""
    return f"{bundle_id[:5]}-{bundle_id[5:]}" if len(bundle_id) == 10 else bundle_id


def written_lines(written: Written) -> list[str]:
    lines = [
        f"Bug report written: {written.path} ({size_text(written.size)}, {written.files} files"
        f"{', encrypted with age' if written.encrypted else ''})",
        f"Bundle id: {spoken_id(written.bundle_id)} — read it to support over the phone",
    ]
    lines += [f"Left out: {name} — {PARTS_BY_NAME[name].loss}" for name in written.left_out]
    return lines
