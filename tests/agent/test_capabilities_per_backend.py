"""Capabilities are read per backend: a SanteDB profile lacks some actions, and the config's `disable`
removes more. What is removed is never offered (the snapshot a client reads) and the API refuses it."""

from __future__ import annotations

import httpx
import pytest
from synctui_santedb.simulator import SimulatorState, create_app

from synctui.actions import action, offered
from synctui.agent.api import create_api
from synctui.agent.core import Agent
from synctui.backend import BackendSettings, Secret
from synctui.config import parse_config
from synctui.config_values import ConfigError
from synctui.model import Capability

from .conftest import agent_config


def settings(name: str, profile: str, disable: frozenset[Capability] = frozenset()) -> BackendSettings:
    return BackendSettings(
        name=name, kind="santedb", url="http://dcdr.test:9200", username="demo", secret=Secret("demo"),
        refresh_interval=60, timeout=5, options={"profile": profile}, disable=disable,
    )  # fmt: skip


async def test_profile_and_config_remove_capabilities_per_backend(tmp_path, registry) -> None:
    backends = [
        settings("new", "santedb3"),
        settings("old", "openiz"),
        settings("locked", "santedb3", frozenset({Capability.DISCARD, Capability.RESET})),
    ]
    transports = {
        b.name: httpx.ASGITransport(app=create_app(SimulatorState(seed=3, step_delay=0, profile=p)))
        for b, p in zip(backends, ("santedb3", "openiz", "santedb3"), strict=True)
    }
    agent = Agent(agent_config(tmp_path, backends), registry, transports=transports, watch=False)
    try:
        for service in agent.services.values():
            await service.refresh_once()
        caps = {name: service.view().snapshot.capabilities for name, service in agent.services.items()}
        assert {Capability.RESET, Capability.DISCARD, Capability.COMPARE} <= caps["new"]
        assert Capability.RESET not in caps["old"] and Capability.RESUBMIT in caps["old"]
        assert Capability.DISCARD not in caps["locked"] and Capability.RESET not in caps["locked"]
        assert Capability.RETRY in caps["locked"] and Capability.COMPARE in caps["locked"]
        assert offered(action("discard"), caps["new"], readonly=False)
        assert not offered(action("discard"), caps["locked"], readonly=False)

        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=create_api(agent)), base_url="http://a"
        ) as client:
            for name, path, body in (
                ("locked", "discard", {"queue": "conflicts", "ids": ["1"]}),
                ("locked", "reset", {"all": True}),
                ("old", "reset", {"all": True}),
            ):
                response = await client.post(f"/v1/backends/{name}/{path}", json=body)
                assert response.status_code == 501, (name, path, response.text)
                assert f"does not support {path}" in response.json()["error"]
            assert (await client.post("/v1/backends/new/reset", json={"all": True})).status_code == 200
    finally:
        await agent.stop()


def test_the_config_names_capabilities_to_disable() -> None:
    raw = {"backends": [{"name": "a", "kind": "santedb", "disable": ["discard", "reset"]}]}
    (backend,) = parse_config(raw).backends
    assert backend.disable == {Capability.DISCARD, Capability.RESET}


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("discard", "disable must be a list of capabilities"),
        (["discard", "fly"], "disable: 'fly' is not a capability"),
    ],
)
def test_a_bad_disable_list_is_one_line_naming_the_key(value: object, message: str) -> None:
    raw = {"backends": [{"name": "a", "kind": "santedb", "disable": value}]}
    with pytest.raises(ConfigError, match=message) as err:
        parse_config(raw)
    assert "\n" not in str(err.value) and "(a)" in str(err.value)
