"""Open a project folder: a path, checked as typed, the reason beside the field."""

from __future__ import annotations

from pathlib import Path

from rich.markup import escape
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Static


def check_project_folder(text: str) -> tuple[Path | None, str]:
    """``(root, "")`` when ``text`` is (inside) a project folder, else ``(None, what is wrong + fix)``."""
    from tao_tui.recent import find_project_root

    text = text.strip()
    if not text:
        return None, "type the folder of a project (it holds project.yaml)"
    path = Path(text).expanduser()
    if not path.exists():
        return None, f"{text} does not exist: check the path (Tab completes nothing here; paste it)"
    if not path.is_dir():
        return None, f"{text} is a file, not a folder: give the folder that holds project.yaml"
    root = find_project_root(path)
    if root is None:
        return None, (f"{text} holds no project.yaml: it is not a tao-tui project. "
                      "To make one there, press Escape and pick New project")
    return root, ""


class OpenFolder(ModalScreen[Path | None]):
    BINDINGS = [Binding("escape", "cancel", "back")]
    DEFAULT_CSS = """
    OpenFolder { align: center middle; }
    OpenFolder > Vertical { width: 76; max-width: 100%; height: auto; border: round $accent;
                            background: $surface; padding: 0 1; }
    OpenFolder #open-error { color: $error; height: auto; }
    """

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("[b]Open a project[/b]: its folder (the one with project.yaml). Enter opens it.")
            yield Input(placeholder="e.g. ~/tao-projects/detectnet_v2", id="open-dir")
            yield Static("", id="open-error")

    def on_mount(self) -> None:
        self.query_one("#open-dir", Input).focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        self.query_one("#open-error", Static).update("")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        root, problem = check_project_folder(event.value)
        if root is None:
            self.query_one("#open-error", Static).update(escape(problem))
            return
        self.dismiss(root)

    def action_cancel(self) -> None:
        self.dismiss(None)
