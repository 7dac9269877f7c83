"""A simulated Open mSupply remote site and its legacy mSupply central, for tests and `synctui demo`.

In-process: `build(...)` then `sim.app(in_process=True)` behind `SimulatorTransport`. Standalone:
`python -m synctui_msupply.simulator --port N` serves the same app on loopback.
"""

from .app import QUEUE_CHANGING_CALLS, READ_ONLY_CENTRAL_CALLS, Simulator, build
from .central import Central
from .faults import FAULT_KINDS, Faults, SimulatorTransport
from .site import STEPS, Site

__all__ = [
    "FAULT_KINDS",
    "QUEUE_CHANGING_CALLS",
    "READ_ONLY_CENTRAL_CALLS",
    "STEPS",
    "Central",
    "Faults",
    "Simulator",
    "SimulatorTransport",
    "Site",
    "build",
]
