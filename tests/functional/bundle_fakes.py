"""A device for the support-bundle tests: a config with a canary in every secret field, an agent whose
backend error texts, rejections, payloads and logs carry the same canaries, and a bundle made from it."""

from __future__ import annotations

import base64
from dataclasses import replace
from pathlib import Path

from synctui.backend import BackendSettings, Secret
from synctui.bundle.build import Prepared, Sources, prepare
from synctui.client_interface import AgentUnavailable
from synctui.config import AgentSettings, Config, RemoteAgent
from synctui.model import AgentState, Category, EntryDetail, EntryPage, Health, QueueKind, Rejection
from synctui.plugins import Registry, load_plugins
from tests.functional.tui_fakes import NOW, FakeAgentClient, busy_state

PASSWORD = "Canary-backend-Pa55word"
TOKEN = "Canary-agent-token-7Yq"
REMOTE_TOKEN = "Canary-remote-token-Zx9"
OPTION_KEY = "Canary-api-key-Q42"
PIN = "Canary-PIN-8642"
CANARIES = (PASSWORD, TOKEN, REMOTE_TOKEN, OPTION_KEY, PIN)
PATIENT = "Banda"  # a family name in the payloads, which a plugin's redact hook strips

LEAKY = Rejection(
    Category.AUTH,
    f"login refused for nurse with password {PASSWORD}",
    status=401,
    code="INCORRECT_PASSWORD",
    raw="Authorization: Basic " + base64.b64encode(f"nurse:{PASSWORD}".encode()).decode(),
)


def canary_config(state_dir: Path) -> Config:
    return Config(
        agent=AgentSettings(
            socket=state_dir / "agent.sock",
            state_dir=state_dir,
            tcp="127.0.0.1:8765",
            token=Secret(TOKEN),
            remote=RemoteAgent("127.0.0.1", 8765, Secret(REMOTE_TOKEN)),
            admin_pin_hash="pbkdf2_sha256$1$salt$00",
        ),
        backends=[
            BackendSettings(
                name="santedb",
                kind="santedb",
                url="https://clinic-7.health.example/api",
                username="nurse.amina",
                secret=Secret(PASSWORD),
                options={"api_key": OPTION_KEY, "site": "3"},
            )
        ],
    )


class LeakyAgent(FakeAgentClient):
    """The fake agent, with the canaries in a backend's error, in each rejection and in each payload."""

    def __init__(self, state: AgentState | None = None, **kwargs) -> None:
        state = state or busy_state()
        views = [
            replace(view, snapshot=replace(view.snapshot, health=Health(online=False, error=LEAKY)))
            if view.snapshot.backend == "msupply"
            else view
            for view in state.backends
        ]
        super().__init__(replace(state, backends=views), **kwargs)

    async def state(self) -> AgentState:
        if self.unavailable:
            raise AgentUnavailable(self.unavailable)
        return await super().state()

    async def entries(self, backend, queue, offset=0, limit=50, filter=None) -> EntryPage:
        page = await super().entries(backend, queue, offset, limit, filter)
        if queue is not QueueKind.CONFLICTS:
            return page
        return replace(page, entries=[replace(e, rejection=LEAKY) for e in page.entries])

    async def entry(self, backend, queue, id) -> EntryDetail:
        detail = await super().entry(backend, queue, id)
        return replace(detail, payload=detail.payload[:-1] + f', "token": "{TOKEN}", "key": "{OPTION_KEY}"}}')


def sources(config: Config, registry: Registry | None = None, **changes) -> Sources:
    made = Sources(
        config,
        registry or load_plugins(),
        FakeAgentClient.description,
        NOW,
        theme="dark",
        terminal=(80, 24),
    )
    return replace(made, **changes)


async def make_bundle(
    client: FakeAgentClient, config: Config, *, payloads: bool = True, pseudonymise: bool = False, **changes
) -> Prepared:
    return await prepare(client, sources(config, **changes), payloads=payloads, pseudonymise=pseudonymise)


def write_log(state_dir: Path) -> None:
    state_dir.mkdir(parents=True, exist_ok=True)
    (state_dir / "synctui.log").write_text(
        f"2025-03-10 09:40:00 WARNING synctui.agent: sent Authorization: Bearer {REMOTE_TOKEN}\n"
        f"2025-03-10 09:41:00 ERROR synctui_santedb: login failed: password={PASSWORD} pin {PIN}\n"
        "2025-03-10 09:42:00 INFO synctui.agent: reached https://clinic-7.health.example from 192.0.2.15\n"
    )
