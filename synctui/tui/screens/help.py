"""`?` help: every binding with the keys it has now (after the user's keymap), grouped by where it works."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Static

from synctui.tui.actions import allowed_now
from synctui.tui.bindings import SCOPE_TITLES, SPECS, bindings_for, current_keys, key_label


def help_text(app) -> Content:
    keymap = app.keymap
    lines: list[Content] = []
    for scope, title in SCOPE_TITLES.items():
        specs = [spec for spec in SPECS if spec.scope == scope and allowed_now(app, spec.catalogue)]
        if not specs:
            continue
        if lines:
            lines.append(Content(""))
        lines.append(Content.assemble((title, "bold $primary")))
        for spec in specs:
            keys = " / ".join(key_label(app, key) for key in current_keys(spec, keymap))
            lines.append(
                Content.assemble(
                    (f"  {keys:<12}", "bold"),
                    f"{spec.help or spec.description:<40}",
                    (f" {spec.id}", "$text-muted"),
                )
            )
    lines.append(Content(""))
    lines.append(
        Content.assemble(
            (
                'Remap keys in the config: [keymap] <binding id> = "keys". ctrl+p lists every action.',
                "$text-muted",
            )
        )
    )
    return Content("\n").join(lines)


class HelpScreen(ModalScreen[None]):
    SCOPE = "help"
    BINDINGS: list[Binding] = bindings_for("help")
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen #help-dialog {
        width: 80; max-width: 100%; height: auto; max-height: 100%;
        border: thick $primary; background: $surface;
    }
    HelpScreen #help-title { height: 1; text-style: bold; padding: 0 1; }
    HelpScreen #help-scroll { height: auto; max-height: 100%; padding: 0 1; }
    HelpScreen #help-text { text-wrap: nowrap; text-overflow: ellipsis; }
    """

    def compose(self) -> ComposeResult:
        with Vertical(id="help-dialog"):
            yield Static("Keys (Esc closes)", id="help-title")
            with VerticalScroll(id="help-scroll"):
                yield Static(help_text(self.app), id="help-text")

    def on_mount(self) -> None:
        self.query_one("#help-scroll").focus()

    def action_close(self) -> None:
        self.dismiss()
