"""Reading a run as its follower writes it: the new lines of ``runs/<id>/log``, the new events of
``events.jsonl`` and whether ``result.json`` exists. Plain files, no engine.

The wizard does not follow containers itself: a follower process (:mod:`tao_tui.runtime.follower`)
does, and the wizard reads what it wrote. Whatever the line rate, one :meth:`RunTail.poll` costs a
bounded amount: it decodes at most ``keep`` new log lines (older ones in the same read are counted,
not decoded) and only complete lines (a line still being written waits for the next poll).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from tao_tui.progress import ProgressEvent


def strip_ts(raw: str) -> str:
    """'2026-11-28T02:12:15.832199016Z text\\n' -> 'text' (a run log line without the engine's
    RFC3339Nano timestamp; a line without one is returned as it is)."""
    line = raw.rstrip("\n")
    if len(line) > 20 and line[4] == "-" and line[10] == "T":
        sp = line.find(" ")
        if sp != -1:
            return line[sp + 1 :]
    return line


def tail_lines(path: Path, n: int = 2000, block: int = 1 << 18, *, upto: int | None = None) -> list[str]:
    """The last ``n`` lines of a run log, without their timestamps; reads only the file's end.
    ``upto``: look only at the first ``upto`` bytes, and only at their complete lines (a line
    still being written is left for the next read)."""
    try:
        with path.open("rb") as fh:
            if upto is None:
                fh.seek(0, 2)
                size = fh.tell()
            else:
                size = upto
            data = b""
            while size > 0 and data.count(b"\n") <= n:
                start = max(0, size - block)
                fh.seek(start)
                data = fh.read(size - start) + data
                size = start
    except OSError:
        return []
    if upto is not None:
        data = data[: data.rfind(b"\n") + 1]
    lines = data.decode("utf-8", errors="replace").split("\n")  # \n only: \r, \f, U+2028 stay in a line
    if lines and lines[-1] == "":
        lines.pop()
    if size > 0:
        lines = lines[1:]  # the first line may be cut
    return [strip_ts(x) for x in lines[-n:]]


@dataclass
class TailBatch:
    """What a poll found. ``lines``: new log lines (engine timestamps removed), oldest first;
    ``skipped``: new lines left out (more than ``keep`` arrived since the last poll; all are in the
    log on disk). ``events``: new events; when ``events_reset`` is true they are *all* the run's
    events (the follower rewrote events.jsonl after a re-attach: start the fold over).
    ``result``: the run's recorded status (``done``, ``failed``, ``stopped``, ``lost``) once
    result.json exists, else None. ``first``: this is the run's history (the first poll)."""

    lines: list[str] = field(default_factory=list)
    skipped: int = 0
    events: list[ProgressEvent] = field(default_factory=list)
    events_reset: bool = False
    result: str | None = None
    first: bool = False


