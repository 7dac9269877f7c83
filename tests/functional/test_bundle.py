"""The support bundle end to end in one process: contents and manifest, no secret in any file in any
encoding, the redact hook on every file, parts left out, pseudonyms, age round trip, damaged bundles."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import re
import tarfile
from pathlib import Path
from urllib.parse import quote

import pyrage
import pytest

from synctui.bundle import layout
from synctui.bundle.build import PAYLOAD_SAMPLE, prepare
from synctui.bundle.contents import BundleError
from synctui.bundle.parts import DEFAULT_PARTS, PARTS
from synctui.bundle.reader import open_bundle
from synctui.bundle.words import written_lines
from synctui.bundle.write import write
from synctui.hookspecs import hookimpl
from synctui.model import QueueKind
from synctui.plugins import load_plugins
from tests.functional.bundle_fakes import (
    CANARIES,
    PATIENT,
    PIN,
    LeakyAgent,
    canary_config,
    make_bundle,
    sources,
    write_log,
)

ALL_PARTS = {part.name for part in PARTS}
BASE64_RUN = re.compile(rb"[A-Za-z0-9+/_-]{8,}")


def members(path: Path) -> dict[str, bytes]:
    with tarfile.open(path, "r:gz") as tar:
        return {m.name.partition("/")[2]: tar.extractfile(m).read() for m in tar if m.isfile()}


def decodings(data: bytes) -> list[bytes]:
    """`data`, and every base64 run in it decoded at each alignment (standard and URL-safe)."""
    found = [data]
    for run in BASE64_RUN.findall(data):
        for start in range(4):
            chunk = run[start:]
            chunk = chunk[: len(chunk) - len(chunk) % 4]
            for alt in (None, b"-_"):
                try:
                    found.append(base64.b64decode(chunk, altchars=alt))
                except ValueError:
                    continue
    return found


@pytest.fixture
def device(tmp_path, monkeypatch):
    monkeypatch.setenv("SYNCTUI_PIN", PIN)
    state_dir = tmp_path / "state"
    write_log(state_dir)
    return canary_config(state_dir)


async def test_bundle_holds_every_part_with_a_manifest_that_checks(device, tmp_path) -> None:
    prepared = await make_bundle(LeakyAgent(), device)
    written = write(prepared, ALL_PARTS, tmp_path / "b.tar.gz")
    files = members(written.path)
    manifest = json.loads(files[layout.MANIFEST])
    assert manifest["bundle_id"] == written.bundle_id and manifest["format"] == layout.FORMAT
    listed = {item["file"]: item for item in manifest["files"]}
    assert set(listed) == set(files) - {layout.MANIFEST}
    for name, item in listed.items():
        assert item["size"] == len(files[name])
        assert item["sha256"] == hashlib.sha256(files[name]).hexdigest()
        assert item["why"]
    assert {item["part"] for item in listed.values()} == ALL_PARTS
    assert manifest["left_out"] == []
    for backend in ("santedb", "msupply"):
        for size in ((80, 24), (120, 40)):
            assert layout.dashboard_screen(backend, size) in files
    assert "screens/santedb-dashboard-80x24.svg" in files
    for size in ((80, 24), (120, 40)):  # the user's terminal size and support's
        assert layout.queue_screen("santedb", QueueKind.CONFLICTS, size) in files
    rejections = json.loads(files[layout.rejections("santedb")])
    assert rejections["total"] == 3 and len(rejections["entries"]) == 3
    assert all(e["rejection"]["code"] == "INCORRECT_PASSWORD" for e in rejections["entries"])
    state = json.loads(files[layout.STATE])
    assert [v["snapshot"]["backend"] for v in state["state"]["backends"]] == ["santedb", "msupply"]
    config = json.loads(files[layout.CONFIG])
    assert config["backends"][0]["password"] == "[removed]" and config["agent"]["admin_pin"] == "set"
    assert config["backends"][0]["options"] == {"api_key": "[removed]", "site": "3"}
    versions = json.loads(files[layout.VERSIONS])
    assert {"synctui", "python", "textual", "os", "plugins"} <= set(versions)
    assert (
        "BROKEN" not in files[layout.PLUGINS_TEXT].decode() or "error" in files[layout.PLUGINS_JSON].decode()
    )
    assert b"login failed" in files["logs/synctui.log"]


async def test_no_canary_secret_in_any_file_in_any_encoding(device, tmp_path) -> None:
    prepared = await make_bundle(LeakyAgent(), device)
    path = write(prepared, ALL_PARTS, tmp_path / "b.tar.gz").path
    files = members(path)
    assert len(files) > 20
    assert_no_canary(files)
    assert b"[removed]" in files["logs/synctui.log"]


def assert_no_canary(files: dict[str, bytes]) -> None:
    for name, data in files.items():
        for text in decodings(data):
            for canary in CANARIES:
                for form in (canary, quote(canary, safe=""), canary.replace("-", "&#160;")):
                    assert form.encode() not in text, f"{canary} in {name}"


class PatientNames:
    """A plugin that strips a family name from whatever part it finds it in."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, str]] = []

    @hookimpl
    def synctui_redact(self, data):
        self.seen.append((data["part"], data["file"]))
        content = json.dumps(data["content"]) if not isinstance(data["content"], str) else data["content"]
        if PATIENT not in content:
            return None
        cleaned = content.replace(PATIENT, "[patient]")
        return {**data, "content": cleaned if isinstance(data["content"], str) else json.loads(cleaned)}


