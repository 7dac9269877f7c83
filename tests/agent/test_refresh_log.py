"""Backend refresh failures are logged at WARNING, rate-limited, with the backend and the reason."""

from __future__ import annotations

import logging

from synctui.backend import BackendError
from synctui.model import Category, Rejection
from synctui.testing import make_snapshot

from .conftest import static_settings


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def lines(caplog, level: int) -> list[str]:
    return [
        r.getMessage() for r in caplog.records if r.levelno == level and r.name.startswith("synctui.agent")
    ]


async def test_failures_are_logged_once_then_counted_then_the_recovery(make_agent, caplog):
    agent = make_agent(static_settings("clinic"))
    service = agent.services["clinic"]
    clock = FakeClock()
    service.failure_log.clock = clock
    service.backend.next = BackendError(
        Rejection(Category.SERVER, "HTTP 500 from the server\x1b]52;c;aGk=\x07 (see raw)")
    )
    with caplog.at_level(logging.INFO, logger="synctui.agent"):
        for _ in range(100):
            await service.refresh_once()
            clock.now += 0.1
        warnings = lines(caplog, logging.WARNING)
        assert len(warnings) == 1
        assert warnings[0] == (
            "backend clinic: refresh failed: HTTP 500 from the server\\x1b]52;c;aGk=\\x07 (see raw)"
        )
        clock.now += 60
        service.backend.next = RuntimeError("connection reset")  # an adapter that raises
        await service.refresh_once()
        warnings = lines(caplog, logging.WARNING)
        assert len(warnings) == 2
        assert warnings[1] == (
            "backend clinic: refresh still failing: 100 more failure(s) in the last 70 s; "
            "last: the adapter failed: RuntimeError: connection reset"
        )
        for _ in range(10):  # within the next minute: counted, not logged
            await service.refresh_once()
        assert len(lines(caplog, logging.WARNING)) == 2
        service.backend.next = make_snapshot("clinic")
        await service.refresh_once()
        await service.refresh_once()
    infos = [m for m in lines(caplog, logging.INFO) if "works again" in m]
    assert infos == ["backend clinic: refresh works again after 111 failure(s) over 70 s"]
    assert "Traceback" not in caplog.text


async def test_a_backend_that_cannot_be_set_up_is_logged_once(make_agent, caplog):
    from synctui.backend import BackendSettings

    agent = make_agent(BackendSettings(name="ghost", kind="no-such-kind"))
    service = agent.services["ghost"]
    with caplog.at_level(logging.WARNING, logger="synctui.agent"):
        for _ in range(20):
            await service.refresh_once()
    warnings = lines(caplog, logging.WARNING)
    assert len(warnings) == 1 and warnings[0].startswith("backend ghost: refresh failed:")
    assert "no-such-kind" in warnings[0]
