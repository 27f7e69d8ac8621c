"""The live log: a bounded buffer filled by worker threads, drawn at most ``FLUSH_S`` apart.

Why not Textual's ``Log``: in Textual 8.2.8 ``Log.write_lines`` refreshes the line numbers
from *before* it trims to ``max_lines``, so once the log is full the newest line is not drawn
until another widget repaints (measured: up to 2.7 s). This pane is a ``ScrollView`` of its
own lines (Textual's line API: ``render_line``), which also gives wrap and search highlights.

Writing one line at a time into a widget costs ~1 ms a line; the worker puts lines into a
:class:`LineBuffer` and the pane drains it in one batch, at most ``1 / FLUSH_S`` times a
second (the SSH traffic is bounded whatever the line rate). No timer runs while nothing
arrives: the first line after a pause wakes the pane. The full log is on disk
(runs/<id>/log); the pane keeps the last ``max_lines``.

Keys (on the project screen): ``f`` follow/pause, ``/`` search, ``n``/``N`` next/previous
match, ``w`` wrap, ``o`` the whole run log in ``$PAGER``, ``S`` save a copy.
"""

from __future__ import annotations

import asyncio
import contextvars
import re
import threading
import time
from collections import deque
from collections.abc import Callable

from rich.cells import cell_len, chop_cells
from rich.segment import Segment
from rich.style import Style
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.strip import Strip

FLUSH_S = 0.5  # ≤ 2 repaints a second (issue 12: over SSH the log is the biggest writer)
BUFFER_LINES = 20_000
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def clean(line: str) -> str:
    """A log line as drawn: a tqdm bar keeps only its last ``\\r`` segment, tabs become spaces,
    other control characters become ``�`` (they would move the terminal's cursor)."""
    if "\r" in line:
        line = line.rstrip("\r").rsplit("\r", 1)[-1]
    if "\t" in line:
        line = line.expandtabs()
    return _CONTROL.sub("\ufffd", line) if _CONTROL.search(line) else line


class LineBuffer:
    """Thread-safe bounded buffer; counts what it had to drop (the file keeps everything).

    ``on_first`` is called (from the writing thread) when lines arrive in an empty buffer: the
    pane uses it to schedule one flush instead of polling."""

    def __init__(self, maxlen: int = BUFFER_LINES, on_first: Callable[[], None] | None = None):
        self._lines: deque[str] = deque(maxlen=maxlen)
        self._lock = threading.Lock()
        self.dropped = 0
        self.on_first = on_first
        self._signalled = False
        self.reset = False  # the next flush clears the pane first (set by ``replace``)

    def extend(self, lines: list[str], skipped: int = 0) -> None:
        """Add ``lines`` (any thread); ``skipped``: lines before them that were left out (counted
        as dropped: the pane says how many)."""
        if not lines and not skipped:
            return
        with self._lock:
            overflow = len(self._lines) + len(lines) - (self._lines.maxlen or 0)
            if overflow > 0:
                self.dropped += overflow
            if skipped:
                self.dropped += skipped
            self._lines.extend(lines)
            wake = not self._signalled
            self._signalled = True
        if wake and self.on_first is not None:
            self.on_first()

    def replace(self, lines: list[str]) -> None:
        """From any thread: the pane shows ``lines`` instead of what it had (cleared at the next
        flush), then whatever ``extend`` adds after."""
        with self._lock:
            self._lines.clear()
            self.dropped = 0
            self._lines.extend(lines)
            self.reset = True
            wake = not self._signalled
            self._signalled = True
        if wake and self.on_first is not None:
            self.on_first()

    def drain(self) -> tuple[list[str], int]:
        """Every line held and how many were dropped; the buffer is empty after."""
        lines, dropped, _reset = self.take()
        return lines, dropped

    def take(self) -> tuple[list[str], int, bool]:
        """``drain`` and whether the pane must be cleared first."""
        with self._lock:
            reset, self.reset = self.reset, False
            lines = list(self._lines)
            self._lines.clear()
            dropped, self.dropped = self.dropped, 0
            self._signalled = False
        return lines, dropped, reset

    def __len__(self) -> int:
        return len(self._lines)


