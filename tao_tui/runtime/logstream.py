"""Engine log bytes -> the run log: timestamps, the tail of a log file, multiplexed frames, HTTP chunks.

Pure byte handling (no docker import): every offset and comparison is on bytes, never on
re-encoded text, so invalid UTF-8 or odd line separators in a log cannot shift anything.
"""

from __future__ import annotations

import calendar
import contextlib
import os
import re
from collections.abc import Callable
from typing import Any

from tao_tui.errors import EnvironmentProblem

# --------------------------------------------------------------------------- timestamps

_TS_RE = re.compile(rb"^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)$")


def ts_to_since(ts: bytes | str) -> float:
    """RFC3339Nano timestamp -> a float ``since`` that is never later than ``ts``.

    A float has ~0.24 µs resolution at today's epoch, so we truncate to microseconds and
    step one microsecond back; lines at or before ``ts`` are dropped by the caller anyway.
    """
    raw = ts.encode() if isinstance(ts, str) else ts
    m = _TS_RE.match(raw)
    if not m:
        raise ValueError(f"not an RFC3339 timestamp: {raw!r}")
    y, mo, d, h, mi, s = (int(g) for g in m.groups()[:6])
    frac = (m.group(7) or b"0").decode().ljust(9, "0")
    secs = calendar.timegm((y, mo, d, h, mi, s, 0, 0, 0))
    tz = m.group(8)
    if tz != b"Z":
        sign = 1 if tz[:1] == b"+" else -1
        secs -= sign * (int(tz[1:3]) * 3600 + int(tz[4:6]) * 60)
    micros = int(frac[:6])
    value = secs + micros / 1e6 - 1e-6
    return max(value, 1e-6)


# --------------------------------------------------------------------------- log file tail


def read_log_tail(path: str | os.PathLike[str], *, repair: bool = True) -> tuple[bytes | None, int]:
    """The last timestamp in a run log and how many trailing lines carry it.

    Reads backwards from the end (never the whole file). A torn last line (a write cut
    by a killed process: no final newline) is truncated away when ``repair`` is true, so
    the next ``follow`` fetches it again from the engine. Returns ``(None, 0)`` for a
    missing or empty file.
    """
    p = os.fspath(path)
    try:
        size = os.path.getsize(p)
    except FileNotFoundError:
        return None, 0
    if size == 0:
        return None, 0
    block = 1 << 16
    with open(p, "rb") as f:
        tail = b""
        pos = size
        # 1. find the end of the last complete line
        while True:
            start = max(0, pos - block)
            f.seek(start)
            tail = f.read(pos - start) + tail
            pos = start
            if tail.endswith(b"\n") or b"\n" in tail or pos == 0:
                break
        cut = tail.rfind(b"\n")
        complete_end = pos + cut + 1  # file offset just past the last newline (0 if none)
        if complete_end < size and repair:
            with open(p, "r+b") as w:
                w.truncate(complete_end)
        if cut < 0:
            return None, 0
        tail = tail[: cut + 1]
        # 2. walk the complete lines backwards: last ts and how many trailing lines share it
        last_ts: bytes | None = None
        count = 0
        while True:
            lines = tail.split(b"\n")[:-1]  # complete lines in this window
            first_partial = pos > 0  # lines[0] may be cut at the window's start
            for i in range(len(lines) - 1, -1, -1):
                if i == 0 and first_partial:
                    break
                ts = lines[i].split(b" ", 1)[0]
                if last_ts is None:
                    if not _TS_RE.match(ts):
                        raise EnvironmentProblem(
                            f"{p} does not end with a timestamped log line, so tao-tui cannot tell "
                            "where to resume",
                            fix=f"move {p} aside; tao-tui will fetch the whole log again",
                        )
                    last_ts = ts
                    count = 1
                elif ts == last_ts:
                    count += 1
                else:
                    return last_ts, count
            if pos == 0:
                return last_ts, count
            start = max(0, pos - block)
            f.seek(start)
            tail = f.read(pos - start) + tail
            pos = start


