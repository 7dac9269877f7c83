"""Submit a Bug: what goes in the support bundle, part by part with sizes; the user leaves parts out
(and reads what support loses without them), then writes it and reads back its file, size and id."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, OptionList, Static
from textual.widgets.option_list import Option

from synctui.bundle.parts import DEFAULT_PARTS, PARTS, PARTS_BY_NAME, PartSpec
from synctui.bundle.words import size_text, written_lines
from synctui.i18n import N_, _, ngettext, number
from synctui.tui.format import safe
from synctui.tui.keymap import DashboardBinding, current_keys, key_label

if TYPE_CHECKING:
    from synctui.bundle.build import Prepared, Sources
    from synctui.tui.app import SyncTuiApp

INTRO = N_(
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


def part_line(part: PartSpec, kept: bool, size: int | None, estimated: bool) -> str:
    """One part in the list; `[x]` / `[ ]` says whether it goes in, whatever the colours. A part that
    holds nothing is not offered: no box, and what it lacks said when the part knows how."""
    if size == 0:
        empty = _("empty")
        return f" -  {part.name:<11} {empty:>10} {_(part.nothing or part.title)}"
    shown = _("unknown") if size is None else ("~" if estimated else "") + size_text(size)
    return f"{'[x]' if kept else '[ ]'} {part.name:<11} {shown:>10} {_(part.title)}"


class PartList(OptionList):
    """The parts, each marked in or out; Space or Enter puts the highlighted one in or leaves it out."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("space", "select", N_("In / out"), show=False)]


