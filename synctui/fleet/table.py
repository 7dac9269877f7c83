"""The fleet table's judgement, shared by the screen, `synctui fleet --json` and `fleet gate`: the level
each device is shown at, its risk (the order of "the devices to call today"), its diagnosis line, and
the fleet summary. Pure functions of the rows and the time; no I/O, no Textual."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from synctui.fleet.queries import HISTOGRAM_BARS, DeviceRow
from synctui.i18n import _, ngettext, number, percent, pgettext
from synctui.model import Level
from synctui.text import one_line
from synctui.verdict import LEVEL_WORDS, age_text

DAY = timedelta(days=1)
AMBER_AFTER = timedelta(days=3)  # ages coloured as CommCare's Application Status does
RED_AFTER = timedelta(days=7)
SUMMARY_DAYS = (1, 3, 7, 30)
DEFAULT_SILENT_AFTER = timedelta(minutes=15)


def level_of(row: DeviceRow, now: datetime, silent_after: timedelta) -> Level:
    """The device's verdict as reported, UNKNOWN when never reported or its newest data is too old:
    a device heard of long ago may have changed since, so it is never shown as safe."""
    if row.verdict is None or row.last_seen is None or now - row.last_seen > silent_after:
        return Level.UNKNOWN
    return row.verdict


def _days(since: datetime | None, now: datetime) -> float:
    return max(0.0, (now - since) / DAY) if since is not None else 0.0


def risk(row: DeviceRow, now: datetime) -> float:
    """unsent × (1 + days since the oldest unsent entry) × (1 + days since the server was reached), an
    unknown age counting 0 days: the risk in the recording rule synctui_device:rank:score, here too."""
    return (row.unsent or 0) * (1 + _days(row.oldest_pending, now)) * (1 + _days(row.last_contact, now))


def by_risk(rows: list[DeviceRow], now: datetime, silent_after: timedelta) -> list[DeviceRow]:
    """Riskiest first; at equal risk the worse level, more conflicts, then the longest silent."""

    def key(row: DeviceRow) -> tuple[float, int, int, float, str]:
        level = level_of(row, now, silent_after)
        return (-risk(row, now), -level.rank, -(row.conflicts or 0), -_days(row.last_seen, now), row.device)

    return sorted(rows, key=key)


def age_level(moment: datetime | None, now: datetime) -> str:
    """ "ok", "amber" (over 3 days), "red" (over 7 days or never)."""
    if moment is None or now - moment > RED_AFTER:
        return "red"
    return "amber" if now - moment > AMBER_AFTER else "ok"


def unknown() -> str:
    """What the fleet shows for a count or an age Prometheus does not know."""
    return pgettext("fleet", "unknown")


def age_or(moment: datetime | None, now: datetime, missing: str | None = None) -> str:
    return age_text(moment, now) if moment is not None else missing or unknown()


def full_sync_text(row: DeviceRow, now: datetime) -> str:
    if row.never_fully_synced:
        return _("Never")
    return age_or(row.last_full_sync, now)


def diagnosis(row: DeviceRow, now: datetime, silent_after: timedelta) -> str:
    """One line: what is wrong with the device, worst first."""
    parts: list[str] = []
    if row.last_seen is None:
        parts.append(_("never reported"))
    elif now - row.last_seen > silent_after:
        said = LEVEL_WORDS[row.verdict] if row.verdict is not None else _("nothing")
        parts.append(
            _("silent {age} (last said: {said})").format(age=age_text(row.last_seen, now), said=said)
        )
    if row.reasons.get("stuck"):
        parts.append(_("queue stuck"))
    if row.conflicts:
        rejected = ngettext("{n} rejected by the server", "{n} rejected by the server", row.conflicts)
        parts.append(rejected.format(n=number(row.conflicts)))
    if row.unsent:
        if row.oldest_pending:
            unsent = ngettext("{n} unsent, oldest {age}", "{n} unsent, oldest {age}", row.unsent)
        else:
            unsent = ngettext("{n} unsent", "{n} unsent", row.unsent)
        parts.append(unsent.format(n=number(row.unsent), age=age_or(row.oldest_pending, now)))
    if row.never_fully_synced:
        parts.append(_("never fully synced"))
    elif row.last_full_sync is not None and now - row.last_full_sync > AMBER_AFTER:
        parts.append(_("no full sync for {age}").format(age=age_text(row.last_full_sync, now)))
    others = sorted(code for code in row.reasons if code not in ("stuck", "conflicts"))
    if others:
        codes = ", ".join(one_line(code, 40) for code in others)
        parts.append(_("reasons: {codes}").format(codes=codes))
    return _("; ").join(parts) if parts else _("nothing to do")


@dataclass(frozen=True)
class Summary:
    devices: int
    synced_within: dict[int, int]  # days -> devices fully synced less than that many whole days ago
    never: int
    unknown: int  # no full-sync figure at all
    histogram: list[int]  # devices by whole days since their last full sync, 0..30, then 31+

    @classmethod
    def of(cls, devices: int, histogram: list[int], never: int) -> Summary:
        return cls(
            devices=devices,
            synced_within={d: sum(histogram[:d]) for d in SUMMARY_DAYS},
            never=never,
            unknown=max(0, devices - never - sum(histogram)),
            histogram=histogram,
        )


def summarise(rows: list[DeviceRow], now: datetime) -> Summary:
    histogram = [0] * HISTOGRAM_BARS
    for row in rows:
        if row.last_full_sync is not None:
            histogram[min(HISTOGRAM_BARS - 1, max(0, int((now - row.last_full_sync) / DAY)))] += 1
    return Summary.of(len(rows), histogram, sum(1 for r in rows if r.never_fully_synced))


BLOCKS = " ▁▂▃▄▅▆▇█"


def sparkline(counts: list[int]) -> str:
    top = max(counts, default=0)
    if top == 0:
        return BLOCKS[0] * len(counts)
    return "".join(BLOCKS[0 if c == 0 else max(1, round(c / top * 8))] for c in counts)


def summary_line(summary: Summary) -> str:
    if summary.devices == 0:
        return _("no device reported yet")
    shares = "  ".join(
        _("≤{days}d {share}").format(days=d, share=percent(summary.synced_within[d] * 100 // summary.devices))
        for d in SUMMARY_DAYS
    )
    devices = ngettext("{n} device", "{n} devices", summary.devices).format(n=number(summary.devices))
    return _("{devices} · fully synced {shares} · never {never} · unknown {unknown}").format(
        devices=devices, shares=shares, never=number(summary.never), unknown=number(summary.unknown)
    )


def row_data(row: DeviceRow, now: datetime, silent_after: timedelta) -> dict[str, Any]:
    """A device for `synctui fleet --json`: times in ISO 8601, unknown as null."""

    def iso(moment: datetime | None) -> str | None:
        return moment.isoformat() if moment is not None else None

    return {
        "device": row.device,
        "labels": row.labels,
        "level": level_of(row, now, silent_after).value,
        "reported_level": row.verdict.value if row.verdict is not None else None,
        "unsent": row.unsent,
        "conflicts": row.conflicts,
        "oldest_pending": iso(row.oldest_pending),
        "last_contact": iso(row.last_contact),
        "last_full_sync": "never" if row.never_fully_synced else iso(row.last_full_sync),
        "last_attempt": iso(row.last_attempt),
        "last_seen": iso(row.last_seen),
        "reasons": row.reasons,
        "risk": round(risk(row, now), 3),
        "diagnosis": diagnosis(row, now, silent_after),
    }
