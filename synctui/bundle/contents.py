"""A bundle's data as the model's objects, and back: `to_files` gives the JSON files a bundle holds,
`from_files` reads them again (for `synctui open`, and for the screenshots, drawn from the cleaned data)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from synctui.bundle import layout
from synctui.bundle.collect import Collected
from synctui.i18n import _
from synctui.model import (
    AgentState,
    DecodeError,
    EntryDetail,
    EntryPage,
    PluginInfo,
    QueueEntry,
    QueueKind,
    from_data,
    to_data,
)


class BundleError(Exception):
    """The bundle cannot be read; the message says why in one line."""


@dataclass
class Contents:
    taken_at: datetime  # the dashboard's clock when the bundle was made: the opened one stands still there
    description: str  # where the dashboard's agent was ("embedded agent", a socket, tcp://…)
    readonly: bool  # whether that dashboard was read-only (its screenshots show what it offered)
    state: AgentState
    errors: dict[str, str] = field(default_factory=dict)  # what the agent could not give
    pages: dict[tuple[str, QueueKind], EntryPage] = field(default_factory=dict)
    conflicts: dict[str, list[QueueEntry]] = field(default_factory=dict)
    conflicts_total: dict[str, int | None] = field(default_factory=dict)
    details: dict[str, dict[str, EntryDetail]] = field(default_factory=dict)
    audit: list[dict[str, Any]] | None = None
    plugins: list[PluginInfo] = field(default_factory=list)


def to_files(
    found: Collected, *, taken_at: datetime, description: str, readonly: bool, plugins: list[PluginInfo]
) -> dict[str, tuple[str, Any]]:
    """{file: (part, JSON data)} of everything collected."""
    files: dict[str, tuple[str, Any]] = {
        layout.STATE: (
            "state",
            {
                "taken_at": taken_at.isoformat(),
                "description": description,
                "readonly": readonly,
                "errors": dict(found.errors),
                "state": to_data(found.state) if found.state is not None else None,
            },
        ),
        layout.PLUGINS_JSON: ("plugins", to_data(plugins)),
    }
    for (backend, kind), page in found.pages.items():
        files[layout.queue_page(backend, kind)] = ("queues", {"backend": backend, "page": to_data(page)})
    for backend, entries in found.conflicts.items():
        files[layout.rejections(backend)] = (
            "rejections",
            {"backend": backend, "total": found.conflicts_total.get(backend), "entries": to_data(entries)},
        )
    files.update(payload_files(found))
    if found.audit is not None:
        files[layout.AUDIT] = ("audit", found.audit)
    return files


def payload_files(found: Collected) -> dict[str, tuple[str, Any]]:
    """{file: ("payloads", JSON data)} of the conflicted records' contents read."""
    return {
        layout.payloads(backend): ("payloads", {"backend": backend, "entries": to_data(details)})
        for backend, details in found.details.items()
    }


def from_files(files: dict[str, Any]) -> Contents:
    """The objects of a bundle's JSON files ({name: data}); BundleError when one does not fit."""
    head = files.get(layout.STATE)
    if not isinstance(head, dict):
        raise BundleError(_("it holds no device state (the state part was left out when it was made)"))
    if head.get("state") is None:
        why = (head.get("errors") or {}).get("state") or _("the agent did not answer")
        raise BundleError(_("it holds no device state: {why}").format(why=why))
    try:
        contents = Contents(
            taken_at=from_data(datetime, head.get("taken_at")),
            description=str(head.get("description", "")),
            readonly=bool(head.get("readonly", False)),
            state=from_data(AgentState, head["state"]),
            errors={str(k): str(v) for k, v in (head.get("errors") or {}).items()},
            plugins=from_data(list[PluginInfo], files.get(layout.PLUGINS_JSON, [])),
        )
        audit = files.get(layout.AUDIT)
        contents.audit = audit if isinstance(audit, list) else None
        for name, data in files.items():
            if name.startswith("queues/") and name.endswith(".json"):
                page = from_data(EntryPage, data["page"])
                kind = QueueKind(name.rsplit("/", 1)[1].removesuffix(".json"))
                contents.pages[str(data["backend"]), kind] = page
            elif name.startswith("rejections/"):
                backend = str(data["backend"])
                contents.conflicts[backend] = from_data(list[QueueEntry], data["entries"])
                total = data.get("total")
                contents.conflicts_total[backend] = total if isinstance(total, int) else None
            elif name.startswith("payloads/"):
                details = from_data(list[EntryDetail], data["entries"])
                contents.details[str(data["backend"])] = {d.entry.id: d for d in details}
    except (DecodeError, KeyError, TypeError, ValueError) as exc:
        raise BundleError(
            _("its data does not have the expected shape ({error})").format(error=exc)
        ) from None
    return contents