async def test_the_redact_hook_is_called_for_every_file_and_what_it_strips_is_gone(device, tmp_path) -> None:
    registry = load_plugins()
    hook = PatientNames()
    seen = hook.seen
    registry.manager.register(hook, name="patient-names")
    prepared = await make_bundle(LeakyAgent(), device, registry=registry)
    files = members(write(prepared, ALL_PARTS, tmp_path / "b.tar.gz").path)
    assert {name for _, name in seen} == set(files) - {layout.MANIFEST}
    assert {part for part, _ in seen} == ALL_PARTS
    assert all(PATIENT.encode() not in data for data in files.values())
    assert b"[patient]" in files[layout.payloads("santedb")]


async def test_parts_left_out_are_not_in_it_and_the_manifest_says_what_support_loses(
    device, tmp_path
) -> None:
    prepared = await make_bundle(LeakyAgent(), device)
    include = set(DEFAULT_PARTS) - {"screenshots", "logs"}
    written = write(prepared, include, tmp_path / "b.tar.gz")
    files = members(written.path)
    assert not any(name.startswith(("screens/", "logs/", "payloads/")) for name in files)
    assert any(name.startswith("queues/screens/") for name in files)
    manifest = json.loads(files[layout.MANIFEST])
    left = {item["part"]: item["loss"] for item in manifest["left_out"]}
    assert set(left) == {"screenshots", "logs", "payloads"}
    assert left["logs"] == "support cannot read the errors that were logged"
    lines = written_lines(written)
    assert lines[0].startswith(f"Bug report written: {written.path} (")
    assert (
        lines[1]
        == f"Bundle id: {written.bundle_id[:5]}-{written.bundle_id[5:]} — read it to support over the phone"
    )
    assert "Left out: payloads — support cannot read the refused records themselves" in lines


async def test_payloads_only_when_collected(device, tmp_path) -> None:
    client = LeakyAgent()
    prepared = await make_bundle(client, device, payloads=False)
    assert "payloads" not in prepared.parts()
    assert not any(call[0] == "entry" for call in client.calls)


async def test_pseudonyms_replace_hosts_addresses_and_users_everywhere(device, tmp_path) -> None:
    prepared = await make_bundle(LeakyAgent(), device, pseudonymise=True)
    files = members(write(prepared, ALL_PARTS, tmp_path / "b.tar.gz").path)
    for name, data in files.items():
        for real in (b"clinic-7.health.example", b"nurse.amina", b"192.0.2.15"):
            assert real not in data, f"{real!r} in {name}"
    assert b"host-" in files[layout.CONFIG] and b"user-" in files[layout.CONFIG]
    saved = json.loads((device.agent.state_dir / "bundle-pseudonyms.json").read_text())
    assert saved["host"]["clinic-7.health.example"].startswith("host-")
    assert json.loads(files[layout.MANIFEST])["pseudonymised"] is True


