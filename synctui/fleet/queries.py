"""Reading the fleet back from Prometheus (or Thanos, Mimir, VictoriaMetrics: the same HTTP API).

The fleet table is a handful of instant queries over the device-level series that the shipped
recording rules keep (synctui/fleet/rules.yml), one series per device each, run concurrently; a
device's detail is its raw series at the moment it was last heard from.
"""

from __future__ import annotations

import asyncio
import math
import re
import ssl
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from synctui._httpx import httpx
from synctui.backend import Secret
from synctui.i18n import _
from synctui.model import Level
from synctui.text import one_line

LEVEL_OF_CODE = {level.exit_code: level for level in Level}
SELECTOR_NAME_RE = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")
# recorded series (rules.yml) -> DeviceRow field
DEVICE_SERIES = {
    "synctui_device:verdict:max": "verdict",
    "synctui_device:unsent:sum": "unsent",
    "synctui_device:conflicts:sum": "conflicts",
    "synctui_device:oldest_pending_timestamp:min": "oldest_pending",
    "synctui_device:last_contact_timestamp:max": "last_contact",
    "synctui_device:last_full_sync_timestamp:min": "last_full_sync",
    "synctui_device:last_attempt_timestamp:max": "last_attempt",
    "synctui_device:last_seen_timestamp:max": "last_seen",
}
REASONS = "synctui_device:reason:count"
VALUE_NAMES = "|".join(re.escape(name) for name in (*DEVICE_SERIES, REASONS))  # for __name__=~
HISTOGRAM_BARS = 32  # days since the last full sync: 0..30, then 31 or more


class FleetError(Exception):
    """Prometheus could not answer; the message is one line for the user."""


@dataclass
class DeviceRow:
    """One device as Prometheus last heard of it; None is "not known" (never shown as 0)."""

    device: str
    labels: dict[str, str] = field(default_factory=dict)  # its free labels: site, district, ...
    verdict: Level | None = None
    unsent: int | None = None
    conflicts: int | None = None
    oldest_pending: datetime | None = None
    last_contact: datetime | None = None
    last_full_sync: datetime | None = None
    never_fully_synced: bool = False  # a backend's log has a record type that never synced
    last_attempt: datetime | None = None
    last_seen: datetime | None = None  # time of its newest data
    reasons: dict[str, int] = field(default_factory=dict)  # reason code -> backends giving it


@dataclass(frozen=True)
class BackendDetail:
    backend: str
    kind: str
    verdict: Level | None
    reasons: list[tuple[str, str]]  # (level, code)
    queues: dict[str, int]
    server_version: str = ""
    adapter_version: str = ""


def selector(labels: Mapping[str, str]) -> str:
    """`{site="A",district="B"}` from checked label names; values escaped as PromQL strings."""
    parts = []
    for name, value in labels.items():
        if not SELECTOR_NAME_RE.match(name):
            said = _("--label {name}: a label name is letters, digits and '_'")
            raise FleetError(said.format(name=repr(name[:60])))
        parts.append(f'{name}="{_escaped(value)}"')
    return "{" + ",".join(parts) + "}"


def _escaped(value: str) -> str:
    """`value` inside a PromQL double-quoted string."""
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _time(value: float) -> datetime | None:
    return datetime.fromtimestamp(value, UTC) if value > 0 and math.isfinite(value) else None


