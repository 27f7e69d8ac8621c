"""Ask for the encryption key (kept in memory only, never written)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static


class KeyPrompt(ModalScreen[str | None]):
    BINDINGS = [Binding("escape", "cancel", "cancel")]
    DEFAULT_CSS = """
    KeyPrompt { align: center middle; }
    KeyPrompt > Vertical { width: 76; max-width: 100%; height: auto; border: round $warning; background: $surface; padding: 1 2; }
    """

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static("The encryption key TAO encrypts and decrypts models with (NGC's models: see the model card).")
            yield Static("It stays in memory: tao-tui never writes it to disk. Tip: export KEY=... before starting.")
            yield Input(password=True, placeholder="key (e.g. tlt_encode for NGC models)", id="key")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value.strip() or None)

    def action_cancel(self) -> None:
        self.dismiss(None)
