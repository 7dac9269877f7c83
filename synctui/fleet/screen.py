"""`synctui fleet --prometheus URL`: one row per device, riskiest first ("the devices to call today").

Ages are coloured as support staff know them from CommCare: amber after 3 days, red after 7, "Never"
for a device that never fully synced. `/` filters (by device, label value, `name=value` or a level),
Enter shows the device's backends and reasons from Prometheus, `o` there opens the device's live
dashboard when its agent can be reached. Every text from Prometheus is shown as data (escaped).
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import ClassVar

from rich.text import Text
from textual import work
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import DataTable, Input, Static

from synctui._httpx import httpx
from synctui.config import RemoteAgent
from synctui.fleet.columns import LEVEL_STYLES, Cells, Column, cells, layout_for
from synctui.fleet.queries import BackendDetail, DeviceRow, FleetClient, FleetError
from synctui.fleet.table import (
    AMBER_AFTER,
    RED_AFTER,
    Summary,
    age_or,
    by_risk,
    diagnosis,
    full_sync_text,
    level_of,
    sparkline,
    summarise,
    summary_line,
    unknown,
)
from synctui.i18n import N_, _, ngettext, number
from synctui.model import Level
from synctui.text import one_line, visible
from synctui.tui.widgets.shared.dashboard_footer import DashboardFooter
from synctui.verdict import LEVEL_WORDS

REFRESH_SECONDS = 30.0
FIRST_PAGE = 50  # devices read first, riskiest: more than a 40-line screen holds
TABLE_ACTIONS = {"filter", "refresh", "clear_filter"}
TABLE_ROWS = 500  # rows in the table at most; nobody reads more, and the filter narrows


def matches(row: DeviceRow, words: str, level: Level) -> bool:
    """The filter: every word is a level, `name=value`, or part of the device name or a label value."""
    for word in words.lower().split():
        name, sep, value = word.partition("=")
        if sep:
            if row.labels.get(name, "").lower() != value and not (
                name == "device" and row.device.lower() == value
            ):
                return False
        elif word in {lv.value for lv in Level}:
            if level.value != word:
                return False
        elif word not in row.device.lower() and not any(word in v.lower() for v in row.labels.values()):
            return False
    return True


class FleetApp(App[None]):
    TITLE = "synctui fleet"
    CSS = """
    #summary { height: auto; max-height: 3; padding: 0 1; }
    #diagnosis { height: auto; max-height: 2; padding: 0 1; background: $boost; }
    #filter { display: none; }
    #filter.shown { display: block; }
    #fleet { height: 1fr; scrollbar-size-vertical: 1; }
    #status { height: auto; max-height: 2; padding: 0 1; color: $text-muted; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("slash", "filter", N_("Filter"), id="fleet.filter"),
        Binding("r", "refresh", N_("Refresh"), id="fleet.refresh"),
        Binding("escape", "clear_filter", N_("Clear filter"), show=False, id="fleet.clear"),
        Binding("q", "quit", N_("Quit"), id="fleet.quit"),
    ]

    def __init__(
        self,
        client: FleetClient,
        *,
        labels: dict[str, str] | None = None,
        levels: set[str] | None = None,
        silent_after: timedelta = timedelta(minutes=15),
        remote: RemoteAgent | None = None,
        token_file: Path | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        refresh_seconds: float = REFRESH_SECONDS,
    ) -> None:
        super().__init__()
        self.client = client
        self.labels = labels or {}
        self.levels = levels or set()
        self.silent_after = silent_after
        self.remote = remote
        self.token_file = token_file
        self.clock = clock
        self.refresh_seconds = refresh_seconds
        self.rows: list[DeviceRow] = []
        self.shown: list[DeviceRow] = []
        self.loaded = False  # every device read (before: the first page only)
        self.counted: Summary | None = None  # the summary counted by Prometheus, until every device is read
        self.error: str | None = None
        self.layout: tuple[Column, ...] = ()  # the table's columns now

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(_("reading the fleet from Prometheus…"), id="summary")
            yield Input(placeholder=_("filter: device, site=X, attention …"), id="filter")
            yield DataTable(id="fleet", cursor_type="row", zebra_stripes=True)
            yield Static("", id="diagnosis")
            yield Static("", id="status")
        yield DashboardFooter()

    def on_mount(self) -> None:
        table = self.query_one("#fleet", DataTable)
        table.focus()  # keys go to the table, not to the filter box while it is hidden
        self.load()
        self.set_interval(self.refresh_seconds, self.load)

    async def on_unmount(self) -> None:
        await self.client.aclose()

    @work(exclusive=True, group="load")
    async def load(self) -> None:
        """First the riskiest page and the summary counted by Prometheus (a full screen at once, even
        for 10,000 devices), then every device (for the filter and the complete summary)."""
        try:
            if not self.loaded:
                first, counts = await asyncio.gather(
                    self.client.first_page(self.labels, FIRST_PAGE),
                    self.client.full_sync_counts(self.labels),
                )
                self.rows, self.counted = by_risk(first, self.clock(), self.silent_after), Summary.of(*counts)
                self.redraw()
            rows = await self.client.devices(self.labels)
        except FleetError as exc:
            self.error = str(exc)
            said = _("cannot read the fleet: {error}").format(error=exc)
            self.query_one("#status", Static).update(Text(one_line(said, 300)))
            return
        self.error = None
        self.rows, self.counted = by_risk(rows, self.clock(), self.silent_after), None
        self.loaded = True
        self.redraw()

    def redraw(self) -> None:
        now = self.clock()
        words = self.query_one("#filter", Input).value
        self.shown = [
            row
            for row in self.rows
            if (not self.levels or level_of(row, now, self.silent_after).value in self.levels)
            and matches(row, words, level_of(row, now, self.silent_after))
        ]
        summary = self.counted if self.counted is not None and not words else summarise(self.shown, now)
        histogram = sparkline(summary.histogram)
        self.query_one("#summary", Static).update(
            Text.assemble(
                visible(summary_line(summary)),
                "\n",
                (_("days since full sync 0…30+") + " ", "dim"),
                histogram,
            )
        )
        self._fill_table(now)
        self.query_one("#status", Static).update(Text(self._status(summary)))

    def _fill_table(self, now: datetime) -> None:
        """The shown devices in the widest layout the table's width holds (columns rebuilt only when
        the layout changes)."""
        table = self.query_one("#fleet", DataTable)
        rows = [Cells(row, now, self.silent_after) for row in self.shown[:TABLE_ROWS]]
        layout = layout_for(self.size.width, rows)
        table.clear(columns=layout != self.layout)
        if layout != self.layout:
            table.add_columns(*(column.header() for column in layout))
            self.layout = layout
        for c in rows:
            table.add_row(*cells(layout, c), key=c.row.device)

    def on_resize(self) -> None:
        if self.rows:
            self.redraw()

    def _status(self, summary: Summary) -> str:
        if not self.loaded:
            status = ngettext(
                "the {shown} riskiest of {n} device; reading the others…",
                "the {shown} riskiest of {n} devices; reading the others…",
                summary.devices,
            ).format(shown=number(len(self.shown)), n=number(summary.devices))
        elif len(self.shown) > TABLE_ROWS:
            status = ngettext(
                "the {shown} riskiest of {n} device; / filters",
                "the {shown} riskiest of {n} devices; / filters",
                len(self.shown),
            ).format(shown=number(TABLE_ROWS), n=number(len(self.shown)))
        else:
            status = ngettext("{shown} of {n} device", "{shown} of {n} devices", len(self.rows)).format(
                shown=number(len(self.shown)), n=number(len(self.rows))
            )
        ages = _("ages amber after {amber} days, red after {red}").format(
            amber=AMBER_AFTER.days, red=RED_AFTER.days
        )
        # the key first: a line wrapped at 80 columns may break at any space, a no-break one too
        return " · ".join((_("Enter: details"), status, ages))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """The table's keys act on the table only: not while a device is shown over it."""
        return not (action in TABLE_ACTIONS and isinstance(self.screen, DeviceScreen))

    def action_refresh(self) -> None:
        self.load()

    def action_filter(self) -> None:
        box = self.query_one("#filter", Input)
        box.add_class("shown")
        box.focus()

    def action_clear_filter(self) -> None:
        box = self.query_one("#filter", Input)
        box.value = ""
        box.remove_class("shown")
        self.query_one("#fleet", DataTable).focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        self.redraw()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.query_one("#fleet", DataTable).focus()

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        row = next((r for r in self.shown if r.device == event.row_key.value), None)
        line = Text()
        if row is not None:
            line.append(visible(row.device), "bold")
            line.append(_(": {diagnosis}").format(diagnosis=diagnosis(row, self.clock(), self.silent_after)))
        self.query_one("#diagnosis", Static).update(line)

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        device = event.row_key.value
        row = next((r for r in self.shown if r.device == device), None)
        if row is not None:
            self.push_screen(DeviceScreen(row))


