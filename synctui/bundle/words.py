"""What the CLI and the dialog say about a bundle, in the same words."""

from __future__ import annotations

from synctui.bundle.parts import PARTS_BY_NAME
from synctui.bundle.write import Written
from synctui.i18n import _, ngettext, number


def size_text(size: int) -> str:
    if size < 1024:
        return ngettext("{n} byte", "{n} bytes", size).format(n=number(size))
    if size < 1024 * 1024:
        return _("{n} KiB").format(n=number(size / 1024, places=1))
    return _("{n} MiB").format(n=number(size / 1024 / 1024, places=2))


def spoken_id(bundle_id: str) -> str:
    """The id in two groups of five, easier to read out over the phone."""
    return f"{bundle_id[:5]}-{bundle_id[5:]}" if len(bundle_id) == 10 else bundle_id


def written_lines(written: Written) -> list[str]:
    files = ngettext("{n} file", "{n} files", written.files).format(n=number(written.files))
    what = f"{size_text(written.size)}, {files}" + (
        ", " + _("encrypted with age") if written.encrypted else ""
    )
    lines = [
        _("Bug report written: {path} ({what})").format(path=written.path, what=what),
        _("Bundle id: {id} — read it to support over the phone").format(id=spoken_id(written.bundle_id)),
    ]
    lines += [
        _("Left out: {part} — {loss}").format(part=name, loss=_(PARTS_BY_NAME[name].loss))
        for name in written.left_out
    ]
    return lines
