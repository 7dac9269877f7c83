"""Which backends have just turned to ATTENTION: what the terminal bell rings for, once per turn.

Both the dashboard and its plain mode judge every backend again and again (on every pushed state and on
a clock tick); the bell must ring when a backend's level becomes ATTENTION, not on every judgement that
finds it still there. A backend seen for the first time already in ATTENTION counts as a turn: the
person has not been told yet.
"""

from __future__ import annotations

from collections.abc import Mapping

from synctui.model import Level, Verdict


class AttentionWatch:
    """Remembers each backend's last level; `turned(verdicts)` names those that have just become
    ATTENTION. A backend that leaves the verdicts is forgotten."""

    def __init__(self) -> None:
        self._levels: dict[str, Level] = {}

    def turned(self, verdicts: Mapping[str, Verdict]) -> list[str]:
        turned = [
            name
            for name, verdict in verdicts.items()
            if verdict.level is Level.ATTENTION and self._levels.get(name) is not Level.ATTENTION
        ]
        self._levels = {name: verdict.level for name, verdict in verdicts.items()}
        return turned