class DeviceScreen(Screen[None]):
    """One device: its backends, verdicts, reasons and queues as Prometheus last had them."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "app.pop_screen", N_("Back"), id="fleet.back"),
        Binding("o", "open_dashboard", N_("Live dashboard"), id="fleet.open"),
    ]

    def __init__(self, row: DeviceRow) -> None:
        super().__init__()
        self.row = row
        self.backends: list[BackendDetail] | None = None
        self.agent_reachable = False

    @property
    def fleet(self) -> FleetApp:
        assert isinstance(self.app, FleetApp)
        return self.app

    def compose(self) -> ComposeResult:
        yield Static(self._header(), id="device-header")
        yield Static(_("reading its backends…"), id="device-body")
        yield DashboardFooter()

    def _header(self) -> Text:
        now = self.fleet.clock()
        row = self.row
        labels = ", ".join(f"{k}={v}" for k, v in sorted(row.labels.items()))
        level = level_of(row, now, self.fleet.silent_after)
        return Text.assemble(
            (visible(row.device), "bold"),
            f"  {visible(labels)}\n",
            (LEVEL_WORDS[level], LEVEL_STYLES[level]),
            f" · {diagnosis(row, now, self.fleet.silent_after)}\n",
            _(
                "newest data {age} old · last contact {contact} · last full sync {full_sync}"
                " · last attempt {attempt}"
            ).format(
                age=age_or(row.last_seen, now, _("never")),
                contact=age_or(row.last_contact, now),
                full_sync=full_sync_text(row, now),
                attempt=age_or(row.last_attempt, now),
            ),
        )

    def on_mount(self) -> None:
        self.load_detail()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return action != "open_dashboard" or self.agent_reachable

    @work(exclusive=True)
    async def load_detail(self) -> None:
        body = self.query_one("#device-body", Static)
        try:
            self.backends = await self.fleet.client.detail(self.row)
        except FleetError as exc:
            body.update(
                Text(one_line(_("cannot read the device's backends: {error}").format(error=exc), 300))
            )
            return
        text = Text()
        now = self.fleet.clock()
        silent = self.row.last_seen is not None and now - self.row.last_seen > self.fleet.silent_after
        if silent:  # what it said then is not known to be true now: never shown as a current verdict
            said = _("as it last reported, {age} ago (not known now):").format(
                age=age_or(self.row.last_seen, now)
            )
            text.append(f"\n{said}", "dim")
        for backend in self.backends:
            level = backend.verdict or Level.UNKNOWN
            text.append(f"\n{visible(backend.backend)} ({visible(backend.kind)}) ", "bold")
            if silent:
                text.append(_("said: {level}").format(level=LEVEL_WORDS[level]), "dim")
            else:
                text.append(LEVEL_WORDS[level], LEVEL_STYLES[level])
            queues = ", ".join(f"{visible(q)} {number(n)}" for q, n in sorted(backend.queues.items()))
            text.append("\n  " + _("queues: {queues}").format(queues=queues or unknown()))
            for lv, code in backend.reasons:
                text.append(f"\n  {visible(lv)}: {visible(code)}")
            versions = _("adapter {adapter}, server {server}").format(
                adapter=visible(backend.adapter_version) or unknown(),
                server=visible(backend.server_version) or unknown(),
            )
            text.append(f"\n  {versions}")
        if not self.backends:
            text.append("\n" + _("no backend series at the time of its newest data"))
        text.append(f"\n\n{await self._agent_hint()}", "dim")
        body.update(text)

    async def _agent_hint(self) -> str:
        remote = self.fleet.remote
        if remote is None:
            return _("live dashboard: start synctui fleet with --agent tcp://HOST:PORT --token-file F")
        headers = {"Authorization": f"Bearer {remote.token.reveal()}"}
        try:
            async with httpx.AsyncClient(timeout=3.0, headers=headers) as http:
                answer = await http.get(f"{remote.url}/healthz")
        except httpx.HTTPError as exc:
            return _("the agent at {address} cannot be reached: {error}").format(
                address=remote.address, error=one_line(exc, 120)
            )
        if answer.status_code != 200:
            return _("the agent at {address} answered HTTP {status}").format(
                address=remote.address, status=answer.status_code
            )
        self.agent_reachable = True
        self.refresh_bindings()
        return _("o: open the live dashboard on {address}").format(address=remote.address)

    def action_open_dashboard(self) -> None:
        remote = self.fleet.remote
        if remote is None or self.fleet.token_file is None or not self.agent_reachable:
            self.notify(
                _("no reachable agent: use --agent tcp://HOST:PORT --token-file F"), severity="warning"
            )
            return
        command = [
            sys.executable,
            "-m",
            "synctui.cli",
            "--agent",
            remote.address,
            "--token-file",
            str(self.fleet.token_file),
        ]
        with self.app.suspend():
            done = subprocess.run(command, check=False)
        if done.returncode != 0:
            ended = _("the dashboard on {address} ended with exit {code}")
            self.notify(ended.format(address=remote.address, code=done.returncode), severity="warning")
