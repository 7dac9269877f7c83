"""`?` help: every binding with the keys it has now (after the user's keymap), grouped by where it works."""

from __future__ import annotations

import textwrap
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Static

from synctui.i18n import N_, _
from synctui.tui.changes import allowed_now
from synctui.tui.key_groups import key_groups
from synctui.tui.keymap import DashboardBinding, current_keys, key_label

KEYS_CELLS = 14  # "  " and the keys column


def help_text(app, width: int) -> Content:
    """Every binding: its keys, what it does (wrapped to `width`, never cut) and its id, for remapping,
    in a column of its own."""
    keymap = app.keymap
    groups = [
        (_(group.title), [binding for binding in group.bindings if allowed_now(app, binding)])
        for group in key_groups()
    ]
    shown = [binding for _, bindings in groups for binding in bindings]
    id_cells = max(len(binding.id or "") for binding in shown) + 2
    longest = max(len(_(binding.help or binding.description)) for binding in shown)
    what_cells = max(20, min(longest, width - KEYS_CELLS - id_cells))
    lines: list[Content] = []
    for title, bindings in groups:
        if not bindings:
            continue
        if lines:
            lines.append(Content(""))
        lines.append(Content.assemble((title, "bold $primary")))
        for binding in bindings:
            keys = " / ".join(key_label(app, key) for key in current_keys(binding, keymap))
            wrapped = textwrap.wrap(_(binding.help or binding.description), what_cells) or [""]
            lines.append(
                Content.assemble(
                    (f"  {keys:<{KEYS_CELLS - 2}}", "bold"),
                    wrapped[0].ljust(what_cells),
                    (f"  {binding.id}", "$text-muted"),
                )
            )
            lines.extend(Content(" " * KEYS_CELLS + text) for text in wrapped[1:])
    lines.append(Content(""))
    footer = _('Remap keys in the config: [keymap] <binding id> = "keys". ctrl+p lists every action.')
    lines.extend(Content.assemble((text, "$text-muted")) for text in textwrap.wrap(footer, max(20, width)))
    return Content("\n").join(lines)


class HelpScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        DashboardBinding(
            "escape,question_mark", "close", N_("Close"), id="close_help", help=N_("Close help")
        ),
    ]
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen #help-dialog {
        width: auto; max-width: 100%; height: auto; max-height: 100%;
        border: thick $primary; background: $surface;
    }
    HelpScreen #help-title { height: 1; text-style: bold; padding: 0 1; }
    HelpScreen #help-scroll { height: auto; max-height: 100%; padding: 0 1; }
    HelpScreen #help-text { width: auto; text-wrap: nowrap; }
    """

    def compose(self) -> ComposeResult:
        with Vertical(id="help-dialog"):
            yield Static(_("Keys (Esc closes)"), id="help-title")
            with VerticalScroll(id="help-scroll"):
                yield Static(help_text(self.app, self.text_room()), id="help-text")

    def text_room(self) -> int:
        """The help's widest line: the screen less the dialog's border, padding and scroll bar."""
        return self.app.size.width - 2 - 2 - 2

    def on_mount(self) -> None:
        self.query_one("#help-scroll").focus()

    def on_resize(self) -> None:
        self.query_one("#help-text", Static).update(help_text(self.app, self.text_room()))

    def action_close(self) -> None:
        self.dismiss()