class FleetClient:
    def __init__(
        self,
        url: str,
        *,
        token: Secret | None = None,
        username: str | None = None,
        password: Secret | None = None,
        ca_file: Path | None = None,
        timeout: float = 30.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.url = url.rstrip("/")
        headers = {"Authorization": f"Bearer {token.reveal()}"} if token is not None else {}
        auth = httpx.BasicAuth(username, password.reveal()) if username and password else None
        verify: ssl.SSLContext | bool = ssl.create_default_context(cafile=str(ca_file)) if ca_file else True
        self.http = httpx.AsyncClient(
            headers=headers, auth=auth, verify=verify, timeout=timeout, transport=transport
        )

    async def aclose(self) -> None:
        await self.http.aclose()

    async def query(self, promql: str, at: float | None = None) -> list[tuple[dict[str, str], float]]:
        """An instant query's vector as (labels, value) pairs; FleetError with one line on failure."""
        params: dict[str, Any] = {"query": promql}
        if at is not None:
            params["time"] = f"{at:.3f}"
        try:  # a form, not URL parameters: a query naming many devices outgrows URL limits
            response = await self.http.post(f"{self.url}/api/v1/query", data=params)
        except httpx.HTTPError as exc:
            said = _("cannot reach {url}: {error}")
            raise FleetError(
                said.format(url=self.url, error=one_line(exc, 200) or type(exc).__name__)
            ) from None
        if response.status_code in (401, 403):
            raise FleetError(
                _(
                    "{url} answered HTTP {status}: check --prometheus-user and "
                    "--prometheus-password-file, or --prometheus-token-file"
                ).format(url=self.url, status=response.status_code)
            )
        try:
            body = response.json()
        except ValueError:
            said = _("{url} answered HTTP {status}, not a PromQL API")
            raise FleetError(said.format(url=self.url, status=response.status_code)) from None
        if not isinstance(body, dict) or body.get("status") != "success":
            error = body.get("error") if isinstance(body, dict) else None
            said = one_line(error, 200) or _("bad answer")
            raise FleetError(f"{self.url}: HTTP {response.status_code}: {said}")
        data = body.get("data") or {}
        if data.get("resultType") != "vector":
            said = _("{url}: expected a vector, got {type}")
            raise FleetError(said.format(url=self.url, type=one_line(data.get("resultType"), 40)))
        found = []
        for item in data.get("result", []):
            try:
                found.append(({str(k): str(v) for k, v in item["metric"].items()}, float(item["value"][1])))
            except (KeyError, IndexError, TypeError, ValueError):
                raise FleetError(
                    _("{url}: a result that is not a PromQL sample").format(url=self.url)
                ) from None
        return found

    async def devices(self, labels: Mapping[str, str] | None = None) -> list[DeviceRow]:
        """Every device the recording rules know of (matching `labels`), its values filled in."""
        match = selector(labels or {})
        answers = await asyncio.gather(*(self.query(f"{name}{match}") for name in (*DEVICE_SERIES, REASONS)))
        return _rows([series for answer in answers for series in answer])

    async def first_page(self, labels: Mapping[str, str] | None, count: int) -> list[DeviceRow]:
        """The `count` riskiest devices (the rules' rank: risk, then level), without reading every
        device: one topk over one series per device, then all the values of those devices at once."""
        top = await self.query(f"topk({count}, synctui_device:rank:score{selector(labels or {})})")
        return await self.named((series["device"] for series, _ in top if "device" in series), labels)

    async def named(self, names: Iterable[str], labels: Mapping[str, str] | None = None) -> list[DeviceRow]:
        """The devices called `names` (and matching `labels`), all their values in one query."""
        chosen = sorted(set(names))
        if not chosen:
            return []
        match = selector(labels or {})
        devices = "|".join(re.escape(name) for name in chosen)  # a plain alternation: a set lookup
        inner = match[1:-1] + ("," if len(match) > 2 else "")
        return _rows(await self.query(f'{{__name__=~"{VALUE_NAMES}",{inner}device=~"{_escaped(devices)}"}}'))

    async def full_sync_counts(self, labels: Mapping[str, str] | None = None) -> tuple[int, list[int], int]:
        """(devices, devices by whole days since their last full sync 0..30 then 31+, never synced),
        counted by Prometheus: from the rules' fleet series without a filter, else counted now."""
        if labels:
            match = selector(labels)
            full = f"synctui_device:last_full_sync_timestamp:min{match}"
            queries = (
                f"count(synctui_device:verdict:max{match})",
                f'count_values("days", clamp_max(floor((time() - ({full} > 0)) / 86400), {HISTOGRAM_BARS - 1}))',
                f"count({full} == 0)",
            )
        else:
            queries = (
                "synctui_fleet:devices:count",
                "synctui_fleet:full_sync_days:count",
                "synctui_fleet:never_fully_synced:count",
            )
        devices, by_day, never = await asyncio.gather(*(self.query(q) for q in queries))
        histogram = [0] * HISTOGRAM_BARS
        for series, value in by_day:
            day = int(float(series.get("days", "-1")))
            if 0 <= day < HISTOGRAM_BARS:
                histogram[day] += int(value)
        return (int(devices[0][1]) if devices else 0), histogram, (int(never[0][1]) if never else 0)

    async def stuck(self, labels: Mapping[str, str] | None = None) -> set[str]:
        """The devices whose last known verdict has a stuck queue."""
        extra = {**(labels or {}), "code": "stuck"}
        return {series.get("device", "") for series, _ in await self.query(f"{REASONS}{selector(extra)}")} - {
            ""
        }

    async def detail(self, row: DeviceRow) -> list[BackendDetail]:
        """The device's backends as it last reported them (at the time of its newest data)."""
        if row.last_seen is None:
            return []
        at = row.last_seen.timestamp()
        match = selector({"device": row.device})
        verdicts, reasons, queues, info = await asyncio.gather(
            self.query(f"synctui_verdict{match}", at),
            self.query(f"synctui_verdict_reason{match} == 1", at),
            self.query(f"synctui_queue_depth{match}", at),
            self.query(f"synctui_backend_info{match}", at),
        )
        backends: dict[str, dict[str, Any]] = {}

        def entry(series: dict[str, str]) -> dict[str, Any]:
            name = series.get("backend", "?")
            return backends.setdefault(
                name,
                {"kind": series.get("kind", "?"), "verdict": None, "reasons": [], "queues": {}, "info": {}},
            )

        for series, value in verdicts:
            entry(series)["verdict"] = LEVEL_OF_CODE.get(int(value))
        for series, _value in reasons:
            entry(series)["reasons"].append((series.get("level", "?"), series.get("code", "?")))
        for series, value in queues:
            entry(series)["queues"][series.get("queue", "?")] = int(value)
        for series, _value in info:
            entry(series)["info"] = series
        return [
            BackendDetail(
                backend=name,
                kind=b["kind"],
                verdict=b["verdict"],
                reasons=sorted(b["reasons"]),
                queues=b["queues"],
                server_version=b["info"].get("server_version", ""),
                adapter_version=b["info"].get("adapter_version", ""),
            )
            for name, b in sorted(backends.items())
        ]


def _rows(answer: list[tuple[dict[str, str], float]]) -> list[DeviceRow]:
    """Device rows from samples of the device-level series (any of them, in any order)."""
    rows: dict[str, DeviceRow] = {}
    for series, value in answer:
        name = series.pop("__name__", "")
        device = series.pop("device", None)
        if device is None or (name != REASONS and name not in DEVICE_SERIES):
            continue
        code = series.pop("code", None)
        row = rows.setdefault(device, DeviceRow(device=device, labels=series))
        if name == REASONS:
            if code is not None:
                row.reasons[code] = int(value)
        else:
            _fill(row, DEVICE_SERIES[name], value)
    return sorted(rows.values(), key=lambda r: r.device)


def _fill(row: DeviceRow, what: str, value: float) -> None:
    if what == "verdict":
        row.verdict = LEVEL_OF_CODE.get(int(value)) if math.isfinite(value) else None
    elif what in ("unsent", "conflicts"):
        setattr(row, what, int(value) if math.isfinite(value) else None)
    elif what == "last_full_sync":
        row.never_fully_synced = value == 0
        row.last_full_sync = _time(value)
    else:
        setattr(row, what, _time(value))
