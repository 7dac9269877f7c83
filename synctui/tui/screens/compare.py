"""Local copy beside the server copy of one entry, differences highlighted.

Two JSON objects of one type are aligned by field (one row per field, only the differing ones
highlighted, a short summary of what differs); anything else is a line diff. Side by side when the
terminal is wide enough, one listing (− local, + server) when narrow. When the server copy cannot be
fetched the reason is the headline: never a local-vs-local diff.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from textual import events, work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Static

from synctui.i18n import N_, _, ngettext, number
from synctui.model import Comparison, QueueKind
from synctui.tui.changes import refusal_text
from synctui.tui.diff import DiffRow, FieldRow, diff_rows, differing, field_rows, field_summary, fit
from synctui.tui.entry_text import pretty_payload
from synctui.tui.format import one_line, queue_label, safe
from synctui.tui.keymap import DashboardBinding
from synctui.tui.widgets.shared.dashboard_footer import DashboardFooter

if TYPE_CHECKING:
    from synctui.tui.app import SyncTuiApp

SIDE_BY_SIDE_MIN = 100  # columns needed for two readable halves
STYLES = {"change": ("$error", "$success"), "local": ("$error", ""), "server": ("", "$success")}
FIELD_WIDTH = 36  # at most, for the field column side by side
ABSENT = N_("(absent)")


class CompareScreen(Screen):
    BINDINGS: ClassVar[list[BindingType]] = [
        DashboardBinding("escape", "close", N_("Back"), id="close_compare", help=N_("Back to the entry")),
    ]
    DEFAULT_CSS = """
    CompareScreen #compare-title { height: 1; background: $panel; padding: 0 1; text-style: bold; }
    CompareScreen #compare-reason { height: auto; padding: 0 1; display: none; }
    CompareScreen #compare-reason.-shown { display: block; }
    CompareScreen #compare-reason.-missing {
        background: $error; color: auto 100%; text-style: bold; padding: 1 1;
    }
    CompareScreen #compare-summary { height: auto; max-height: 4; padding: 0 1; background: $boost; }
    CompareScreen #compare-body { text-wrap: nowrap; width: auto; min-width: 100%; padding: 0 1; }
    CompareScreen #compare-scroll { height: 1fr; overflow-x: auto; }
    """

    def __init__(self, backend: str, kind: QueueKind, entry_id: str) -> None:
        super().__init__()
        self.backend = backend
        self.kind = kind
        self.entry_id = entry_id
        self.comparison: Comparison | None = None
        self.rows: list[DiffRow] = []
        self.fields: list[FieldRow] | None = None
        self.error: str | None = None

    @property
    def tui(self) -> SyncTuiApp:
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        yield Static(
            Content(
                f"{safe(self.backend)} › {queue_label(None, self.kind)} › {one_line(self.entry_id, 40)} › "
                + _("compare")
            ),
            id="compare-title",
        )
        yield Static("", id="compare-reason")
        yield Static(_("asking the server for its copy…"), id="compare-summary")
        with VerticalScroll(id="compare-scroll"):
            yield Static("", id="compare-body")
        yield DashboardFooter()

    def on_mount(self) -> None:
        self.query_one("#compare-scroll").focus()
        self.load()

    @work(exclusive=True, group="compare")
    async def load(self) -> None:
        try:
            comparison = await self.tui.client.compare(self.backend, self.kind, self.entry_id)
        except Exception as exc:  # refused, unreachable or a broken client: say so, do not crash
            self.error = refusal_text(exc)
            self.draw()
            return
        self.comparison = comparison
        if comparison.server is not None:
            self.fields = field_rows(comparison.local, comparison.server)
            if self.fields is None:
                local = pretty_payload(comparison.local, "")
                self.rows = diff_rows(local, pretty_payload(comparison.server, ""))
        self.draw()

    def on_resize(self, event: events.Resize) -> None:
        self.draw()

    # --- drawing --------------------------------------------------------------------------------

    def draw(self) -> None:
        reason = self.query_one("#compare-reason", Static)
        summary = self.query_one("#compare-summary", Static)
        body = self.query_one("#compare-body", Static)
        if self.error is not None:
            reason.set_classes("-shown -missing")
            reason.update(Content(_("Could not compare: {why}").format(why=safe(self.error))))
            summary.update("")
            return
        comparison = self.comparison
        if comparison is None:
            return
        if comparison.server is None:
            reason.set_classes("-shown -missing")
            why = one_line(comparison.reason, 300) or _("the backend did not say why")
            reason.update(Content(_("The server copy cannot be fetched: {why}").format(why=why)))
            summary.update(
                Content.assemble(
                    (_("Local copy only"), "bold"), " ", (_("(nothing to compare)"), "$text-muted")
                )
            )
            body.update(Content(pretty_payload(comparison.local, "") or _("(empty)")))
            return
        reason.set_classes("-shown" if comparison.reason else "")
        reason.update(Content.assemble((_("Note:") + " ", "bold $warning"), one_line(comparison.reason, 300)))
        wide = self.size.width >= SIDE_BY_SIDE_MIN
        if self.fields is not None:
            what = field_summary(self.fields)
            if what:
                summary.update(Content.assemble((what, "bold $warning"), self.legend()))
            else:
                summary.update(Content.styled(_("The local and server copies are the same"), "$success bold"))
            body.update(self.fields_side_by_side() if wide else self.fields_listed())
            return
        changed = differing(self.rows)
        if changed:
            counted = ngettext("{n} line differs", "{n} lines differ", changed).format(n=number(changed))
            summary.update(Content.assemble((counted, "bold $warning"), self.legend()))
        else:
            summary.update(Content.styled(_("The local and server copies are the same"), "$success bold"))
        body.update(self.side_by_side() if wide else self.unified())

    def legend(self) -> Content:
        if self.size.width >= SIDE_BY_SIDE_MIN:
            return Content.assemble("  ", (_("local (left) │ server (right)"), "$text-muted"))
        return Content.assemble("  ", ("− " + _("local"), "$error"), " ", ("+ " + _("server"), "$success"))

    def fields_side_by_side(self) -> Content:
        fields = self.fields or []
        name = min(max((len(one_line(f.path, FIELD_WIDTH)) for f in fields), default=5), FIELD_WIDTH)
        half = max((self.size.width - name - 8) // 2, 10)
        lines = [
            Content.assemble(
                (fit(_("FIELD"), name), "bold"),
                "   ",
                (fit(_("LOCAL"), half), "bold"),
                " │ ",
                (fit(_("SERVER"), half), "bold"),
            )
        ]
        for field in fields:
            local, server = one_line(field.local or _(ABSENT)), one_line(field.server or _(ABSENT))
            if not field.differs:
                lines.append(
                    Content.assemble(
                        (fit(one_line(field.path), name), "$text-muted"),
                        "   ",
                        fit(local, half),
                        (" │ ", "$text-muted"),
                        fit(server, half),
                    )
                )
                continue
            lines.append(
                Content.assemble(
                    (fit(one_line(field.path), name), "bold $warning"),
                    (" ┃ ", "$warning"),
                    (fit(local, half), "$text-muted" if field.local is None else "$error"),
                    (" ┃ ", "$warning"),
                    (fit(server, half), "$text-muted" if field.server is None else "$success"),
                )
            )
        return Content("\n").join(lines)

    def fields_listed(self) -> Content:
        lines: list[Content] = []
        for field in self.fields or []:
            path = one_line(field.path)
            if not field.differs:
                lines.append(
                    Content.assemble(("  ", ""), (f"{path} = ", "$text-muted"), one_line(field.local))
                )
                continue
            lines.append(Content.assemble(("! ", "bold $warning"), (path, "bold $warning")))
            lines.append(
                Content.assemble(("    - ", "$error"), (one_line(field.local or _(ABSENT)), "$error"))
            )
            lines.append(
                Content.assemble(("    + ", "$success"), (one_line(field.server or _(ABSENT)), "$success"))
            )
        return Content("\n").join(lines)

    def side_by_side(self) -> Content:
        half = max((self.size.width - 5) // 2, 10)
        lines = [
            Content.assemble((fit(_("LOCAL"), half), "bold"), " │ ", (fit(_("SERVER"), half), "bold")),
        ]
        for row in self.rows:
            left_style, right_style = STYLES.get(row.tag, ("", ""))
            lines.append(
                Content.assemble(
                    (fit(row.local or "", half), left_style),
                    (
                        " │ " if row.tag == "equal" else " ┃ ",
                        "$warning" if row.tag != "equal" else "$text-muted",
                    ),
                    (fit(row.server or "", half), right_style),
                )
            )
        return Content("\n").join(lines)

    def unified(self) -> Content:
        lines: list[Content] = []
        for row in self.rows:
            if row.tag == "equal":
                lines.append(Content(f"  {row.local}"))
                continue
            if row.local is not None:
                lines.append(Content.assemble((f"- {row.local}", "$error")))
            if row.server is not None:
                lines.append(Content.assemble((f"+ {row.server}", "$success")))
        return Content("\n").join(lines)

    def action_close(self) -> None:
        self.dismiss()
