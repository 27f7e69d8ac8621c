"""When the clipboard may not arrive (inside tmux or screen without clipboard passthrough), the
command is shown selectable here, with the reason and how to turn passthrough on."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static, TextArea


class CopyTextScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,enter,q", "dismiss", "close")]
    DEFAULT_CSS = """
    CopyTextScreen { align: center middle; }
    CopyTextScreen #box { width: 90%; max-width: 120; height: auto; border: round $warning; padding: 0 1;
                          background: $surface; }
    CopyTextScreen TextArea { height: auto; max-height: 10; }
    CopyTextScreen #why { height: auto; }
    """

    def __init__(self, text: str, why: str):
        super().__init__()
        self.text, self.why = text, why

    def compose(self) -> ComposeResult:
        with Vertical(id="box"):
            yield Static(self.why, id="why")
            yield TextArea(self.text, read_only=True, soft_wrap=True, id="text", show_line_numbers=False)
            yield Static("[dim]select it with the mouse (in tmux: hold Shift), Esc closes[/]")

    def on_mount(self) -> None:
        area = self.query_one("#text", TextArea)
        area.focus()
        area.select_all()
