"""The event type, the number/duration parsers every log family shares, and the text form of an
event. Pure Python, standard library only."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

KINDS = ("epoch", "step", "validation", "kpi", "stage_done", "error", "warning", "info")


@dataclass(slots=True)
class ProgressEvent:
    kind: str  # epoch | step | validation | kpi | stage_done | error | warning | info
    epoch: int | None = None
    max_epoch: int | None = None
    step: int | None = None
    max_step: int | None = None
    loss: float | None = None
    learning_rate: float | None = None
    map: float | None = None
    eta_s: float | None = None
    ap: dict[str, float] | None = None
    message: str | None = None
    fix: str | None = None
    # Additions to docs/contracts.md (optional, omitted when None):
    rate: float | None = None  # iterations per second (tqdm bars)
    kpi: dict[str, float] | None = None  # named numbers: pruning_ratio, precision, num_images_train...
    class_map: dict[str, str] | None = None  # dataset_convert: label in GT -> label in tfrecords
    # unix seconds (whole seconds) of the log line that completed the event, read from its engine
    # timestamp (tao-tui's run log) or TAO's logger timestamp; None when the line has none. Only the
    # differences matter (the pace of training), so a container's local-time logger clock is fine.
    time: float | None = None

    @classmethod
    def from_dict(cls, data: dict) -> ProgressEvent:
        """The inverse of ``to_dict`` (events.jsonl lines); unknown keys are ignored."""
        return cls(**{k: v for k, v in data.items() if k in _EVENT_FIELDS})

    def to_dict(self) -> dict:
        """The event as a JSON-ready dict; absent (None) keys omitted."""
        out = {}
        for name in _EVENT_FIELDS:
            value = getattr(self, name)
            if value is not None:
                out[name] = value
        return out


_EVENT_FIELDS = tuple(ProgressEvent.__dataclass_fields__)
_NONE9 = (None,) * 9  # epoch .. ap, for positional construction of message events
assert _EVENT_FIELDS[1:10] == (
    "epoch",
    "max_epoch",
    "step",
    "max_step",
    "loss",
    "learning_rate",
    "map",
    "eta_s",
    "ap",
)


# --------------------------------------------------------------------------------------------
# small parsers


_NUM = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
_DURATION = re.compile(r"\s*(?:(-?\d+)\s*(?:days?|d),?\s*)?(?:(\d+):)?(\d+):(\d+(?:\.\d*)?)\s*$")


_DURATION_CACHE: dict[str, float | None] = {}


def parse_duration(text: object) -> float | None:
    """``str(timedelta)`` ("1 day, 2:03:04.5", "0:01:23.456000") or tqdm ("05:31", "1:13:29")
    -> seconds. None for "?", negative or unparsable values."""
    if text.__class__ is str:
        try:
            return _DURATION_CACHE[text]
        except KeyError:
            pass
        value = _parse_duration(text)
        if len(_DURATION_CACHE) > 4096:
            _DURATION_CACHE.clear()
        _DURATION_CACHE[text] = value
        return value
    return _parse_duration(text)


def _parse_duration(text: object) -> float | None:
    if isinstance(text, (int, float)) and not isinstance(text, bool):
        value = float(text)
        return value if math.isfinite(value) and value >= 0 else None
    if not isinstance(text, str) or len(text) > 64:
        return None
    parts = text.split(":")
    if 2 <= len(parts) <= 3 and all(p.isdigit() and p.isascii() for p in parts):  # "05:31", "1:09:29"
        total = 0
        for p in parts:
            total = total * 60 + int(p)
        return float(total)
    m = _DURATION.match(text)
    if not m:
        return None
    days, hours, minutes, seconds = m.groups()
    total = int(minutes) * 60 + float(seconds)
    if hours is not None:
        total += int(hours) * 3600
    if days is not None:
        total += int(days) * 86400
    return total if total >= 0 else None


def _to_float(value: object) -> float | None:
    """float from a number or a numeric string ("0.41", "1.26e-05"); None otherwise."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        result = float(value)
    elif isinstance(value, str) and len(value) < 64:
        try:
            result = float(value.strip().rstrip("%"))
        except ValueError:
            return None
    else:
        return None
    return result if math.isfinite(result) else None


