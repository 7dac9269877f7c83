"""The HCM simulator: a DIGIT-like server (in-process or on loopback) and a field-worker generator."""

from __future__ import annotations

from ..simulator.faults import FaultMiddleware, SimTransport
from ..simulator.fieldworker import FieldWorker
from ..simulator.server import SimConfig, SimServer

__all__ = ["FaultMiddleware", "FieldWorker", "SimConfig", "SimServer", "SimTransport", "simulator_app"]


def simulator_app(server: SimServer) -> FaultMiddleware:
    """The ASGI app to serve: the server behind its faults setting."""
    return FaultMiddleware(server.app, server.config)
