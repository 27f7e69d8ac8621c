"""A question with a few answers, each one a button (the CLI flag it equals is in its label).

Used where the CLI takes a flag and the app asks: a stage whose pre-flight found problems
(``--skip-checks``), a stage whose results folder holds an earlier run (``--fresh``).
Escape (or the first, safe, answer) changes nothing.
"""

from __future__ import annotations

from rich.markup import escape
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Static


class ChoiceDialog(ModalScreen[str | None]):
    """``answers``: (id, label, variant) in order; the first is the safe one and has the focus.
    Dismisses with the chosen id, or None on Escape."""

    BINDINGS = [Binding("escape", "cancel", "cancel")]
    DEFAULT_CSS = """
    ChoiceDialog { align: center middle; }
    ChoiceDialog > Vertical { width: 90; max-width: 100%; height: auto; max-height: 100%;
                              border: round $warning; background: $surface; padding: 0 1; }
    ChoiceDialog #choice-title { text-style: bold; height: auto; }
    ChoiceDialog #choice-body { height: auto; max-height: 14; }
    ChoiceDialog #choice-buttons { height: auto; align-horizontal: right; }
    ChoiceDialog #choice-buttons Button { width: auto; margin-left: 1; }
    """

    def __init__(self, title: str, body: str, answers: list[tuple[str, str, str]]):
        super().__init__()
        self.title_text, self.body, self.answers = title, body, answers

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(escape(self.title_text), id="choice-title")
            with VerticalScroll(id="choice-body"):
                yield Static(escape(self.body))
            with Horizontal(id="choice-buttons"):
                for aid, label, variant in self.answers:
                    yield Button(label, id=f"choice-{aid}", variant=variant)

    def on_mount(self) -> None:
        self.query_one(f"#choice-{self.answers[0][0]}", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss((event.button.id or "").removeprefix("choice-") or None)

    def action_cancel(self) -> None:
        self.dismiss(None)
