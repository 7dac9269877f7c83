"""The parts of a support bundle: what each holds, why support wants it, what support loses without it."""

from __future__ import annotations

from dataclasses import dataclass

from synctui.i18n import N_, _


@dataclass(frozen=True)
class PartSpec:
    name: str  # what `--exclude` takes
    title: str  # one line in the dialog (at most 46 characters: it fits 80 columns); N_(), shown with _()
    why: str  # in the manifest: why it is there
    loss: str  # what support loses when it is left out; N_(), shown with _() (the manifest keeps English)
    default: bool = True  # payloads only go in when the user asks
    nothing: str = ""  # said in the dialog instead of `title` when the part holds nothing; N_()


PARTS: tuple[PartSpec, ...] = (
    PartSpec(
        "screenshots",
        N_("Screens of the dashboard and its sync log"),
        "what the technician saw, as SVG, at their terminal size and at 120×40",
        N_("support cannot see the screens as you saw them"),
    ),
    PartSpec(
        "state",
        N_("Agent state: queues, verdicts, log, jobs"),
        "the device's exact state; `synctui open` draws the dashboard from it",
        N_("support cannot open the dashboard from the bundle"),
    ),
    PartSpec(
        "queues",
        N_("First page of each non-empty queue (+ screens)"),
        "which records wait, and since when",
        N_("support cannot browse the queues"),
    ),
    PartSpec(
        "rejections",
        N_("Server's reason for each conflicted entry"),
        "why the server refused each entry (no record contents)",
        N_("support cannot tell why entries were rejected"),
    ),
    PartSpec(
        "payloads",
        N_("Conflicted records' contents (personal data)"),
        "the records themselves, to check the data the server refused",
        N_("support cannot read the refused records themselves"),
        default=False,
    ),
    PartSpec(
        "audit",
        N_("Last audit records: who did what, when"),
        "the actions already tried on this device",
        N_("support cannot see which actions were already tried"),
    ),
    PartSpec(
        "logs",
        N_("End of the agent's and the dashboard's logs"),
        "errors the agent and the dashboard logged",
        N_("support cannot read the errors that were logged"),
        nothing=N_("Nothing logged (warnings and errors only)"),
    ),
    PartSpec(
        "plugins",
        N_("Plugins, and those that failed to load"),
        "which adapters run, and which are broken",
        N_("support cannot tell whether a plugin is broken"),
    ),
    PartSpec(
        "versions",
        N_("Versions: synctui, plugins, Python, OS"),
        "to match the problem to a known bug or fix",
        N_("support cannot match the problem to a known bug"),
    ),
    PartSpec(
        "config",
        N_("Configuration, every secret removed"),
        "the backends, addresses and intervals the agent uses",
        N_("support cannot check the configuration"),
    ),
)
PARTS_BY_NAME = {part.name: part for part in PARTS}
DEFAULT_PARTS = frozenset(part.name for part in PARTS if part.default)


def check_part_names(names: list[str]) -> None:
    """ValueError (one line) naming the first unknown part."""
    for name in names:
        if name not in PARTS_BY_NAME:
            said = _("unknown part {name}; parts: {parts}")
            raise ValueError(said.format(name=repr(name), parts=", ".join(PARTS_BY_NAME)))
