"""Help: the keys, and what tao-tui does for you."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Markdown

HELP = """\
# tao-tui keys

**Moving around.** **Tab** / **Shift+Tab** move between the parts of a screen (a list, a field,
a button); the footer at the bottom always shows the keys that work where you are. **Enter**
chooses or goes on to the next step; **Escape** goes back one step (or closes a dialog) and
never loses what you typed. In the catalog, just type to filter; in a log, **/** searches.

| key | where | what it does |
|---|---|---|
| n · o | start | a new project · open a project folder |
| type · ↑ ↓ · Enter | catalog | filter networks · move · set up the highlighted one |
| Enter · Escape | set-up | next step · previous step |
| r · s | project | run · stop the selected stage in its TAO container |
| c | project | copy the stage's exact `tao` command (to use without tao-tui) |
| 1 · 2 · 3 | project | the Log, Curves or Parameters tab |
| v · i | project | the stage's results (KPIs, files, a failure's fix) · inference images |
| e · u | parameters | edit the selected safe value · unlock a locked one (expert, confirmed) |
| p · d | project | the checks `r` runs first · what differs from NVIDIA's spec files |
| k | project | enter the encryption key for this session (memory only, as `$KEY`) |
| t · x | project | a shell in the stage's container · export every `tao` line as a script |
| f · w | log | follow the newest line / pause · wrap long lines |
| / · n · N | log, parameters | search (the log; the parameter names while that tab shows) · next · previous |
| o · S | log | the whole run log in `$PAGER` · save a copy |
| ctrl+p | anywhere | every action, by name |
| ? · q | anywhere | this help · quit (running stages keep running) |

**Safe parameters** are the few values NVIDIA says to change (batch size, epochs, classes,
paths). Every other value stays at NVIDIA's tuned default and is shown locked.

**Dropped SSH connection?** The container keeps running and every log line is on disk.
Start `tao-tui` again (in the project folder, or `tao-tui FOLDER`): it opens the project,
finds the run and follows it from where the log file ends.

The encryption key comes from `$KEY`, or `k` in a project (or a prompt when a stage needs it); it is
never written to disk.
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
