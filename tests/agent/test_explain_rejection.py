"""The agent asks the plugins' `synctui_explain_rejection` for rejections an adapter left unexplained,
so a site plugin can explain its own business rules; what the adapter explained is served as it was."""

from __future__ import annotations

import sys
import textwrap
from collections.abc import Iterator
from typing import ClassVar

import httpx
import pytest

from synctui.agent.api import create_api
from synctui.model import (
    Capability,
    Category,
    EntryDetail,
    EntryPage,
    QueueEntry,
    QueueKind,
    Rejection,
    from_data,
)
from synctui.plugins import Registry, load_plugins
from synctui.testing import StaticBackend

from .conftest import static_settings

SITE_PLUGIN = """
from synctui.hookspecs import hookimpl
from synctui.model import Category, Rejection

ASKED = []

@hookimpl
def synctui_explain_rejection(kind, raw, status):
    ASKED.append((kind, raw, status))
    if "RULE-17" in raw:
        return Rejection(Category.FIX_DATA, "A household may have at most 12 members.", advice="Split it.")
    if "CRASH" in raw:
        raise RuntimeError("the site plugin has a bug")
    return None
"""


def _entry(id: str, rejection: Rejection) -> QueueEntry:
    return QueueEntry(id, QueueKind.CONFLICTS, "household", "create", rejection=rejection)


ENTRIES = [
    _entry("1", Rejection(Category.UNKNOWN, "The server refused it", status=400, raw="RULE-17 max members")),
    _entry("2", Rejection(Category.CONFLICT, "Changed on the server", raw="RULE-17 as well")),
    _entry("3", Rejection(Category.UNKNOWN, "The server refused it", raw="E-999 no idea")),
    _entry("4", Rejection(Category.UNKNOWN, "The server refused it", raw="CRASH")),
]


class ListingBackend(StaticBackend):
    kind: ClassVar[str] = "static"
    capabilities = frozenset({Capability.ENTRIES})

    async def entries(self, queue, offset=0, limit=50, filter=None) -> EntryPage:
        return EntryPage(ENTRIES[offset : offset + limit], offset, limit, len(ENTRIES))

    async def entry(self, queue, id) -> EntryDetail:
        return EntryDetail(next(e for e in ENTRIES if e.id == id), "{}")


@pytest.fixture
def registry(tmp_path, monkeypatch) -> Iterator[Registry]:
    (tmp_path / "site_rules_plugin.py").write_text(textwrap.dedent(SITE_PLUGIN))
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setenv("SYNCTUI_PLUGINS", "site_rules_plugin")
    reg = load_plugins()
    reg.backends["static"] = ListingBackend
    yield reg
    sys.modules.pop("site_rules_plugin", None)


@pytest.fixture
async def client(make_agent):
    agent = make_agent(static_settings("clinic"))
    transport = httpx.ASGITransport(app=create_api(agent))
    async with httpx.AsyncClient(transport=transport, base_url="http://agent") as http:
        yield http


async def test_an_unexplained_rejection_gets_the_site_plugins_explanation(client) -> None:
    response = await client.get("/v1/backends/clinic/queues/conflicts")
    assert response.status_code == 200
    served = {e.id: e.rejection for e in from_data(EntryPage, response.json()).entries}
    first = served["1"]
    assert first.category == Category.FIX_DATA and first.message.startswith("A household may have")
    assert first.advice == "Split it." and first.raw == "RULE-17 max members" and first.status == 400
    assert served["2"] == ENTRIES[1].rejection  # the adapter explained it: not asked again
    assert served["3"] == ENTRIES[2].rejection  # no plugin knows it: still unknown, as it was
    assert served["4"] == ENTRIES[3].rejection  # the plugin failed: served as the adapter said
    asked = [raw for kind, raw, status in sys.modules["site_rules_plugin"].ASKED if kind == "static"]
    assert asked == ["RULE-17 max members", "E-999 no idea", "CRASH"]


async def test_an_entry_detail_is_explained_too(client) -> None:
    response = await client.get("/v1/backends/clinic/queues/conflicts/1")
    detail = from_data(EntryDetail, response.json())
    assert detail.entry.rejection.category == Category.FIX_DATA
    assert detail.entry.rejection.raw == "RULE-17 max members"