async def test_age_round_trip_with_a_generated_key(device, tmp_path) -> None:
    identity = pyrage.x25519.Identity.generate()
    key_file = tmp_path / "support.key"
    key_file.write_text(f"# support\n{identity}\n")
    prepared = await make_bundle(LeakyAgent(), device, payloads=False)
    written = write(
        prepared, set(DEFAULT_PARTS), tmp_path / "b.tar.gz.age", encrypt_to=str(identity.to_public())
    )
    data = written.path.read_bytes()
    assert written.encrypted and data.startswith(b"age-encryption.org/v1")
    assert b"manifest.json" not in data
    plain = pyrage.decrypt(data, [identity])
    with tarfile.open(fileobj=io.BytesIO(plain), mode="r:gz") as tar:
        assert tar.getmember(f"synctui-bug-{written.bundle_id}/{layout.MANIFEST}").size > 0
    opened = open_bundle(written.path, key_file)
    assert opened.bundle_id == written.bundle_id
    with pytest.raises(BundleError, match="encrypted: give the key"):
        open_bundle(written.path)
    other = tmp_path / "other.key"
    other.write_text(f"{pyrage.x25519.Identity.generate()}\n")
    with pytest.raises(BundleError, match="does not open this bundle"):
        open_bundle(written.path, other)


def test_a_recipient_that_is_no_key_is_one_line() -> None:
    from synctui.bundle.age import recipient

    with pytest.raises(ValueError, match=r"^--encrypt-to: 'age1nope' is not an age public key"):
        recipient("age1nope")


async def test_without_an_agent_the_bundle_says_so_and_cannot_be_opened(device, tmp_path) -> None:
    prepared = await make_bundle(LeakyAgent(unavailable="no agent is running (socket not found)"), device)
    assert not prepared.agent_answered
    assert "not collected: state: no agent is running (socket not found)" in [
        n.english for n in prepared.notes
    ]
    assert not any(part == "screenshots" for part, _ in prepared.files.values())
    written = write(prepared, set(DEFAULT_PARTS), tmp_path / "b.tar.gz")
    assert {"config", "logs", "versions", "plugins"} <= {
        item["part"] for item in json.loads(members(written.path)[layout.MANIFEST])["files"]
    }
    with pytest.raises(BundleError, match="holds no device state: no agent is running"):
        open_bundle(written.path)


async def test_payloads_read_later_are_cleaned_as_the_rest(device, tmp_path) -> None:
    """The dialog samples the records' contents, and reads them all only when they are kept: that read
    goes through the redact hook and the secret removal too."""
    agent = LeakyAgent(queue_sizes={QueueKind.OUTBOX: 3, QueueKind.CONFLICTS: PAYLOAD_SAMPLE * 3})
    registry = load_plugins()
    hook = PatientNames()
    registry.manager.register(hook, name="patient-names")
    prepared = await prepare(
        agent, sources(device, registry), payloads=False, payloads_later=True, pseudonymise=False
    )
    assert prepared.unread_payloads is not None and prepared.estimated("payloads")
    assert not any(part == "payloads" for part, _ in prepared.files.values())
    await prepared.read_payloads()
    assert prepared.unread_payloads is None and not prepared.estimated("payloads")
    files = members(write(prepared, ALL_PARTS, tmp_path / "b.tar.gz").path)
    payloads = json.loads(files[layout.payloads("santedb")])
    assert len(payloads["entries"]) == PAYLOAD_SAMPLE * 3
    assert ("payloads", layout.payloads("santedb")) in hook.seen
    assert PATIENT.encode() not in files[layout.payloads("santedb")]
    assert_no_canary(files)