class _LogSink:
    """Turns engine log bytes into ``"<ts> <text>\\n"`` lines appended to the run log.

    ``begin_pass()`` starts a new read from the engine (``since`` <= the last ts we hold):
    lines older than ``last_ts`` and the first ``count`` lines with ``last_ts`` are dropped,
    then everything is kept. Bytes are written in one ``write`` per batch.
    """

    def __init__(
        self,
        fd: int,
        last_ts: bytes | None,
        count: int,
        on_lines: Callable[[list[str]], Any] | None,
        *,
        tty: bool = False,
        path: str | None = None,
    ):
        self.fd = fd
        self.path = path  # the run log, named in a write error (disk full)
        self.last_ts = last_ts
        self.count = count
        self.on_lines = on_lines
        self.tty = tty
        self.rawbuf = b""
        self.partial = b""
        self.catching = False
        self.to_skip = 0
        self.lines_written = 0

    def begin_pass(self) -> None:
        """A new response from the engine starts (its ``since`` <= ``last_ts``)."""
        self.rawbuf = b""
        self.partial = b""
        self.catching = self.last_ts is not None
        self.to_skip = self.count

    def feed_raw(self, data: bytes, *, final: bool = False) -> None:
        """Bytes as the engine sends them: 8-byte frame headers (stream, length) unless TTY."""
        if self.tty:
            self.feed(data, final=final)
            return
        buf = self.rawbuf + data if self.rawbuf else data
        out = []
        pos = 0
        n = len(buf)
        from_bytes = int.from_bytes
        while pos + 8 <= n:
            end = pos + 8 + from_bytes(buf[pos + 4 : pos + 8], "big")
            if end > n:
                break
            out.append(buf[pos + 8 : end])
            pos = end
        self.rawbuf = buf[pos:]
        self.feed(b"".join(out), final=final)

    def feed(self, data: bytes, *, final: bool = False) -> None:
        if self.partial:
            data = self.partial + data
            self.partial = b""
        if final and data and not data.endswith(b"\n"):
            data += b"\n"
        cut = data.rfind(b"\n") + 1
        if cut < len(data):
            self.partial = data[cut:]
            data = data[:cut]
        if not data:
            return
        if self.catching:
            data = self._skip_known(data)
            if not data:
                return
        self._emit(data)

    def _skip_known(self, data: bytes) -> bytes:
        """Drop the lines we already hold (only at the start of a pass)."""
        last = self.last_ts
        pos = 0
        n = len(data)
        while pos < n:
            end = data.index(b"\n", pos) + 1
            sp = data.find(b" ", pos, end)
            ts = data[pos : sp if sp >= 0 else end - 1]
            if last is not None and ts < last:
                pos = end
                continue
            if ts == last and self.to_skip > 0:
                self.to_skip -= 1
                pos = end
                continue
            self.catching = False
            return data[pos:]
        return b""

    def _emit(self, data: bytes) -> None:
        view = memoryview(data)
        try:
            while view:
                written = os.write(self.fd, view)
                view = view[written:]
        except OSError as err:  # disk full…: the file may end in a torn line, cut and fetched again on resume
            raise OSError(err.errno, err.strerror, self.path) from err
        # new last ts and how many trailing lines carry it
        end = len(data) - 1
        start = data.rfind(b"\n", 0, end) + 1
        sp = data.find(b" ", start, end)
        ts = data[start : sp if sp >= 0 else end]
        same = 1
        while start > 0:
            pend = start - 1
            pstart = data.rfind(b"\n", 0, pend) + 1
            if data.startswith(ts + b" ", pstart) or data[pstart:pend] == ts:
                same += 1
                start = pstart
            else:
                break
        else:
            if ts == self.last_ts:
                same += self.count
        self.last_ts = ts
        self.count = same
        lines = data.count(b"\n")
        self.lines_written += lines
        if self.on_lines is not None:
            text = data.decode("utf-8", "replace").split("\n")
            text.pop()  # after the final newline
            self.on_lines([t.partition(" ")[2] for t in text])


def _count_entries(data: bytes, tty: bool) -> int:
    """How many log entries a raw (multiplexed) response holds."""
    if tty:
        return data.count(b"\n")
    count = pos = 0
    n = len(data)
    while pos + 8 <= n:
        pos += 8 + int.from_bytes(data[pos + 4 : pos + 8], "big")
        count += 1
    return count


def _chunked_body(response: Any) -> Any:
    """The buffered socket file under a streamed response in chunked coding whose body nobody
    has read yet (so it starts at the first chunk-size line), or None (then read through
    urllib3)."""
    try:
        http = response.raw._fp  # http.client.HTTPResponse
        fp = http.fp
        if (
            http.chunked
            and http.chunk_left is None
            and not response.headers.get("Content-Encoding")
            and callable(getattr(fp, "read1", None))
        ):
            return fp
    except AttributeError:
        pass
    return None


class _Dechunker:
    """HTTP/1.1 chunked transfer coding -> the body's bytes, fed in arbitrary pieces."""

    def __init__(self) -> None:
        self.head = b""  # an incomplete chunk-size line
        self.left = 0  # bytes of the current chunk still to come
        self.crlf = 0  # bytes of the CRLF after the current chunk still to skip
        self.done = False  # the last (zero-size) chunk was seen

    def feed(self, data: bytes) -> bytes:
        out: list[bytes] = []
        append = out.append
        find = data.find
        pos, n = 0, len(data)
        while pos < n and not self.done:
            if self.left:  # the rest of a chunk cut by the previous read
                end = min(n, pos + self.left)
                append(data[pos:end])
                self.left -= end - pos
                pos = end
                if not self.left:
                    self.crlf = 2
                continue
            if self.crlf:
                skip = min(self.crlf, n - pos)
                pos += skip
                self.crlf -= skip
                continue
            nl = find(b"\n", pos)
            if nl < 0:
                self.head += data[pos:]
                break
            line = self.head + data[pos:nl] if self.head else data[pos:nl]
            self.head = b""
            pos = nl + 1
            try:
                size = int(line, 16)  # int() ignores the CR and surrounding blanks
            except ValueError:
                size = int(line.split(b";", 1)[0], 16)  # chunk extensions
            if size < 0:
                raise ValueError(f"bad chunk size {line!r}")  # taken as the stream's end
            if size == 0:
                self.done = True  # trailers and anything after them are not log data
                break
            end = pos + size
            if end + 2 <= n:  # the usual case: the whole chunk and its CRLF are here
                append(data[pos:end])
                pos = end + 2
            else:
                self.left = size
        return b"".join(out)


def _shutdown_response(response: Any) -> None:
    """Unblock a reader waiting on a streamed response (like docker-py's CancellableStream.close)."""
    import socket

    with contextlib.suppress(Exception):
        fp = response.raw._fp.fp
        sock = fp.raw._sock if hasattr(fp, "raw") else fp.channel if hasattr(fp, "channel") else fp._sock
        sock.shutdown(socket.SHUT_RDWR)
    with contextlib.suppress(Exception):
        response.close()


def _is_stream_end(err: BaseException) -> bool:
    """Errors that just mean "the engine closed the stream" (container gone, engine stopped)."""
    import urllib3.exceptions

    return isinstance(err, (OSError, urllib3.exceptions.ProtocolError, ValueError, AttributeError))
