"""The plugin's hooks and the in-process demo site."""

from __future__ import annotations

import httpx
import pluggy
from synctui_msupply import plugin
from synctui_msupply.adapter import MSupplyBackend
from synctui_msupply.demo import MSupplyDemo

from synctui import hookspecs
from synctui.backend import DemoBackend
from synctui.model import QueueKind
from synctui.plugins import load_plugins


def test_hooks_register_the_backend_and_the_demo() -> None:
    pm = pluggy.PluginManager("synctui")
    pm.add_hookspecs(hookspecs)
    pm.register(plugin)
    backends: list[tuple] = []
    demos: list[DemoBackend] = []
    pm.hook.synctui_register_backends(register=lambda cls, kind=None: backends.append((cls, kind)))
    pm.hook.synctui_demo_backends(register=demos.append)
    assert backends == [("synctui_msupply.adapter:MSupplyBackend", "msupply")]
    assert load_plugins().backend_class("msupply") is MSupplyBackend
    assert len(demos) == 1 and isinstance(demos[0], MSupplyDemo) and demos[0].kind == "msupply"


async def test_demo_runs_a_site(tmp_path) -> None:
    demo = MSupplyDemo(step_delay=0.0)
    settings, transport = await demo.start(tmp_path)
    try:
        assert settings.name == "pharmacy-site" and settings.kind == "msupply"
        assert "'pass'" not in repr(settings) and "sync-pass" not in repr(settings)
        async with httpx.AsyncClient(transport=transport, timeout=5.0) as http:
            backend = MSupplyBackend(settings, http)
            assert demo.simulator is not None
            await demo.simulator.s.wait_idle()
            snap = await backend.snapshot()
            assert snap.queue(QueueKind.OUTBOX).count is not None
            assert snap.queue(QueueKind.CONFLICTS).count >= 1  # the demo's integration error
            assert {i.key for i in snap.info} >= {"site_name", "store", "interval", "batch_size"}
            result = await backend.synchronize(lambda p: None)
            assert result.message
            await backend.aclose()
    finally:
        await demo.stop()


def test_explain_rejection_hook() -> None:
    assert plugin.synctui_explain_rejection("santedb", "HARDWARE_ID_MISMATCH", None) is None
    by_code = plugin.synctui_explain_rejection("msupply", "site_incorrect_hardware_id", 401)
    assert by_code and by_code.code == "HARDWARE_ID_MISMATCH" and by_code.status == 401
    by_text = plugin.synctui_explain_rejection("msupply", "error sending request: operation timed out", None)
    assert by_text and by_text.code == "TIMEOUT"
    assert plugin.synctui_explain_rejection("msupply", "something odd", None) is None