class RunTail:
    """Incremental reader of one run folder (``runs/<run id>``). Not thread-safe: one reader."""

    def __init__(self, run_dir: Path, *, keep: int = 5_000, max_steps: int = 200):
        self.run_dir = Path(run_dir)
        self.max_steps = max_steps
        self.run_id = self.run_dir.name
        self.keep = keep
        self._log_pos: int | None = None  # None: nothing read yet (the first poll reads the tail)
        self._ev_pos = 0
        self._ev_ino: int | None = None
        self.result: str | None = None

    # ------------------------------------------------------------------ one poll
    def poll(self) -> TailBatch:
        """New lines and events since the last poll (the first: the last ``keep`` lines and every
        event). Never raises for a missing or unreadable file (that part is empty)."""
        batch = TailBatch(first=self._log_pos is None)
        # result first: when it exists, every line and event before it is on disk already
        result = self._read_result()
        self._read_log(batch)
        self._read_events(batch)
        if result is not None:
            self.result = result
        batch.result = self.result
        return batch

    @property
    def ended(self) -> bool:
        return self.result is not None

    def _read_result(self) -> str | None:
        try:
            data = json.loads((self.run_dir / "result.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        status = data.get("status") if isinstance(data, dict) else None
        return str(status) if status else "ended"

    def _read_log(self, batch: TailBatch) -> None:
        path = self.run_dir / "log"
        if self._log_pos is None:
            try:
                size = path.stat().st_size
            except OSError:
                size = 0
            # the history: only the file's end is read, up to the last complete line
            batch.lines = tail_lines(path, self.keep, upto=size) if size else []
            self._log_pos = _complete_end(path, size)
            return
        data = _complete_lines(path, self._log_pos)
        if not data:
            return
        self._log_pos += len(data)
        end = len(data)
        total = data.count(b"\n")
        start = 0
        if total > self.keep:  # find where the last ``keep`` lines begin; count the rest
            start = end - 1
            for _ in range(self.keep):
                start = data.rfind(b"\n", 0, start)
            start += 1
            batch.skipped = total - self.keep
        text = data[start:end].decode("utf-8", errors="replace")
        batch.lines = [strip_ts(x) for x in text.split("\n")[:-1]]  # \n only: \r stays in its line

    def _read_events(self, batch: TailBatch) -> None:
        path = self.run_dir / "events.jsonl"
        try:
            ino = os.stat(path).st_ino
        except OSError:
            return
        if ino != self._ev_ino:  # first read, or replaced by the follower (history re-parsed)
            if self._ev_ino is not None:
                batch.events_reset = True
            self._ev_ino, self._ev_pos = ino, 0
        data = _complete_lines(path, self._ev_pos)
        if not data:
            return
        self._ev_pos += len(data)
        from_dict, loads = ProgressEvent.from_dict, json.loads
        for raw in _shown(data.split(b"\n"), self.max_steps):
            if raw:
                try:
                    batch.events.append(from_dict(loads(raw)))
                except (ValueError, TypeError):
                    continue  # a line cut by a crash


# events.jsonl lines as the follower writes them (``json.dumps(event.to_dict())``: kind first)
_STEP, _INFO = b'{"kind": "step"', b'{"kind": "info"'
_SHOWN_KEYS = (b'"loss"', b'"learning_rate"', b'"map"', b'"ap"')


def _shown(raws: list[bytes], max_steps: int) -> list[bytes]:
    """The events.jsonl lines the wizard decodes (a fast log writes thousands a second; decoding
    is most of the wizard's cost while it streams): every event, except ``info`` events that carry
    none of the numbers the progress line and curves show (their text is in the log), and, when one
    read holds more than ``max_steps`` step events, every n-th of them and always the last (the
    progress line shows the last step; the curves keep ≤ 1,000 points anyway). The fold of what is
    kept ends in the same epoch, step, loss, mAP and ETA as the fold of every event."""
    steps = [i for i, raw in enumerate(raws) if raw.startswith(_STEP)]
    stride = -(-len(steps) // max_steps) if len(steps) > max_steps else 1
    keep_steps = set(steps[::stride]) | set(steps[-1:])
    out = []
    for i, raw in enumerate(raws):
        if raw.startswith(_STEP):
            if i in keep_steps:
                out.append(raw)
        elif not raw.startswith(_INFO) or any(k in raw for k in _SHOWN_KEYS):
            out.append(raw)
    return out


def _complete_lines(path: Path, pos: int) -> bytes:
    """The bytes of ``path`` from ``pos`` up to and with its last ``\\n`` (b"" if none, or when the
    file cannot be read): a line still being written waits for the next read."""
    try:
        with path.open("rb") as fh:
            fh.seek(pos)
            data = fh.read()
    except OSError:
        return b""
    return data[: data.rfind(b"\n") + 1]


def _complete_end(path: Path, size: int) -> int:
    """The offset just past the last ``\\n`` in the first ``size`` bytes of ``path`` (0 if none)."""
    if not size:
        return 0
    try:
        with path.open("rb") as fh:
            pos = size
            while pos > 0:
                start = max(0, pos - (1 << 16))
                fh.seek(start)
                chunk = fh.read(pos - start)
                nl = chunk.rfind(b"\n")
                if nl != -1:
                    return start + nl + 1
                pos = start
    except OSError:
        return 0
    return 0


def open_runs(runs_dir: Path) -> list[str]:
    """Run ids under ``runs_dir`` that were recorded (run.json) but have no result yet: the runs a
    follower should be following, oldest first. Reads the folder only (no engine)."""
    try:
        dirs = [p for p in runs_dir.iterdir() if p.is_dir()]
    except OSError:
        return []
    return sorted(p.name for p in dirs if (p / "run.json").is_file() and not (p / "result.json").exists())
