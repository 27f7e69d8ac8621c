"""Epoch, loss, mAP, ETA and GPU load of the running stage, folded from progress events."""

from __future__ import annotations

import threading

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import ProgressBar, Static


def _hms(seconds: float | None) -> str:
    if seconds is None:
        return "–"
    s = int(seconds)
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}"


class ProgressPanel(Horizontal):
    """Folds ProgressEvents (pushed from a worker thread) and repaints on a timer."""

    DEFAULT_CSS = """
    ProgressPanel { height: 1; }
    ProgressPanel ProgressBar { width: 26; }
    ProgressPanel #stats { width: 1fr; }
    """

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self.state = {"epoch": None, "max_epoch": None, "step": None, "max_step": None, "loss": None,
                          "map": None, "eta_s": None, "error": None, "dirty": True}

    def compose(self) -> ComposeResult:
        yield ProgressBar(total=100, show_eta=False, id="bar")  # static until progress is known
        yield Static("no progress yet", id="stats")
    def on_mount(self) -> None:
        self.set_interval(0.5, self.repaint)

    def push(self, events) -> None:
        """Called from the worker thread with a batch of events."""
        with self._lock:
            st = self.state
            for ev in events:
                for k in ("epoch", "max_epoch", "step", "max_step", "loss", "map", "eta_s"):
                    v = getattr(ev, k, None)
                    if v is not None:
                        st[k] = v
                if ev.kind == "error":
                    st["error"] = ev.message
            st["dirty"] = True

    def repaint(self) -> None:
        with self._lock:
            st = dict(self.state)
            self.state["dirty"] = False
        if not st["dirty"]:
            return
        bar = self.query_one("#bar", ProgressBar)
        if st["max_epoch"]:
            done = (st["epoch"] or 0) + (
                (st["step"] or 0) / st["max_step"] if st["max_step"] and st["step"] is not None else 0
            )
            bar.update(total=st["max_epoch"], progress=min(done, st["max_epoch"]))
        parts = []
        if st["epoch"] is not None:
            parts.append(f"epoch {st['epoch']}/{st['max_epoch'] or '?'}")
        if st["loss"] is not None:
            parts.append(f"loss {st['loss']:.5g}")
        if st["map"] is not None:
            parts.append(f"mAP {st['map']:.2f}")
        if st["eta_s"] is not None:
            parts.append(f"ETA {_hms(st['eta_s'])}")
        if st["error"]:
            parts.append(f"[b red]error:[/] {st['error']}")
        self.query_one("#stats", Static).update("  ".join(parts) or "no progress yet")
