"""The one confirmation dialog: what will happen, to how many entries, typed word and PIN when needed.

A change action's dialog is built from its catalogue entry (`ConfirmRequest.for_action`): title,
sentence, confirm word and PIN. Enter confirms only when the typed word matches (and a PIN was given
when the agent wants one); Escape cancels. A dialog answers once: whatever arrives after its first
answer is ignored, and the rest of a key burst (Enter Enter) does not fall through to the screen
below. The PIN input is masked and handed back to the caller only, never shown or logged.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Static

from synctui.actions import ActionSpec
from synctui.i18n import N_, _, ngettext, number
from synctui.tui.format import safe
from synctui.tui.keymap import DashboardBinding

BURST_KEYS = ("enter", "escape", "space")


@dataclass(frozen=True)
class Confirmation:
    pin: str | None = field(default=None, repr=False)
    value: str | None = None


@dataclass(frozen=True)
class ConfirmRequest:
    title: str
    lines: list[str]  # what will happen, one sentence a line
    count: int | None = None  # entries affected; None when it cannot be counted
    word: str | None = None  # destructive: the word to type (DISCARD, RESET, RETRY...)
    pin: bool = False  # ask for the admin PIN
    confirm_label: str = "Confirm"
    value_label: str | None = None  # ask for a new value (settings)
    value: str = ""

    @classmethod
    def for_action(
        cls,
        spec: ActionSpec,
        subject: str,
        *,
        pin_required: bool,
        count: int | None = None,
        lines: list[str] | tuple[str, ...] = (),
        value_label: str | None = None,
        value: str = "",
    ) -> ConfirmRequest:
        """The confirmation of catalogue action `spec` on `subject` ("3 Conflicts entries"): its
        title, its sentence first, its confirm word, and the PIN when it needs one and one is set."""
        return cls(
            title=_("{action}: {subject}?").format(action=spec.label, subject=subject),
            lines=[spec.description.rstrip(".") + ".", *(_(line) for line in lines)],
            count=count,
            word=spec.confirm_word,
            pin=spec.pin and pin_required,
            confirm_label=spec.label,
            value_label=value_label,
            value=value,
        )


class ConfirmScreen(ModalScreen[Confirmation | None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        DashboardBinding(
            "escape", "cancel", N_("Cancel"), id="confirm_cancel", help=N_("Cancel; nothing is changed")
        ),
    ]
    DEFAULT_CSS = """
    ConfirmScreen { align: center middle; }
    ConfirmScreen #confirm-dialog {
        width: 70; max-width: 100%; height: auto; max-height: 100%;
        border: thick $warning; background: $surface; padding: 0 1;
    }
    ConfirmScreen.-destructive #confirm-dialog { border: thick $error; }
    ConfirmScreen #confirm-title { text-style: bold; height: auto; }
    ConfirmScreen #confirm-body { height: auto; margin: 1 0; }
    ConfirmScreen Input { margin: 0; }
    ConfirmScreen #confirm-hint { height: auto; color: $text-muted; }
    ConfirmScreen #confirm-hint.-bad { color: $error; text-style: bold; }
    ConfirmScreen #confirm-buttons { height: auto; align-horizontal: right; }
    ConfirmScreen #confirm-buttons Button { margin-left: 1; min-width: 10; }
    """

    def __init__(self, request: ConfirmRequest) -> None:
        super().__init__(classes="-destructive" if request.word else "")
        self.request = request
        self.answered = False  # set by the first answer; everything after it is ignored

    def compose(self) -> ComposeResult:
        req = self.request
        with Vertical(id="confirm-dialog"):
            yield Static(Content(safe(req.title)), id="confirm-title")
            yield Static(self.body(), id="confirm-body")
            if req.value_label is not None:
                yield Input(value=safe(req.value), placeholder=safe(req.value_label), id="confirm-value")
            if req.word:
                yield Input(placeholder=_("type {word} to confirm").format(word=req.word), id="confirm-word")
            if req.pin:
                yield Input(placeholder=_("admin PIN"), password=True, id="confirm-pin")
            yield Static(self.hint(), id="confirm-hint")
            with Horizontal(id="confirm-buttons"):
                yield Button(req.confirm_label, id="confirm-ok", variant="error" if req.word else "primary")
                yield Button(_("Cancel"), id="confirm-cancel")

    def body(self) -> Content:
        req = self.request
        lines = [Content(safe(line, multiline=True)) for line in req.lines]
        if req.count is not None:
            affects = ngettext("{n} entry", "{n} entries", req.count).format(n=number(req.count))
            lines.insert(0, Content.assemble((_("Affects") + " ", "bold"), (affects, "bold $warning")))
        return Content("\n").join(lines)

    def hint(self) -> Content:
        req = self.request
        parts = []
        if req.word:
            parts.append(_("Type {word}").format(word=req.word))
        if req.pin:
            parts.append(_("enter the admin PIN"))
        parts.append(_("Enter confirms · Esc cancels"))
        return Content(", ".join(parts[:-1]) + (" · " if len(parts) > 1 else "") + parts[-1])

    def on_mount(self) -> None:
        inputs = list(self.query(Input))
        (inputs[0] if inputs else self.query_one("#confirm-ok")).focus()

    # --- checking -------------------------------------------------------------------------------

    def _value(self, widget_id: str) -> str:
        found = self.query(f"#{widget_id}")
        return found.first(Input).value if found else ""

    def word_ok(self) -> bool:
        word = self.request.word
        return not word or self._value("confirm-word").strip().upper() == word.upper()

    def problem(self) -> tuple[str, str] | None:
        """(message, input to focus) of what still stops the confirmation."""
        if not self.word_ok():
            return _("Type {word} exactly to confirm.").format(word=self.request.word), "confirm-word"
        if self.request.pin and not self._value("confirm-pin"):
            return _("Enter the admin PIN."), "confirm-pin"
        if self.request.value_label is not None and not self._value("confirm-value").strip():
            return _("Enter a value."), "confirm-value"
        return None

    def answer(self, confirmation: Confirmation | None) -> None:
        """Close with `confirmation` (None = cancelled), once."""
        if self.answered:
            return
        self.answered = True
        from synctui.tui.app import SyncTuiApp

        if isinstance(self.app, SyncTuiApp):
            self.app.swallow_burst(BURST_KEYS)
        self.dismiss(confirmation)

    def try_confirm(self) -> None:
        if self.answered:
            return
        problem = self.problem()
        if problem is not None:
            message, target = problem
            hint = self.query_one("#confirm-hint", Static)
            hint.update(message)
            hint.add_class("-bad")
            self.query_one(f"#{target}").focus()
            return
        pin = self._value("confirm-pin") if self.request.pin else None
        value = self._value("confirm-value").strip() if self.request.value_label is not None else None
        self.answer(Confirmation(pin=pin or None, value=value))

    # --- events ---------------------------------------------------------------------------------

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.try_confirm()

    def on_input_changed(self, event: Input.Changed) -> None:
        hint = self.query_one("#confirm-hint", Static)
        if hint.has_class("-bad"):
            hint.remove_class("-bad")
            hint.update(self.hint())

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "confirm-ok":
            self.try_confirm()
        else:
            self.action_cancel()

    def action_cancel(self) -> None:
        self.answer(None)