class LogPane(ScrollView, can_focus=True):
    """The log lines of one run (or a diff, or pre-flight findings), fed through ``buffer``.

    ``lines``: the lines held (≤ ``max_lines``), oldest first. ``following``: the view sticks to
    the newest line. ``wrap``: long lines continue on the next rows instead of scrolling sideways.
    ``search(pattern)``: case-insensitive substring; matches are highlighted, ``next_match``
    moves between them."""

    DEFAULT_CSS = """
    LogPane { height: 1fr; background: $surface; color: $text; scrollbar-size-vertical: 1; }
    LogPane:focus { background-tint: $foreground 3%; }
    """

    MATCH = Style(bgcolor="yellow", color="black")
    CURRENT = Style(bgcolor="dark_orange", color="black", bold=True)

    def __init__(self, *, max_lines: int = 5_000, flush_s: float = FLUSH_S, **kwargs):
        super().__init__(**kwargs)
        self.max_lines = max_lines
        self.flush_s = flush_s
        self._lines: list[str] = []
        self._widths: list[int] = []
        self._max_width = 0
        self.following = True
        self.wrap = False
        self.pattern = ""
        self._matches: list[int] = []  # line indexes holding the pattern
        self._current: int | None = None  # index into _matches
        self._rows: list[tuple[int, int, int]] = []  # wrap: (line, start char, end char)
        self._rows_width = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._timer = None
        self._last_flush = 0.0
        self.flushes = 0  # batches drawn (bench: every batch is drawn, none skipped)
        self.buffer = LineBuffer(on_first=self._wake_threadsafe)

    @property
    def lines(self) -> list[str]:
        return self._lines

    # ------------------------------------------------------------------ feeding
    def on_mount(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._cv_context = contextvars.copy_context()  # Textual's active app/message pump for the timer
        self._update_title()
        if len(self.buffer):
            self._wake()

    def _wake_threadsafe(self) -> None:
        loop = self._loop
        if loop is None or loop.is_closed():
            return  # not mounted yet: on_mount flushes what is there
        try:
            loop.call_soon_threadsafe(self._wake, context=self._cv_context)
        except RuntimeError:
            pass  # the app is closing

    def _wake(self) -> None:
        if not self.is_mounted:
            return
        if self._timer is not None:
            if not self.buffer.reset:
                return
            self._timer.stop()  # another run is shown: draw it now, not at the next batch
        # another run shown: at once; streaming: ≤ 1 / flush_s batches a second
        delay = 0.005 if self.buffer.reset else max(0.005, self._last_flush + self.flush_s - time.monotonic())
        self._timer = self.set_timer(delay, self.flush)

    def flush(self) -> None:
        """Draw what the buffer holds, in one batch."""
        self._timer = None
        self._last_flush = time.monotonic()
        lines, dropped, reset = self.buffer.take()
        if reset:
            self.clear()
        if len(lines) > self.max_lines:  # older ones would be trimmed at once: never drawn
            dropped += len(lines) - self.max_lines
            lines = lines[-self.max_lines :]
        if dropped:
            lines.insert(0, f"… {dropped} lines skipped on screen (all are in the run log on disk)")
        if lines:
            self.write_lines(lines)

    def write_lines(self, lines: list[str]) -> None:
        """Append ``lines`` (on the UI thread), trim to ``max_lines``, keep following."""
        new = [clean(x) for x in lines]
        widths = [len(x) if x.isascii() else cell_len(x) for x in new]  # ASCII: one cell a character
        first = len(self._lines)
        self._lines.extend(new)
        self._widths.extend(widths)
        self._max_width = max(self._max_width, max(widths, default=0))
        if self.pattern:
            needle = self.pattern.lower()
            self._matches.extend(first + i for i, x in enumerate(new) if needle in x.lower())
        trim = len(self._lines) - self.max_lines
        if trim > 0:
            del self._lines[:trim]
            del self._widths[:trim]
            if self._matches:
                self._matches = [m - trim for m in self._matches if m >= trim]
                self._current = None
        if self.wrap:
            if trim > 0 or not self._rows:
                self._rows_width = 0  # rebuilt below
            else:
                self._rows.extend(self._wrap_rows(first, len(self._lines)))
        self.flushes += 1
        self._resize()
        if self.following:
            self.scroll_to(y=self.max_scroll_y, animate=False, immediate=True, force=True)
            # a horizontal scrollbar that appears with this batch takes the last row: stick again after
            self.call_after_refresh(self._stick)
        self.refresh()

    def _stick(self) -> None:
        if self.following and self.scroll_y != self.max_scroll_y:
            self.scroll_to(y=self.max_scroll_y, animate=False, immediate=True, force=True)

    def clear(self) -> LogPane:
        self._lines.clear()
        self._widths.clear()
        self._max_width = 0
        self._matches = []
        self._current = None
        self._rows = []
        self._rows_width = 0
        self.following = True
        self._resize()
        self.scroll_to(0, 0, animate=False, immediate=True, force=True)
        self.refresh()
        self._update_title()
        return self

    def show_lines(self, lines: list[str]) -> None:
        """Replace what the pane shows with ``lines`` (after whatever was buffered is dropped)."""
        self.buffer.drain()
        self.clear()
        self.write_lines(lines)

    # ------------------------------------------------------------------ geometry
    def _text_width(self) -> int:
        """Cells a wrapped row may use: the pane's width less the vertical scrollbar, always (the
        scrollbar appears once the rows outgrow the pane; rows cut before it came would lose their
        last cell under it)."""
        full = self.size.width or self.scrollable_content_region.width or 80
        return max(1, full - self.styles.scrollbar_size_vertical - self.styles.gutter.width)

    def _wrap_rows(self, start: int, end: int) -> list[tuple[int, int, int]]:
        width = self._rows_width
        rows = []
        for i in range(start, end):
            line = self._lines[i]
            if self._widths[i] <= width:
                rows.append((i, 0, len(line)))
                continue
            pos = 0
            for part in chop_cells(line, width):
                rows.append((i, pos, pos + len(part)))
                pos += len(part)
        return rows

    def _resize(self) -> None:
        if self.wrap:
            width = self._text_width()
            if width != self._rows_width:
                self._rows_width = width
                self._rows = self._wrap_rows(0, len(self._lines))
            self.virtual_size = Size(width, len(self._rows))
        else:
            self.virtual_size = Size(self._max_width, len(self._lines))

    def on_resize(self) -> None:
        if self.wrap:
            self._resize()
        if self.following:
            self.scroll_to(y=self.max_scroll_y, animate=False, immediate=True, force=True)

    # ------------------------------------------------------------------ drawing
    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        row = scroll_y + y
        width = self.scrollable_content_region.width
        style = self.rich_style
        if self.wrap:
            if row >= len(self._rows):
                return Strip.blank(width, style)
            index, start, end = self._rows[row]
            scroll_x = 0
        else:
            if row >= len(self._lines):
                return Strip.blank(width, style)
            index, start, end = row, 0, len(self._lines[row])
        text = self._lines[index][start:end]
        segments = self._segments(index, text, start, style)
        strip = Strip(segments).crop_extend(scroll_x, scroll_x + width, style)
        return strip

    def _segments(self, index: int, text: str, offset: int, style: Style) -> list[Segment]:
        if not self.pattern or not self._matches or self.pattern.lower() not in self._lines[index].lower():
            return [Segment(text, style)]
        mark = self.CURRENT if self._current is not None and self._matches[self._current] == index else self.MATCH
        needle = self.pattern.lower()
        full = self._lines[index].lower()
        spans, pos = [], full.find(needle)
        while pos != -1:
            spans.append((pos - offset, pos - offset + len(needle)))
            pos = full.find(needle, pos + len(needle))
        out, at = [], 0
        for a, b in spans:
            a, b = max(a, 0), min(b, len(text))
            if b <= 0 or a >= len(text) or a >= b:
                continue
            if a > at:
                out.append(Segment(text[at:a], style))
            out.append(Segment(text[a:b], style + mark))
            at = b
        if at < len(text):
            out.append(Segment(text[at:], style))
        return out

    def _update_title(self) -> None:
        parts = ["following" if self.following else "[b]paused[/] (f follows)"]
        if self.wrap:
            parts.append("wrap")
        if self.pattern:
            where = f"{self._current + 1}/{len(self._matches)}" if self._current is not None else f"{len(self._matches)}"
            parts.append(f"/{self.pattern} {where} (n/N)")
        self.border_subtitle = " · ".join(parts)
        screen_update = getattr(self.screen, "log_state_changed", None) if self.is_mounted else None
        if screen_update is not None:
            screen_update(" · ".join(parts))

    # ------------------------------------------------------------------ keys
    def toggle_follow(self) -> bool:
        self.following = not self.following
        if self.following:
            self.scroll_to(y=self.max_scroll_y, animate=False, immediate=True, force=True)
        self._update_title()
        return self.following

    def toggle_wrap(self) -> bool:
        self.wrap = not self.wrap
        self._rows_width = 0
        self._resize()
        self.scroll_to(x=0, y=self.max_scroll_y if self.following else None, animate=False, immediate=True, force=True)
        self.refresh()
        self._update_title()
        return self.wrap

    def search(self, pattern: str) -> int:
        """Highlight every line holding ``pattern`` (case-insensitive); jump to the last match.
        Returns the number of matching lines."""
        self.pattern = pattern
        needle = pattern.lower()
        self._matches = [i for i, x in enumerate(self._lines) if needle in x.lower()] if pattern else []
        self._current = None
        if self._matches:
            self._goto(len(self._matches) - 1)
        self.refresh()
        self._update_title()
        return len(self._matches)

    def next_match(self, step: int = 1) -> int | None:
        """Move to the next (``step=1``) or previous (``-1``) match; returns its line index."""
        if not self._matches:
            return None
        nxt = (len(self._matches) - 1 if step < 0 else 0) if self._current is None else self._current + step
        self._goto(nxt % len(self._matches))
        self._update_title()
        return self._matches[self._current]

    def _goto(self, which: int) -> None:
        self._current = which
        line = self._matches[which]
        self.following = False
        row = line
        if self.wrap:
            row = next((r for r, (i, _, _) in enumerate(self._rows) if i == line), 0)
        self.scroll_to(y=max(0, row - self.scrollable_content_region.height // 2), animate=False, immediate=True, force=True)
        self.refresh()

    def action_scroll_up(self) -> None:
        self._pause()
        super().action_scroll_up()

    def action_page_up(self) -> None:
        self._pause()
        super().action_page_up()

    def action_scroll_home(self) -> None:
        self._pause()
        super().action_scroll_home()

    def action_scroll_end(self) -> None:
        self.following = True
        super().action_scroll_end()
        self._update_title()

    def on_mouse_scroll_up(self, event) -> None:
        self._pause()

    def _pause(self) -> None:
        if self.following:
            self.following = False
            self._update_title()
