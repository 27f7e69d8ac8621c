"""The expert unlock of one locked spec value: an explicit confirm dialog (Escape or Cancel keeps it locked)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Footer, Label, Static


class UnlockConfirm(ModalScreen[bool]):
    """Ask before unlocking ``path`` of ``spec`` (NVIDIA's value ``nvidia``); dismisses with True only
    when the user presses Unlock (or ``y``). The unlock itself is recorded by the caller in project.yaml
    (``workflow.create.set_params(root, {}, unlock=[key])``)."""

    DEFAULT_CSS = """
    UnlockConfirm { align: center middle; }
    UnlockConfirm > #unlock-box {
        width: 70; max-width: 100%; height: auto; max-height: 100%;
        border: thick $error; background: $surface; padding: 0 1;
    }
    UnlockConfirm #unlock-title { text-style: bold; color: $error; width: 100%; }
    UnlockConfirm #unlock-text { height: auto; max-height: 12; }
    UnlockConfirm #unlock-buttons { height: 3; align-horizontal: right; margin-top: 1; }
    UnlockConfirm Button { margin-left: 2; min-width: 12; }
    """
    BINDINGS = [
        Binding("escape", "cancel", "keep it locked"),
        Binding("n", "cancel", "no", show=False),
        Binding("y", "confirm", "unlock"),
    ]

    def __init__(self, spec: str, path: str, value: str, nvidia: str | None):
        super().__init__()
        self.spec, self.path, self.value, self.nvidia = spec, path, value, nvidia

    def compose(self) -> ComposeResult:
        nvidia = f"NVIDIA's value is [b]{_esc(self.nvidia)}[/b]" if self.nvidia is not None else "NVIDIA's file has no such value"
        with Vertical(id="unlock-box"):
            yield Label(f"Unlock {self.path}?", id="unlock-title")
            with VerticalScroll(id="unlock-text"):
                yield Static(
                    f"[b]{_esc(self.path)}[/b] in {_esc(self.spec)} = [b]{_esc(self.value)}[/b]; {nvidia}.\n"
                    "NVIDIA tuned this value for the network; tao-tui keeps it locked so a training "
                    "run cannot break on it. Unlocked, you may set any value of the same type: tao-tui "
                    "checks only the type, and a wrong value can fail the run or lower its accuracy.\n"
                    "The unlock is recorded in project.yaml and the value is marked UNLOCKED "
                    "(the same as [b]tao-tui set --unlock[/b]).",
                    markup=True,
                )
            with Horizontal(id="unlock-buttons"):
                yield Button("Cancel", id="unlock-cancel", variant="primary")
                yield Button("Unlock", id="unlock-yes", variant="error")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#unlock-cancel", Button).focus()  # the safe choice is the default

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id == "unlock-yes")

    def action_cancel(self) -> None:
        self.dismiss(False)

    def action_confirm(self) -> None:
        self.dismiss(True)


def _esc(text: object) -> str:
    from rich.markup import escape

    return escape(str(text))
