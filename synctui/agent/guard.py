"""Who may change data: read-only mode and the admin PIN.

The PIN is stored only as a salted hash (synctui.pin; `synctui set-pin` prints one for the config).
Wrong PINs are rate-limited: after five in a row the agent refuses every PIN for a minute.
"""

from __future__ import annotations

import hmac
import time

from synctui.actions import ActionSpec
from synctui.pin import hash_pin

MAX_FAILURES = 5
LOCKOUT_SECONDS = 60.0


class Refused(Exception):
    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


class Guard:
    def __init__(
        self,
        *,
        readonly: bool,
        pin_hash: str | None,
        readonly_allows_sync: bool = False,
        clock=time.monotonic,
    ) -> None:
        self.readonly = readonly
        self.readonly_allows_sync = readonly_allows_sync
        self.pin_hash = pin_hash
        self._clock = clock
        self._failures = 0
        self._locked_until = 0.0

    @property
    def pin_required(self) -> bool:
        return self.pin_hash is not None

    def check(self, spec: ActionSpec, pin: str | None) -> None:
        """Raise Refused unless the action `spec` may run now."""
        if self.readonly and not spec.allowed_readonly(readonly_allows_sync=self.readonly_allows_sync):
            hint = "; set [agent] readonly_allows_sync = true to allow it" if spec.readonly_key else ""
            raise Refused(f"{spec.title} refused: the agent runs read-only (--readonly){hint}", 403)
        if spec.pin and self.pin_hash is not None:
            self._check_pin(spec.title, pin)

    def _check_pin(self, action: str, pin: str | None) -> None:
        assert self.pin_hash is not None
        now = self._clock()
        if now < self._locked_until:
            wait = int(self._locked_until - now) + 1
            raise Refused(f"{action} refused: too many wrong PINs, try again in {wait} s", 429)
        if not pin:
            raise Refused(f"{action} needs the admin PIN", 401)
        _, iterations, salt, _ = self.pin_hash.split("$")
        if hmac.compare_digest(hash_pin(pin, salt=salt, iterations=int(iterations)), self.pin_hash):
            self._failures = 0
            return
        self._failures += 1
        if self._failures >= MAX_FAILURES:
            self._failures = 0
            self._locked_until = now + LOCKOUT_SECONDS
        raise Refused(f"{action} refused: wrong admin PIN", 403)
