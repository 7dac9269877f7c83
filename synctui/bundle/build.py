"""Making a bundle: collect from the agent, let plugins redact each file, pseudonymise when asked,
remove every secret, draw the screenshots from the cleaned data. `prepare` gathers everything (the
dialog then shows each part's size; the conflicted records' contents it only samples, to say about how
big they are, and reads them when the user keeps them); `synctui.bundle.write` packs the parts kept."""

from __future__ import annotations

import asyncio
import json
import secrets
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from synctui.bundle import device, layout, screenshots
from synctui.bundle.clean import Scrubber
from synctui.bundle.client import BundleClient
from synctui.bundle.collect import Collected, collect, read_payloads
from synctui.bundle.contents import from_files, payload_files, to_files
from synctui.bundle.parts import PARTS
from synctui.bundle.pseudonyms import MAP_FILE, Pseudonyms
from synctui.client_interface import AgentClient
from synctui.config import Config
from synctui.i18n import N_, _

if TYPE_CHECKING:
    from synctui.plugins import Registry

ID_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"  # no 0/O, 1/I/L, U: read over the phone without doubt
ID_LENGTH = 10
PAYLOAD_SAMPLE = 20  # conflicted records read per backend to tell about how big all their contents are


def new_bundle_id() -> str:
    return "".join(secrets.choice(ID_ALPHABET) for _ in range(ID_LENGTH))


@dataclass
class Sources:
    """Where a bundle's data comes from besides the agent: this device's config and plugins, and how
    the dashboard looked (its agent, read-only flag, theme, terminal size, clock)."""

    config: Config
    registry: Registry
    description: str
    now: datetime
    readonly: bool = False
    theme: str | None = None
    terminal: tuple[int, int] | None = None


@dataclass
class UnreadPayloads:
    """The conflicted records' contents, not read yet. `estimate`: about how many bytes they make, from
    the `sampled` records read (None: none could be read)."""

    records: int
    sampled: int
    estimate: int | None
    client: AgentClient = field(repr=False)
    found: Collected = field(repr=False)
    cleaner: _Cleaner = field(repr=False)


class Note(NamedTuple):
    """Something that could not be collected: in English in the manifest, in the user's language on screen."""

    template: str  # marked with N_()
    values: dict[str, str]

    @property
    def english(self) -> str:
        return self.template.format(**self.values)

    def shown(self) -> str:
        return _(self.template).format(**self.values)


@dataclass
class Prepared:
    bundle_id: str
    created: datetime
    files: dict[str, tuple[str, bytes]]  # name → (part, content), cleaned
    pseudonymised: bool
    notes: list[Note] = field(default_factory=list)  # what could not be collected
    agent_answered: bool = True  # False: the agent could not be reached, the bundle holds no state
    unread_payloads: UnreadPayloads | None = None  # `read_payloads` reads them when they are kept

    def size(self, part: str) -> int | None:
        """Its bytes before compression; for unread payloads the estimate (None: not known)."""
        if part == "payloads" and self.unread_payloads is not None:
            return self.unread_payloads.estimate
        return sum(len(data) for owner, data in self.files.values() if owner == part)

    def estimated(self, part: str) -> bool:
        return part == "payloads" and self.unread_payloads is not None

    def parts(self) -> list[str]:
        """The parts that hold something."""
        return [part.name for part in PARTS if self.size(part.name) != 0]

    async def read_payloads(self) -> None:
        """Read the conflicted records' contents left unread, cleaned as the rest of the bundle."""
        unread = self.unread_payloads
        if unread is None:
            return
        await read_payloads(unread.client, unread.found)
        self.files.update(unread.cleaner.json_files(payload_files(unread.found)))
        self.notes += _notes({k: v for k, v in unread.found.errors.items() if k.endswith("/payloads")})
        unread.cleaner.save()
        self.unread_payloads = None


async def prepare(
    client: AgentClient,
    sources: Sources,
    *,
    payloads: bool,
    pseudonymise: bool,
    apart: bool = False,
    payloads_later: bool = False,
) -> Prepared:
    """Everything a bundle may hold, cleaned. `apart`: draw the screenshots on a thread of their own
    (from inside a running dashboard). `payloads_later` (instead of `payloads`): read only a sample of
    the conflicted records' contents, to say about how big they are; `Prepared.read_payloads` reads
    them all."""
    bundle_id = new_bundle_id()
    found = await collect(client, payloads=payloads)
    if payloads_later:
        await read_payloads(client, found, first=PAYLOAD_SAMPLE)
    plugins = sources.registry.plugins
    cleaner = _Cleaner(sources, pseudonymise)
    data_files = to_files(
        found,
        taken_at=sources.now,
        description=sources.description,
        readonly=sources.readonly,
        plugins=plugins,
    )
    data_files[layout.VERSIONS] = ("versions", device.versions(plugins))
    data_files[layout.CONFIG] = ("config", device.config_data(sources.config))
    cleaned = {name: (part, cleaner.data(part, name, data)) for name, (part, data) in data_files.items()}

    texts = {layout.PLUGINS_TEXT: ("plugins", device.plugins_text(plugins))}
    for name, tail in device.log_tails(sources.config.agent.state_dir).items():
        texts[layout.LOGS + name] = ("logs", tail)
    if found.state is not None:  # screenshots of the state: none without one
        texts.update(await _screenshots(cleaned, sources, bundle_id, apart=apart))

    files = {name: (part, _json_bytes(data)) for name, (part, data) in cleaned.items()}
    files.update(
        {name: (part, cleaner.text(part, name, text).encode()) for name, (part, text) in texts.items()}
    )
    cleaner.save()
    unread = _unread(files, found, client, cleaner) if payloads_later else None
    notes = _notes(found.errors)
    if not any(name.startswith(layout.LOGS) for name in files):
        notes.append(
            Note(
                N_("no log found in {folder} (a standalone agent logs to its stderr)"),
                {"folder": str(sources.config.agent.state_dir)},
            )
        )
    return Prepared(bundle_id, sources.now, files, pseudonymise, notes, found.state is not None, unread)


