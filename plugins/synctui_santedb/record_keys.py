"""Which records a queued payload sends, by key: what Re-Submit To Server reads of each outbox entry to
leave waiting records out of its request and to count what it queued."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

from .reading import GUID


class Unreadable(ValueError):
    """A payload whose records cannot be told."""


def record_keys(text: str) -> set[str]:
    """The keys (lower case) of the records a queued payload sends: a Bundle's items (`resource` in
    SanteDB JSON, `item` in OpenIZ's, `<item>` elements in XML), a Patch's `appliesTo`, else the object
    itself. Raises Unreadable when the payload is neither JSON nor XML."""
    stripped = text.lstrip()
    if stripped.startswith("<"):
        return _xml_keys(stripped)
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        raise Unreadable("neither JSON nor XML") from None
    if not isinstance(data, dict):
        raise Unreadable("not a JSON object")
    items = [i for name in ("resource", "item") if isinstance(data.get(name), list) for i in data[name]]
    if data.get("$type") == "Patch" and isinstance(data.get("appliesTo"), dict):
        items = [data["appliesTo"]]  # a Patch is about the object it applies to
    objects = items if items or data.get("$type") == "Bundle" else [data]
    keys = {o["id"].lower() for o in objects if isinstance(o, dict) and isinstance(o.get("id"), str)}
    return {k for k in keys if GUID.match(k)}


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _xml_keys(text: str) -> set[str]:
    try:
        root = ET.fromstring(text)
    except ET.ParseError:
        raise Unreadable("malformed XML") from None
    objects = (
        [c for c in root if _local(c.tag) in ("item", "resource")] if _local(root.tag) == "Bundle" else [root]
    )
    keys = set()
    for obj in objects:
        for child in obj:
            if _local(child.tag) == "id" and child.text and GUID.match(child.text.strip()):
                keys.add(child.text.strip().lower())
    return keys
