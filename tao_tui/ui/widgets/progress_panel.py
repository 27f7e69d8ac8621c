"""Epoch, loss, mAP and ETA of the running stage: ProgressEvents folded by progress.ProgressState."""

from __future__ import annotations

import threading

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import ProgressBar, Static

from tao_tui.progress import ProgressState


def summary(st: ProgressState) -> str:
    """The progress line with markup: finished in green, the last error in red."""
    parts = [st.summary()] if st.summary() else []
    if st.done:
        parts.append("[green]finished[/]")
    if st.error is not None:
        parts.append(f"[b red]{st.error.message}[/]")
    return "  ".join(parts) or "no progress yet"


class ProgressPanel(Horizontal):
    """Events are pushed from the worker thread; the panel repaints at most twice a second."""

    DEFAULT_CSS = """
    ProgressPanel { height: auto; max-height: 3; }
    ProgressPanel ProgressBar { width: 26; }
    ProgressPanel #stats { width: 1fr; }
    """

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._lock = threading.Lock()
        self.state = ProgressState()
        self._dirty = True

    def reset(self) -> None:
        with self._lock:
            self.state = ProgressState()
            self._dirty = True

    def compose(self) -> ComposeResult:
        yield ProgressBar(total=100, show_eta=False, id="bar")  # static until progress is known
        yield Static("no progress yet", id="stats")

    def on_mount(self) -> None:
        self.set_interval(0.5, self.repaint)

    def push(self, events) -> None:
        """Called from the worker thread with a batch of events."""
        with self._lock:
            self.state.apply_all(events)
            self._dirty = True

    def repaint(self) -> None:
        with self._lock:
            if not self._dirty:
                return
            self._dirty = False
            fraction = self.state.fraction
            text = summary(self.state)
        if fraction is not None:
            self.query_one("#bar", ProgressBar).update(total=100, progress=round(fraction * 100, 1))
        self.query_one("#stats", Static).update(text)