class MarkedCheckbox(Checkbox):
    """A checkbox whose mark reads without colour: X when on, blank when off (Textual's draws X in both)."""

    def __init__(self, label: str, value: bool = False, **kwargs) -> None:
        super().__init__(label, value, **kwargs)
        self.BUTTON_INNER = "X" if value else " "

    def watch_value(self) -> None:
        self.BUTTON_INNER = "X" if self.value else " "
        super().watch_value()


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
        self.kept: set[str] = set(DEFAULT_PARTS)
        self.written = False

    @property
    def tui(self) -> SyncTuiApp:
        return self.app  # type: ignore[return-value]

    def write_key(self) -> str:
        """The key that writes the bundle, as the user's keymap has it."""
        write = next(b for b in self.BINDINGS if isinstance(b, Binding) and b.id == "bug_report_write")
        keys = current_keys(write, getattr(self.app, "keymap", None))
        return key_label(self.app, keys[0]) if keys else write.key

    def compose(self) -> ComposeResult:
        with Vertical(id="bug-dialog"):
            yield Static(_("Submit a Bug"), id="bug-title")
            with VerticalScroll(id="bug-body"):
                yield Static(_(INTRO), id="bug-intro")
                yield PartList(id="bug-parts")
                yield Static("", id="bug-losses")
                yield MarkedCheckbox(
                    _("Pseudonymise host names, IP addresses and user names"), id="bug-pseudonymise"
                )
                yield Static(_("Collecting what goes in…"), id="bug-status")
            with Horizontal(id="bug-buttons"):
                yield Button(
                    _("Write bundle"), id="bug-write", variant="primary", disabled=True, compact=True
                )
                yield Button(_("Close"), id="bug-close", compact=True)

    def on_mount(self) -> None:
        self.query_one("#bug-parts").focus()
        self.collect()

    @work(exclusive=True, group="bug-report")
    async def collect(self) -> None:
        from synctui.bundle.build import prepare

        self.query_one("#bug-write", Button).disabled = True
        self.query_one("#bug-status", Static).update(_("Collecting what goes in…"))
        pseudonymise = self.query_one("#bug-pseudonymise", Checkbox).value
        try:
            sources = dashboard_sources(self.tui)
            self.prepared = await prepare(
                self.tui.client,
                sources,
                payloads=False,
                payloads_later=True,
                pseudonymise=pseudonymise,
                apart=True,
            )
        except Exception as exc:  # a failure here must leave the dashboard running, and say why
            self.query_one("#bug-status", Static).update(
                Content.styled(_("Could not collect the bundle: {why}").format(why=safe(str(exc))), "$error")
            )
            return
        self.show_parts()

    def show_parts(self) -> None:
        prepared = self.prepared
        if prepared is None:
            return
        parts = self.query_one("#bug-parts", PartList)
        highlighted = parts.highlighted
        parts.clear_options()
        held = set(prepared.parts())
        for part in PARTS:
            size = prepared.size(part.name)
            kept = part.name in self.kept and part.name in held
            line = part_line(part, kept, size, prepared.estimated(part.name))
            parts.add_option(Option(Content(line), id=part.name, disabled=part.name not in held))
        parts.highlighted = highlighted if highlighted is not None else 0
        self.query_one("#bug-write", Button).disabled = False
        self.show_choice()

    def chosen(self) -> set[str]:
        return self.kept & set(self.prepared.parts()) if self.prepared is not None else set()

    def show_choice(self) -> None:
        prepared = self.prepared
        if prepared is None:
            return
        chosen = self.chosen()
        losses = [
            _("Without {part}: {loss}.").format(part=name, loss=_(PARTS_BY_NAME[name].loss))
            for name in prepared.parts()
            if name not in chosen
        ]
        self.query_one("#bug-losses", Static).update(Content("\n".join(losses)))
        sizes = [prepared.size(name) for name in chosen]
        total = size_text(sum(size or 0 for size in sizes))
        if None in sizes:
            total = _("{total} and some of unknown size").format(total=total)
        elif any(prepared.estimated(name) for name in chosen):
            total = _("about {total}").format(total=total)
        unread = prepared.unread_payloads
        sample = (
            "\n"
            + _(
                "Payloads: about {size}, told from {sampled} of {records} records; "
                "all are read when the bundle is written."
            ).format(
                size=size_text(unread.estimate),
                sampled=number(unread.sampled),
                records=number(unread.records),
            )
            if unread is not None and unread.estimate is not None
            else ""
        )
        notes = "".join(f"\n{safe(note.shown())}" for note in prepared.notes)
        self.query_one("#bug-status", Static).update(
            Content(
                ngettext(
                    "{n} part, {total} before compression",
                    "{n} parts, {total} before compression",
                    len(chosen),
                ).format(n=number(len(chosen)), total=total)
                + (", " + _("names pseudonymised") if prepared.pseudonymised else "")
                + "; "
                + _("{key} writes it.").format(key=self.write_key())
                + sample
                + notes
            )
        )

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        name = event.option_id
        if self.written or self.prepared is None or name is None:
            return
        self.kept ^= {name}
        self.show_parts()

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
        self.write_bundle(prepared, self.chosen())

    @work(exclusive=True, group="bug-report")
    async def write_bundle(self, prepared: Prepared, include: set[str]) -> None:
        from synctui.bundle.build import default_output
        from synctui.bundle.write import write

        status = self.query_one("#bug-status", Static)
        unread = prepared.unread_payloads
        if "payloads" in include and unread is not None:
            status.update(
                ngettext(
                    "Reading the contents of {n} conflicted record…",
                    "Reading the contents of {n} conflicted records…",
                    unread.records,
                ).format(n=number(unread.records))
            )
            await prepared.read_payloads()
        state_dir = self.tui.config.agent.state_dir  # type: ignore[union-attr]  (no config: no dialog)
        output = default_output(state_dir, prepared.bundle_id, prepared.created)
        try:
            written = await asyncio.to_thread(write, prepared, include, output)
        except OSError as exc:
            status.update(
                Content.styled(
                    _("Could not write {path}: {why}").format(
                        path=output, why=safe(exc.strerror or str(exc))
                    ),
                    "$error",
                )
            )
            return
        self.show_written(written_lines(written))

    def show_written(self, lines: list[str]) -> None:
        self.written = True
        self.query_one("#bug-status", Static).update(Content("\n".join(safe(line) for line in lines)))
        self.query_one("#bug-write", Button).disabled = True
        self.query_one("#bug-close", Button).focus()
        body = self.query_one("#bug-body")
        body.call_after_refresh(body.scroll_end, animate=False)  # once the lines above are laid out

    def action_close(self) -> None:
        self.dismiss(None)
