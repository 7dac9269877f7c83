"""The plugin kit: what a plugin author tests an adapter with, and fakes for synctui's own tests.

- `synctui.testing.conformance.BackendConformance`: the conformance and fault suites as a pytest test
  class; subclass it, name the adapter and give a fixture that starts your simulator (docs/plugins.md).
- `check_backend` and the other `check_*` functions (synctui.testing.checks): the contract, one answer
  at a time, raising `ConformanceError` with what is wrong; `synctui.testing.plugin_checks`: the same for
  what a plugin declares (its adapter class, its option declarations, its hooks).
- `FaultProxy` (synctui.testing.faults): a loopback HTTP proxy that breaks answers on purpose.
- `StaticBackend` / `make_snapshot`: a backend whose snapshot is whatever a test sets.

This package imports neither pytest nor httpx; its modules other than `checks` and `fakes` do, load them
in tests only.
"""

from __future__ import annotations

from synctui.backend import BackendError
from synctui.testing.checks import ConformanceError, check_backend, check_snapshot
from synctui.testing.fakes import StaticBackend, make_snapshot

__all__ = [
    "BackendError",
    "ConformanceError",
    "StaticBackend",
    "check_backend",
    "check_snapshot",
    "make_snapshot",
]