def _unread(
    files: dict[str, tuple[str, bytes]], found: Collected, client: AgentClient, cleaner: _Cleaner
) -> UnreadPayloads | None:
    """Unless the sample read every record: the sample's files taken out, and what they tell of all."""
    records = sum(len(entries) for entries in found.conflicts.values())
    sampled = sum(len(details) for details in found.details.values())
    if sampled == records:
        return None
    estimate: int | None = 0
    for backend, entries in found.conflicts.items():
        _, data = files.pop(layout.payloads(backend), ("payloads", b""))
        read = len(found.details.get(backend, []))
        if entries and not read:
            estimate = None
        elif estimate is not None and read:
            estimate += len(data) * len(entries) // read
    for backend in found.conflicts:
        found.errors.pop(f"{backend}/payloads", None)  # a sample's failures: the full read says its own
    return UnreadPayloads(records, sampled, estimate, client, found, cleaner)


def _notes(errors: dict[str, str]) -> list[Note]:
    return [
        Note(N_("not collected: {what}: {why}"), {"what": what, "why": why}) for what, why in errors.items()
    ]


async def _screenshots(
    cleaned: dict[str, tuple[str, Any]], sources: Sources, bundle_id: str, *, apart: bool
) -> dict[str, tuple[str, str]]:
    """The screens drawn from the cleaned data, through the same client `synctui open` uses."""
    contents = from_files({name: data for name, (_, data) in cleaned.items()})
    shown = BundleClient(contents, contents.description, opened=False)  # cleaned, as the rest
    at = screenshots.sizes(sources.terminal)
    title = f"synctui bug report {bundle_id}"
    if apart:
        return await asyncio.to_thread(
            screenshots.render_apart, shown, at, readonly=sources.readonly, theme=sources.theme, title=title
        )
    return await screenshots.render(shown, at, readonly=sources.readonly, theme=sources.theme, title=title)


class _Cleaner:
    """Each file, in this order: the plugins' `synctui_redact` hook, pseudonyms, secret removal."""

    def __init__(self, sources: Sources, pseudonymise: bool) -> None:
        self.registry = sources.registry
        self.scrubber = Scrubber(device.secrets(sources.config))
        self.pseudonyms: Pseudonyms | None = None
        if pseudonymise:
            self.pseudonyms = Pseudonyms(sources.config.agent.state_dir / MAP_FILE)
            hosts, users = device.names(sources.config)
            self.pseudonyms.add("host", hosts)
            self.pseudonyms.add("user", users)

    def _redact(self, part: str, name: str, content: Any) -> Any:
        result = self.registry.redact({"part": part, "file": name, "content": content})
        return result.get("content", content) if isinstance(result, dict) else content

    def data(self, part: str, name: str, data: Any) -> Any:
        data = self._redact(part, name, data)
        if self.pseudonyms is not None:
            data = self.pseudonyms.data(data)
        return self.scrubber.data(data)

    def json_files(self, files: dict[str, tuple[str, Any]]) -> dict[str, tuple[str, bytes]]:
        return {
            name: (part, _json_bytes(self.data(part, name, data))) for name, (part, data) in files.items()
        }

    def save(self) -> None:
        if self.pseudonyms is not None:
            self.pseudonyms.save()

    def text(self, part: str, name: str, text: str) -> str:
        text = self._redact(part, name, text)
        text = text if isinstance(text, str) else str(text)
        if self.pseudonyms is not None:
            text = self.pseudonyms.text(text)
        return self.scrubber.text(text)


def _json_bytes(data: Any) -> bytes:
    return json.dumps(data, indent=1, ensure_ascii=False).encode()


def default_output(state_dir: Path, bundle_id: str, created: datetime) -> Path:
    return state_dir / "bug-reports" / f"synctui-bug-{created:%Y%m%d-%H%M}-{bundle_id}.tar.gz"
