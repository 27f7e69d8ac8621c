"""Epoch, loss, mAP and ETA of the shown run: ProgressEvents folded by progress.ProgressState.

One fold: the panel applies the same events (live from the follower, or read back from the
run's events.jsonl) to a ``ProgressState`` and prints its ``summary()``, the line `tao-tui
status` and `tao-tui progress --summary` print. What only the app adds:

* "finished" / "failed" only once the runner recorded the container's exit (``set_result``);
  a ``stage_done`` line in the log is not the container's end.
* an ETA from the measured pace (fraction done per wall-clock second, live events only) when
  TAO printed none.
"""

from __future__ import annotations

import asyncio
import contextvars
import threading
import time

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import ProgressBar, Static

from tao_tui.progress import ProgressEvent, ProgressState

REPAINT_S = 0.5  # ≤ 2 repaints a second


def _fmt_duration(seconds: float) -> str:
    seconds = max(0, int(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}"


class Pace:
    """ETA from the pace measured while events arrive: ``(1 - f) * elapsed / (f - f0)``.

    ``add(fraction, now)`` takes the fraction done (0..1) at a wall-clock time (s);
    ``eta_s()`` is None until the fraction has moved."""

    def __init__(self) -> None:
        self.first: tuple[float, float] | None = None
        self.last: tuple[float, float] | None = None

    def add(self, fraction: float | None, now: float) -> None:
        if fraction is None:
            return
        if self.first is None:
            self.first = (now, fraction)
        self.last = (now, fraction)

    def eta_s(self) -> float | None:
        if not self.first or not self.last:
            return None
        (t0, f0), (t1, f1) = self.first, self.last
        if f1 <= f0 or t1 <= t0 or f1 >= 1.0:
            return None
        return (1.0 - f1) * (t1 - t0) / (f1 - f0)


def summary(st: ProgressState, result: str | None = None, pace_eta: float | None = None) -> str:
    """The progress line with markup. ``result``: the recorded end of the run (``done``,
    ``failed``, ``stopped``) or None while its container runs; ``pace_eta``: seconds left from
    the measured pace, shown only when TAO printed no ETA."""
    line = st.summary()
    parts = [line] if line else []
    if result is None and st.eta_s is None and pace_eta is not None:
        parts.append(f"ETA ~{_fmt_duration(pace_eta)}")
    if result == "done":
        parts.append("[green]finished[/]")
    elif result:
        parts.append(f"[b red]{result}[/]")
    if st.error is not None and st.error.message:
        parts.append(f"[b red]{st.error.message}[/]")
    return "  ".join(parts) or "no progress yet"


class ProgressPanel(Horizontal):
    """Events are pushed from the worker thread; the panel repaints at most twice a second,
    only when something arrived, without a relayout (fixed height)."""

    DEFAULT_CSS = """
    ProgressPanel { height: 2; padding: 0 1; }
    ProgressPanel ProgressBar { width: 26; height: 1; }
    ProgressPanel #stats { width: 1fr; height: 2; }
    """

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._lock = threading.Lock()
        self.state = ProgressState()
        self.result: str | None = None
        self.pace = Pace()
        self._pending: list[ProgressEvent] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._timer = None
        self._last = 0.0
        self._shown = ""
        self.repaints = 0
        self.listeners: list = []  # callables(events, state) on the UI thread (curves, AP table)
        self._restart: tuple[list[ProgressEvent], str | None] | None = None
        self.note: str | None = None

    def compose(self) -> ComposeResult:
        yield ProgressBar(total=100, show_eta=False, id="bar")  # static until progress is known
        yield Static("no progress yet", id="stats")

    def on_mount(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._cv_context = contextvars.copy_context()  # Textual's active app/message pump for the timer

    # ------------------------------------------------------------------ input
    def reset(self, events: list[ProgressEvent] | None = None, result: str | None = None) -> None:
        """Start over now (UI thread): another run is shown. ``events``: its history (events.jsonl).
        The same start-over as :meth:`replace`, applied at once."""
        with self._lock:
            self._pending = []
            self._restart = (list(events or []), result)
        if self._timer is not None:
            self._timer.stop()
        self._apply()

    def replace(self, events: list[ProgressEvent], result: str | None) -> None:
        """From any thread: start over from ``events`` (a run's events.jsonl); events pushed after
        this call follow them."""
        with self._lock:
            self._pending = []
            self._restart = (list(events), result)
        if self._loop is not None:
            try:
                self._loop.call_soon_threadsafe(self._wake, context=self._cv_context)
            except RuntimeError:
                pass

    def set_note(self, note: str | None) -> None:
        """A line shown instead of the progress (UI thread), e.g. that the selected stage has not
        run and the panel holds another stage's run; None: the progress again."""
        if note != self.note:
            self.note = note
            self.repaint()

    def set_result(self, status: str | None) -> None:
        """The runner recorded the run's end (UI thread)."""
        self.result = status
        self.repaint()

    def push(self, events: list[ProgressEvent]) -> None:
        """Called from the worker thread with a batch of events: folded here, in that thread (a
        fast log's thousands of events a second never hold up the UI thread); the UI thread only
        repaints, and hands the batch to the listeners."""
        with self._lock:
            wake = not self._pending and self._restart is None
            if self._restart is None:
                self.state.apply_all(events)
            self._pending.extend(events)
        if wake and self._loop is not None:
            try:
                self._loop.call_soon_threadsafe(self._wake, context=self._cv_context)
            except RuntimeError:
                pass

    def _wake(self) -> None:
        if not self.is_mounted:
            return
        restart = self._restart is not None  # another run shown: at once; live events: ≤ 1 / REPAINT_S a second
        if self._timer is not None:
            if not restart:
                return
            self._timer.stop()
        delay = 0.005 if restart else max(0.005, self._last + REPAINT_S - time.monotonic())
        self._timer = self.set_timer(delay, self._apply)

    def _apply(self) -> None:
        self._timer = None
        with self._lock:  # one critical section: a push from the worker lands in the new state
            restart, self._restart = self._restart, None
            events, self._pending = self._pending, []
            if restart is not None:
                history, self.result = restart
                self.state = ProgressState().apply_all(history).apply_all(events)
                self.pace = Pace()
                events = [*history, *events]
        if restart is not None:
            for listener in self.listeners:
                listener(None, self.state)  # None: start over
        self.pace.add(self.state.fraction, time.monotonic())
        if events:
            for listener in self.listeners:
                listener(events, self.state)
        self.repaint()

    # ------------------------------------------------------------------ output
    @property
    def text(self) -> str:
        return summary(self.state, self.result, self.pace.eta_s())

    def repaint(self) -> None:
        self._last = time.monotonic()
        fraction = 1.0 if self.result == "done" else self.state.fraction
        if self.note:
            fraction = 0.0  # the bar is not the selected stage's
        text = self.note or self.text
        if text == self._shown:
            return
        self._shown = text
        self.repaints += 1
        bar = self.query_one("#bar", ProgressBar)
        if fraction is not None:
            bar.update(total=100, progress=round(fraction * 100, 1))
        self.query_one("#stats", Static).update(text, layout=False)
