from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from synctui.agent.core import Agent
from synctui.backend import BackendSettings
from synctui.config import AgentSettings, Config
from synctui.plugins import Registry, load_plugins
from synctui.testing import StaticBackend


def agent_config(tmp_path: Path, backends: list[BackendSettings]) -> Config:
    return Config(
        agent=AgentSettings(
            socket=tmp_path / "run" / "agent.sock", state_dir=tmp_path / "state", flush_interval=0.2
        ),
        backends=backends,
    )


def static_settings(name: str, **kw) -> BackendSettings:
    kw.setdefault("refresh_interval", 0.5)
    kw.setdefault("timeout", 0.5)
    return BackendSettings(name=name, kind="static", **kw)


@pytest.fixture
def registry() -> Registry:
    reg = load_plugins()
    reg.backends["static"] = StaticBackend
    return reg


@pytest.fixture
async def make_agent(tmp_path: Path, registry: Registry) -> AsyncIterator[Callable[..., Agent]]:
    agents: list[Agent] = []

    def make(*backends: BackendSettings, **kw) -> Agent:
        agent = Agent(agent_config(tmp_path, list(backends)), registry, watch=False, **kw)
        agents.append(agent)
        return agent

    yield make
    for agent in agents:
        await agent.stop()


async def wait_for(predicate: Callable[[], bool], timeout: float = 5.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.01)
