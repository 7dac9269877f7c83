from __future__ import annotations

from collections.abc import Iterator

import pytest

from synctui import i18n
from tests.functional.tui_fakes import FakeAgentClient


@pytest.fixture
def fake() -> FakeAgentClient:
    return FakeAgentClient()


@pytest.fixture
def speak() -> Iterator[None]:
    """The test sets the language with i18n.use(); English again afterwards, for the other tests."""
    yield
    i18n.use(i18n.SOURCE_LANGUAGE)
