"""Epoch, loss, mAP and ETA of the running stage: ProgressEvents folded by progress.ProgressState."""

from __future__ import annotations

import threading

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import ProgressBar, Static

from tao_tui.progress import ProgressState


def _hms(seconds: float | None) -> str:
    if seconds is None:
        return "–"
    s = int(seconds)
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}"


def summary(st: ProgressState) -> str:
    """One line: ``epoch 3/80  step 120/2466  loss 0.0512  mAP 40.38 (best 41.02)  ETA 1:02:03``."""
    parts = []
    if st.max_epoch or st.epochs_done is not None or st.current_epoch is not None:
        epoch = st.current_epoch if st.current_epoch is not None else st.epochs_done
        parts.append(f"epoch {epoch if epoch is not None else 0}/{st.max_epoch or '?'}")
    if st.step is not None and st.max_step:
        parts.append(f"step {st.step}/{st.max_step}")
    if st.loss is not None:
        parts.append(f"loss {st.loss:.5g}")
    if st.map is not None:
        best = f" (best {st.best_map:.2f})" if st.best_map is not None and st.best_map != st.map else ""
        parts.append(f"mAP {st.map:.2f}{best}")
    if st.eta_s is not None and not st.done:
        parts.append(f"ETA {_hms(st.eta_s)}")
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
