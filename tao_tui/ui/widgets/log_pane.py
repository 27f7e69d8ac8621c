"""The live log: a bounded buffer filled by a worker thread, flushed into a `Log` on a timer.

Writing one line at a time into a widget costs ~1 ms a line; batches flushed every
0.25 s keep the UI responsive and the SSH traffic bounded whatever the line rate.
The full log is on disk (runs/<id>/log); the pane keeps the last ``max_lines``.
"""

from __future__ import annotations

import threading
from collections import deque

from textual.widgets import Log

FLUSH_S = 0.25
BUFFER_LINES = 20_000


class LineBuffer:
    """Thread-safe bounded buffer; counts what it had to drop (the file keeps everything)."""

    def __init__(self, maxlen: int = BUFFER_LINES):
        self._lines: deque[str] = deque(maxlen=maxlen)
        self._lock = threading.Lock()
        self.dropped = 0

    def extend(self, lines: list[str]) -> None:
        with self._lock:
            overflow = len(self._lines) + len(lines) - (self._lines.maxlen or 0)
            if overflow > 0:
                self.dropped += overflow
            self._lines.extend(lines)

    def drain(self) -> tuple[list[str], int]:
        with self._lock:
            lines = list(self._lines)
            self._lines.clear()
            dropped, self.dropped = self.dropped, 0
        return lines, dropped


class LogPane(Log):
    """A `Log` fed from a :class:`LineBuffer`."""

    def __init__(self, *, max_lines: int = 5_000, **kwargs):
        super().__init__(max_lines=max_lines, **kwargs)
        self.buffer = LineBuffer()

    def on_mount(self) -> None:
        self.set_interval(FLUSH_S, self.flush)

    def flush(self) -> None:
        lines, dropped = self.buffer.drain()
        if dropped:
            lines.insert(0, f"… {dropped} lines skipped on screen (all are in the run log on disk)")
        if lines:
            # tqdm bars: keep only the last carriage-return segment of a line
            self.write_lines([ln.rsplit("\r", 1)[-1] for ln in lines])
