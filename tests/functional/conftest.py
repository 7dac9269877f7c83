from __future__ import annotations

import pytest

from tests.functional.tui_fakes import FakeAgentClient


@pytest.fixture
def fake() -> FakeAgentClient:
    return FakeAgentClient()