def _num(text: str) -> float | None:
    """float from regex-captured text; None for nan/inf/garbage."""
    try:
        value = float(text)
    except ValueError:
        return None
    return value if value - value == 0.0 else None


def _to_int(value: object) -> int | None:
    number = _to_float(value)
    if number is None or abs(number) > 1e15:
        return None
    return int(number)


_MINUTE_CACHE: dict[str, int] = {}
_SECOND_CACHE: dict[str, float] = {}  # 'YYYY-MM-DDTHH:MM:SS' -> line_time (the parser's)


def line_time(line: str) -> float | None:
    """Unix seconds (whole seconds) of a line that starts with a timestamp: the engine's RFC 3339
    ``2026-11-28T02:12:15.832199016Z`` (UTC) or a logger's ``2024-08-14 04:30:31,803`` (taken as
    UTC: only differences are used). None when the line does not start with one."""
    if line[4:5] != "-" or line[13:14] != ":" or line[10:11] not in ("T", " "):
        return None
    minute = line[:16]
    base = _MINUTE_CACHE.get(minute)
    try:
        if base is None:
            import calendar

            base = calendar.timegm(
                (int(line[:4]), int(line[5:7]), int(line[8:10]), int(line[11:13]), int(line[14:16]), 0)
            )
            if len(_MINUTE_CACHE) > 4096:
                _MINUTE_CACHE.clear()
            _MINUTE_CACHE[minute] = base
        return float(base + int(line[17:19]))
    except (ValueError, OverflowError):
        return None


def _clip(text: str, limit: int = 400) -> str:
    text = text.strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


# --------------------------------------------------------------------------------------------
# text


def _fmt_duration(seconds: float) -> str:
    seconds = int(seconds)
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    text = f"{hours}:{minutes:02d}:{secs:02d}"
    return f"{days}d {text}" if days else text


def format_event(ev: ProgressEvent) -> str:
    """One human-readable line (two for errors: the fix goes on its own line)."""
    parts: list[str] = [f"{ev.kind:<10}"]
    if ev.kind == "step":
        if ev.epoch is not None:
            parts.append(f"epoch {ev.epoch}" + (f"/{ev.max_epoch}" if ev.max_epoch else ""))
        if ev.step is not None:
            parts.append(f"step {ev.step}" + (f"/{ev.max_step}" if ev.max_step else ""))
    elif ev.epoch is not None:
        parts.append(f"epoch {ev.epoch}" + (f"/{ev.max_epoch}" if ev.max_epoch else ""))
    if ev.loss is not None:
        parts.append(f"loss {ev.loss:.6g}")
    if ev.learning_rate is not None:
        parts.append(f"lr {ev.learning_rate:.3g}")
    if ev.rate is not None:
        parts.append(f"{ev.rate:.3g} it/s")
    if ev.map is not None:
        parts.append(f"mAP {ev.map:.4g}")
    if ev.ap:
        parts.append("AP " + ", ".join(f"{k} {v:.4g}" for k, v in ev.ap.items()))
    if ev.eta_s is not None:
        parts.append(f"eta {_fmt_duration(ev.eta_s)}")
    if ev.kind in ("kpi", "info", "warning") and ev.kpi and not ev.message:
        parts.append(", ".join(f"{k} {v:g}" for k, v in ev.kpi.items()))
    if ev.class_map and not ev.message:
        parts.append(", ".join(f"{k} -> {v}" for k, v in ev.class_map.items()))
    if ev.message and ev.kind not in ("step",):
        parts.append(ev.message)
    text = "  ".join(parts)
    if ev.fix:
        text += f"\n{'':<10}  fix: {ev.fix}"
    return text
