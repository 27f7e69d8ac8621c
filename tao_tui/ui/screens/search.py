"""``/`` in the log: a one-line search bar over the log pane; matches highlight as you type,
Enter keeps them (``n``/``N`` move between them), Escape clears the search."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.screen import ModalScreen
from textual.widgets import Input, Static


class SearchScreen(ModalScreen[str | None]):
    """Dismissed with the pattern (Enter) or None (Escape). ``pane``: the LogPane searched."""

    BINDINGS = [Binding("escape", "cancel", "cancel search")]
    DEFAULT_CSS = """
    SearchScreen { align: left bottom; background: $background 0%; }
    SearchScreen #bar { height: 3; width: 100%; background: $panel; dock: bottom; }
    SearchScreen #bar Static { width: auto; padding: 1 1 0 1; }
    SearchScreen #bar Input { width: 1fr; }
    SearchScreen #count { width: 16; color: $text-muted; }
    """

    def __init__(self, pane, pattern: str = "", *, what: str = "the log", unit: str = "lines"):
        """``pane``: anything with ``search(pattern) -> count`` (the log pane, the Parameters tree);
        ``what``: what is searched, ``unit``: what the count counts (for the bar's words)."""
        super().__init__()
        self.pane = pane
        self.pattern = pattern
        self.what, self.unit = what, unit

    def compose(self) -> ComposeResult:
        with Horizontal(id="bar"):
            yield Static("/")
            yield Input(value=self.pattern, placeholder=f"text to find in {self.what} (case-insensitive)", id="pattern")
            yield Static("", id="count")

    def on_input_changed(self, event: Input.Changed) -> None:
        n = self.pane.search(event.value)
        self.query_one("#count", Static).update(f"{n} {self.unit}" if event.value else "")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value or None)

    def action_cancel(self) -> None:
        self.pane.search("")
        self.dismiss(None)
