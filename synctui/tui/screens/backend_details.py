"""One backend in detail: its facts (Snapshot.info), health, and settings (changed through a confirmation)."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.widgets import DataTable, Static

from synctui.actions import action
from synctui.i18n import N_, _, number
from synctui.model import ActionResult, Capability, Health, InfoItem, Setting
from synctui.tui.changes import backend_view, offers, refusal_text, run_change
from synctui.tui.format import one_line, safe
from synctui.tui.keymap import DashboardBinding
from synctui.tui.look import glyphs
from synctui.tui.messages import redraw
from synctui.tui.screens.confirm import Confirmation, ConfirmRequest, ConfirmScreen
from synctui.tui.widgets.shared.action_result import ActionResultView
from synctui.tui.widgets.shared.dashboard_footer import DashboardFooter

if TYPE_CHECKING:
    from synctui.tui.app import SyncTuiApp


def info_text(items: list[InfoItem]) -> Content:
    if not items:
        return Content.styled(_("this backend reports no details"), "$text-muted")
    width = min(max(len(item.label) for item in items), 28) + 2
    return Content("\n").join(
        Content.assemble(
            (f"{one_line(item.label, width - 2):<{width}}", "$text-muted"), one_line(item.value, 300)
        )
        for item in items
    )


HEALTH_LABELS = (N_("Online"), N_("Latency"), N_("Server"), N_("Credentials"), N_("Error"), N_("Advice"))


def health_text(health: Health, stale: bool, g, known: bool = True) -> Content:
    """`known` False: the agent has not read the backend yet, so "online" is not known either."""
    width = max(len(_(label)) for label in HEALTH_LABELS) + 1

    def line(label: str, *value: str | tuple[str, str]) -> Content:
        return Content.assemble((f"{_(label):<{width}}", "$text-muted"), *value)

    if not known:
        online = line("Online", (f"{g.unknown} " + _("not known yet"), "$accent bold"))
    else:
        online = line(
            "Online",
            (f"{g.online} " + _("yes"), "$success bold")
            if health.online
            else (f"{g.offline} " + _("no"), "$error bold"),
            (" " + _("(stale: the agent could not refresh)"), "$warning") if stale else "",
        )
    credentials = {True: _("accepted"), False: (_("refused"), "$error bold"), None: _("not checked")}
    lines = [
        online,
        line("Latency", f"{number(round(health.latency_ms))} ms" if health.latency_ms is not None else "—"),
        line("Server", one_line(health.server_version, 120) or "—"),
        line("Credentials", credentials[health.auth_ok]),
    ]
    if health.error is not None:
        lines.append(line("Error", (one_line(health.error.message, 300), "$error")))
        if health.error.advice:
            lines.append(line("Advice", (safe(health.error.advice, multiline=True), "$success")))
    return Content("\n").join(lines)


class BackendDetailsScreen(Screen):
    BINDINGS: ClassVar[list[BindingType]] = [
        DashboardBinding(
            "e",
            "change_setting",
            N_("Change"),
            id="change_setting",
            palette=N_("Change setting"),
            help=N_("Change the selected setting (confirmed, PIN when set)"),
            catalogue="change-settings",
        ),
        DashboardBinding(
            "k",
            "check_connection",
            N_("Check connection"),
            id="check_connection",
            palette=N_("Check connection"),
            help=N_("Probe the server, read-only: reachable, latency, credentials"),
            catalogue="check-connection",
            needs_device=True,
        ),
        DashboardBinding("escape", "close", N_("Back"), id="close_details", help=N_("Back to the dashboard")),
    ]
    DEFAULT_CSS = """
    BackendDetailsScreen #details-title { height: 1; background: $panel; padding: 0 1; text-style: bold; }
    BackendDetailsScreen .section { height: auto; padding: 0 1; border: round $secondary; }
    BackendDetailsScreen #settings { height: auto; max-height: 12; border: round $secondary; }
    """

    def __init__(self, backend: str) -> None:
        super().__init__()
        self.backend = backend
        self.settings: list[Setting] | None = None

    @property
    def tui(self) -> SyncTuiApp:
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        yield Static(Content(f"{safe(self.backend)} › " + _("details")), id="details-title")
        with VerticalScroll(id="details-body"):
            yield ActionResultView(id="details-result")
            yield Static("", id="details-health", classes="section")
            yield Static("", id="details-info", classes="section")
            yield DataTable(cursor_type="row", id="settings")
        yield DashboardFooter()

    def on_mount(self) -> None:
        self.query_one("#details-health").border_title = _("Health")
        self.query_one("#details-info").border_title = _("Facts")
        table = self.query_one("#settings", DataTable)
        table.border_title = _("Settings")
        for name in (N_("Setting"), N_("Value"), N_("Help")):
            table.add_column(_(name), key=name.lower())
        view = backend_view(self.tui, self.backend)
        has_settings = view is not None and Capability.SETTINGS in view.snapshot.capabilities
        table.display = has_settings
        self.show_state()
        if has_settings:
            table.focus()
            self.load()
        else:
            self.query_one("#details-body").focus()

    def on_agent_state_changed(self) -> None:
        redraw(self, self.show_state)

    def show_state(self) -> None:
        view = backend_view(self.tui, self.backend)
        if view is None:
            self.query_one("#details-info", Static).update(Content(_("this backend is no longer reported")))
            return
        snapshot = view.snapshot
        known = not self.tui.verdict(self.backend).has("never-refreshed")
        self.query_one("#details-health", Static).update(
            health_text(snapshot.health, snapshot.stale, glyphs(self.app), known)
        )
        self.query_one("#details-info", Static).update(info_text(snapshot.info))
        self.refresh_bindings()

    @work(exclusive=True, group="settings")
    async def load(self) -> None:
        table = self.query_one("#settings", DataTable)
        try:
            self.settings = await self.tui.client.settings(self.backend)
        except Exception as exc:  # refused, unreachable or broken: say so
            table.border_subtitle = Content(
                one_line(_("could not read the settings: {why}").format(why=refusal_text(exc)), 70)
            )
            return
        table.clear()
        for index, setting in enumerate(self.settings):
            mark = " ✎" if setting.editable else ""
            table.add_row(
                Text(one_line(setting.label, 30) + mark, style="bold" if setting.editable else ""),
                Text(one_line(setting.value, 40)),
                Text(one_line(setting.help, 80), style="dim"),
                key=str(index),
            )
        table.border_subtitle = (
            _("✎ = can be changed (e)") if any(s.editable for s in self.settings) else None
        )
        self.refresh_bindings()

    def selected_setting(self) -> Setting | None:
        table = self.query_one("#settings", DataTable)
        if not self.settings or not 0 <= table.cursor_row < len(self.settings):
            return None
        return self.settings[table.cursor_row]

    def action_check_connection(self) -> None:
        if self.check_action("check_connection", ()):
            self.notify(_("Checking the connection of {backend}…").format(backend=self.backend), timeout=3)
            self.probe()

    @work(exclusive=True, group="probe")
    async def probe(self) -> None:
        result = self.query_one("#details-result", ActionResultView)
        try:
            health = await self.tui.client.check_connection(self.backend)
        except Exception as exc:  # refused, unreachable or broken: say so
            result.show_error(action("check-connection").label, refusal_text(exc))
            return
        self.query_one("#details-health", Static).update(health_text(health, False, glyphs(self.app)))
        self.query_one("#details-health").border_title = _("Health (checked just now)")
        self.query_one("#details-health").scroll_visible(animate=False)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "check_connection":
            return offers(self.tui, self.backend, "check-connection")
        if action == "change_setting":
            editable = any(s.editable for s in self.settings or [])
            return editable and offers(self.tui, self.backend, "change-settings")
        return True

    def action_change_setting(self) -> None:
        setting = self.selected_setting()
        if not self.check_action("change_setting", ()) or setting is None:
            return
        if not setting.editable:
            self.notify(
                _("{setting} cannot be changed from here").format(setting=setting.label), severity="warning"
            )
            return
        lines = [_("Now: {value}").format(value=one_line(setting.value, 60))] + (
            [setting.help] if setting.help else []
        )
        request = ConfirmRequest.for_action(
            action("change-settings"),
            _("{setting} of {backend}").format(setting=setting.label, backend=self.backend),
            pin_required=self.tui.pin_required,
            lines=lines,
            value_label=_("new {setting}").format(setting=setting.label),
            value=setting.value,
        )

        def confirmed(answer: Confirmation | None) -> None:
            if answer is None or answer.value is None:
                return
            values = {setting.key: answer.value}
            run_change(
                self,
                f"settings:{self.backend}",
                lambda: self.tui.client.change_settings(self.backend, values, pin=answer.pin),
                self.after_change,
            )

        self.app.push_screen(ConfirmScreen(request), confirmed)

    def after_change(self, result: ActionResult | None, error: str | None) -> None:
        view = self.query_one("#details-result", ActionResultView)
        spec = action("change-settings")
        if result is None:
            view.show_error(spec.label, error or _("no answer"))
            return
        view.show_result(spec, result)
        self.load()

    def action_close(self) -> None:
        self.dismiss()
