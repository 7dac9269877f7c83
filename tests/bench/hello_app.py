"""The bare Textual app that bench_first_frame.py compares the dashboard with: one Label, nothing else."""

from textual.app import App, ComposeResult
from textual.widgets import Label


class HelloApp(App[None]):
    def compose(self) -> ComposeResult:
        yield Label("Hello, world")


if __name__ == "__main__":
    HelloApp().run()
