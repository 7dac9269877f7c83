"""Submit a Bug: what goes in the support bundle, part by part with sizes; the user leaves parts out
(and reads what support loses without them), then writes it and reads back its file, size and id."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, SelectionList, Static
from textual.widgets.selection_list import Selection

from synctui.bundle.parts import DEFAULT_PARTS, PARTS, PARTS_BY_NAME
from synctui.bundle.words import size_text, written_lines
from synctui.i18n import N_
from synctui.tui.format import safe
from synctui.tui.keymap import DashboardBinding

if TYPE_CHECKING:
    from synctui.bundle.build import Prepared, Sources
    from synctui.tui.app import SyncTuiApp

INTRO = (
    "A bundle for support staff. Passwords, tokens and PINs never go in. "
    "Space leaves a part out or puts it back."
)


def dashboard_sources(app: SyncTuiApp) -> Sources:
    """The bundle's sources as this dashboard sees them: its config and plugins, its agent, read-only
    flag, theme, size and clock."""
    from synctui.bundle.build import Sources
    from synctui.plugins import load_plugins

    config = app.config
    if config is None:
        raise RuntimeError("this dashboard was started without a configuration")
    return Sources(
        config,
        load_plugins(config.agent.plugins),
        getattr(app.client, "description", ""),
        app.now(),
        readonly=app.is_readonly,
        theme=app.theme,
        terminal=(app.size.width, app.size.height),
    )


class BugReportScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        DashboardBinding("w", "write", N_("Write"), id="bug_report_write", help=N_("Write the bundle")),
        DashboardBinding("escape", "close", N_("Close"), id="bug_report_close", help=N_("Close the dialog")),
    ]
    DEFAULT_CSS = """
    BugReportScreen { align: center middle; }
    BugReportScreen #bug-dialog {
        width: 80; max-width: 100%; height: auto; max-height: 100%;
        border: thick $primary; background: $surface; padding: 0 1;
    }
    BugReportScreen #bug-title { text-style: bold; height: 1; }
    BugReportScreen #bug-body { height: auto; max-height: 20; }
    BugReportScreen #bug-intro { height: auto; color: $text-muted; }
    BugReportScreen #bug-parts { height: auto; max-height: 12; border: none; padding: 0; }
    BugReportScreen #bug-losses { height: auto; color: $warning; }
    BugReportScreen #bug-pseudonymise { border: none; padding: 0; height: 1; }
    BugReportScreen #bug-status { height: auto; }
    BugReportScreen #bug-buttons { height: 1; align-horizontal: right; }
    BugReportScreen #bug-buttons Button { margin-left: 1; min-width: 10; }
    """

    def __init__(self) -> None:
        super().__init__()
        self.prepared: Prepared | None = None
        self.written = False

    @property
    def tui(self) -> SyncTuiApp:
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        with Vertical(id="bug-dialog"):
            yield Static("Submit a Bug", id="bug-title")
            with VerticalScroll(id="bug-body"):
                yield Static(INTRO, id="bug-intro")
                yield SelectionList[str](id="bug-parts")
                yield Static("", id="bug-losses")
                yield Checkbox("Pseudonymise host names, IP addresses and user names", id="bug-pseudonymise")
                yield Static("Collecting what goes in…", id="bug-status")
            with Horizontal(id="bug-buttons"):
                yield Button("Write bundle", id="bug-write", variant="primary", disabled=True, compact=True)
                yield Button("Close", id="bug-close", compact=True)

    def on_mount(self) -> None:
        self.query_one("#bug-parts").focus()
        self.collect()

    @work(exclusive=True, group="bug-report")
    async def collect(self) -> None:
        from synctui.bundle.build import prepare

        self.query_one("#bug-write", Button).disabled = True
        self.query_one("#bug-status", Static).update("Collecting what goes in…")
        pseudonymise = self.query_one("#bug-pseudonymise", Checkbox).value
        try:
            sources = dashboard_sources(self.tui)
            self.prepared = await prepare(
                self.tui.client, sources, payloads=True, pseudonymise=pseudonymise, apart=True
            )
        except Exception as exc:  # a failure here must leave the dashboard running, and say why
            self.query_one("#bug-status", Static).update(
                Content.from_markup("[$error]Could not collect the bundle: $why[/]", why=safe(str(exc)))
            )
            return
        self.show_parts()

    def show_parts(self) -> None:
        prepared = self.prepared
        if prepared is None:
            return
        parts = self.query_one("#bug-parts", SelectionList)
        keep = set(parts.selected) if parts.option_count else set(DEFAULT_PARTS)
        parts.clear_options()
        for part in PARTS:
            size = prepared.size(part.name)
            shown = size_text(size) if size else "empty"
            prompt = Content(f"{part.name:<12}{shown:>11}  {part.title}")
            parts.add_option(Selection(prompt, part.name, part.name in keep and size > 0, disabled=size == 0))
        self.query_one("#bug-write", Button).disabled = False
        self.show_choice()

    def show_choice(self) -> None:
        prepared = self.prepared
        if prepared is None:
            return
        chosen = set(self.query_one("#bug-parts", SelectionList).selected)
        losses = [
            f"Without {name}: {PARTS_BY_NAME[name].loss}." for name in prepared.parts() if name not in chosen
        ]
        self.query_one("#bug-losses", Static).update(Content("\n".join(losses)))
        total = sum(prepared.size(name) for name in chosen)
        notes = "".join(f"\n{safe(note)}" for note in prepared.notes)
        self.query_one("#bug-status", Static).update(
            Content(
                f"{len(chosen)} parts, {size_text(total)} before compression"
                f"{', names pseudonymised' if prepared.pseudonymised else ''}; W writes it.{notes}"
            )
        )

    def on_selection_list_selected_changed(self, event: SelectionList.SelectedChanged) -> None:
        if not self.written:
            self.show_choice()

    def on_checkbox_changed(self, event: Checkbox.Changed) -> None:
        self.written = False
        self.collect()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "bug-write":
            self.action_write()
        elif event.button.id == "bug-close":
            self.action_close()

    def action_write(self) -> None:
        prepared = self.prepared
        if prepared is None or self.written:
            return
        self.write_bundle(prepared, set(self.query_one("#bug-parts", SelectionList).selected))

    @work(exclusive=True, group="bug-report", thread=True)
    def write_bundle(self, prepared: Prepared, include: set[str]) -> None:
        from synctui.bundle.build import default_output
        from synctui.bundle.write import write

        state_dir = self.tui.config.agent.state_dir  # type: ignore[union-attr]  (no config: no dialog)
        output = default_output(state_dir, prepared.bundle_id, prepared.created)
        try:
            written = write(prepared, include, output)
        except OSError as exc:
            message = Content.from_markup(
                "[$error]Could not write $path: $why[/]", path=str(output), why=safe(exc.strerror or str(exc))
            )
            self.app.call_from_thread(self.query_one("#bug-status", Static).update, message)
            return
        self.app.call_from_thread(self.show_written, written_lines(written))

    def show_written(self, lines: list[str]) -> None:
        self.written = True
        self.query_one("#bug-status", Static).update(Content("\n".join(safe(line) for line in lines)))
        self.query_one("#bug-write", Button).disabled = True
        self.query_one("#bug-close", Button).focus()
        self.query_one("#bug-body").scroll_end(animate=False)

    def action_close(self) -> None:
        self.dismiss(None)
