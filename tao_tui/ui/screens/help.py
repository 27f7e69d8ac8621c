"""Help: the keys, and what tao-tui does for you."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Markdown

HELP = """\
# tao-tui keys

| key | what it does |
|---|---|
| ↑ ↓ / Enter | pick a network, a stage or a parameter |
| r | run the selected stage in its TAO container |
| s | stop the selected stage (SIGINT, then stop) |
| c | copy the stage's exact `tao` command (to use without tao-tui) |
| e | edit the selected parameter (only safe ones are editable) |
| p | pre-flight checks: dataset, mounts, pretrained model |
| d | the stage's spec against NVIDIA's file (only your values differ) |
| Esc | back · **?** this help · **q** quit (running stages keep running) |

**Safe parameters** are the few values NVIDIA says to change (batch size, epochs, classes,
paths). Every other value stays at NVIDIA's tuned default and is shown locked.

**Dropped SSH connection?** The container keeps running and every log line is on disk.
Start `tao-tui` again: it finds the run and follows it from where the log file ends.

The encryption key comes from `$KEY` (or a prompt) and is never written to disk.
"""


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,q,question_mark", "dismiss", "close")]
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll { width: 90%; max-width: 100; height: 90%; border: round $accent; background: $surface; }
    """

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Markdown(HELP)
