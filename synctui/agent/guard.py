"""Who may change data: read-only mode and the admin PIN.

The PIN is stored only as a salted hash (synctui.pin; `synctui set-pin` prints one for the config).
Wrong PINs are rate-limited: after five in a row every PIN is refused for a minute, and each further
lockout doubles it (2, 4, 8 … minutes, at most an hour) until the right PIN is given or a day passes
without a wrong one. The count and the end of the lockout are kept in the state folder
(`pin-lockout.json`), so a restart does not reset them. The hash check is slow on purpose (~0.2 s):
`check_async` runs it in a thread, one check at a time, so the event loop never waits on it and
parallel guesses cannot slip past the count. The PIN itself is never logged nor written anywhere.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from synctui.actions import ActionSpec
from synctui.agent.storage import write_atomically
from synctui.pin import verify_pin

log = logging.getLogger(__name__)

MAX_FAILURES = 5  # wrong PINs in a row before a lockout
LOCKOUT_SECONDS = 60.0  # the first lockout; each further one doubles
MAX_LOCKOUT_SECONDS = 3600.0
FORGET_AFTER_SECONDS = 86400.0  # a day without a wrong PIN starts the escalation over


class Refused(Exception):
    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


def lockout_seconds(lockouts: int) -> float:
    """How long the `lockouts`-th lockout in a row lasts (1 → 60 s, 2 → 120 s, … at most an hour)."""
    return min(MAX_LOCKOUT_SECONDS, LOCKOUT_SECONDS * 2 ** min(max(lockouts, 1) - 1, 32))


class Guard:
    def __init__(
        self,
        *,
        readonly: bool,
        pin_hash: str | None,
        readonly_allows_sync: bool = False,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
        state_path: Path | None = None,
    ) -> None:
        self.readonly = readonly
        self.readonly_allows_sync = readonly_allows_sync
        self.pin_hash = pin_hash
        self._clock = clock
        self._wall = wall_clock
        self.state_path = state_path
        self._failures = 0  # wrong PINs since the last lockout or success
        self._lockouts = 0  # lockouts in a row
        self._last_failure = 0.0  # wall clock
        self._locked_until = 0.0  # monotonic clock
        self._pin_lock: asyncio.Lock | None = None
        self._load()

    @property
    def pin_required(self) -> bool:
        return self.pin_hash is not None

    # --- the checks ---------------------------------------------------------------------------------

    def check(self, spec: ActionSpec, pin: str | None) -> None:
        """Raise Refused unless the action `spec` may run now. Hashes on the calling thread: in the
        agent's event loop, use `check_async`."""
        if self._needs_pin(spec):
            self._before_hash(spec.title, pin)
            assert self.pin_hash is not None and pin
            self._after_hash(spec.title, verify_pin(pin, self.pin_hash))

    async def check_async(self, spec: ActionSpec, pin: str | None) -> None:
        """`check`, with the hash in a thread; PIN checks run one at a time."""
        if not self._needs_pin(spec):
            return
        if self._pin_lock is None:
            self._pin_lock = asyncio.Lock()
        async with self._pin_lock:
            self._before_hash(spec.title, pin)  # again inside the lock: a lockout may have begun
            assert self.pin_hash is not None and pin
            ok = await asyncio.to_thread(verify_pin, pin, self.pin_hash)
            self._after_hash(spec.title, ok)

    def _needs_pin(self, spec: ActionSpec) -> bool:
        if self.readonly and not spec.allowed_readonly(readonly_allows_sync=self.readonly_allows_sync):
            hint = "; set [agent] readonly_allows_sync = true to allow it" if spec.readonly_key else ""
            raise Refused(f"{spec.title} refused: the agent runs read-only (--readonly){hint}", 403)
        return bool(spec.pin) and self.pin_hash is not None

    def _before_hash(self, action: str, pin: str | None) -> None:
        wait = self.locked_for()
        if wait > 0:
            raise Refused(f"{action} refused: too many wrong PINs, try again in {math.ceil(wait)} s", 429)
        if not pin:
            raise Refused(f"{action} needs the admin PIN", 401)

    def _after_hash(self, action: str, ok: bool) -> None:
        if ok:
            if self._failures or self._lockouts:
                self._failures = self._lockouts = 0
                self._save()
            return
        now = self._wall()
        if self._last_failure and now - self._last_failure > FORGET_AFTER_SECONDS:
            self._lockouts = 0
        self._last_failure = now
        self._failures += 1
        if self._failures >= MAX_FAILURES:
            self._failures = 0
            self._lockouts += 1
            seconds = lockout_seconds(self._lockouts)
            self._locked_until = self._clock() + seconds
            log.warning(
                "admin PIN: %d wrong PINs in a row; every PIN is refused for %d s (lockout %d)",
                MAX_FAILURES,
                seconds,
                self._lockouts,
            )
        self._save()
        raise Refused(f"{action} refused: wrong admin PIN", 403)

    def locked_for(self) -> float:
        """Seconds left of the current lockout (0 when none)."""
        return max(0.0, self._locked_until - self._clock())

    # --- surviving a restart ------------------------------------------------------------------------

    def _load(self) -> None:
        if self.state_path is None:
            return
        try:
            data: Any = json.loads(self.state_path.read_bytes().decode("utf-8"))
        except FileNotFoundError:
            return
        except (OSError, ValueError, RecursionError) as exc:
            log.warning("admin PIN: %s is unreadable (%s); starting a fresh count", self.state_path, exc)
            return
        if not isinstance(data, dict):
            log.warning("admin PIN: %s is not an object; starting a fresh count", self.state_path)
            return
        self._failures = _count(data.get("failures"), MAX_FAILURES - 1)
        self._lockouts = _count(data.get("lockouts"), 64)
        self._last_failure = _time(data.get("last_failure"))
        until = _time(data.get("locked_until"))
        # A wall-clock time: what is left of it now, never more than the longest lockout (a clock
        # stepped back must not lock the PIN for a year).
        left = min(max(0.0, until - self._wall()), MAX_LOCKOUT_SECONDS)
        if left:
            self._locked_until = self._clock() + left

    def _save(self) -> None:
        if self.state_path is None:
            return
        left = self.locked_for()
        data = {
            "failures": self._failures,
            "lockouts": self._lockouts,
            "last_failure": self._last_failure,
            "locked_until": self._wall() + left if left else 0.0,
        }
        try:
            self.state_path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            write_atomically(self.state_path, json.dumps(data))
        except OSError as exc:
            log.warning(
                "admin PIN: cannot save the wrong-PIN count to %s (%s); it holds until a restart",
                self.state_path,
                exc.strerror or exc,
            )


def _count(value: Any, high: int) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return min(max(value, 0), high)
    return 0


def _time(value: Any) -> float:
    if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
        return max(float(value), 0.0)
    return 0.0
