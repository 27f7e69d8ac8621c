"""The parser: one :class:`ProgressParser` per run, the fast gate in front, then the log families."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from pathlib import Path

from tao_tui.progress.ap_table import _AP_ROW, _MAP_ROW, _VAL_LOSS
from tao_tui.progress.classification import (
    _EVAL_METRIC,
    _REPORT_HEADER,
    ClassificationReportMixin,
    eval_metric_event,
)
from tao_tui.progress.dataset_convert import (
    _CLASS_PAIR,
    _COUNT_PAIR,
    _NUM_IMAGES,
    _PARTITION,
    _SKIPPED_OBJECT,
    DatasetConvertMixin,
    skipped_objects_event,
)
from tao_tui.progress.detectnet import _MEAN_AP, _VAL_COST, DetectnetMixin
from tao_tui.progress.error_rules import _GENERIC_FIX, ErrorRule, match_error
from tao_tui.progress.events import _SECOND_CACHE, ProgressEvent, _clip, _to_float, line_time
from tao_tui.progress.gate import (
    _ENGINE_TS,
    _LEVEL_PREFIXES,
    _PREFIX,
    _PREFIX_FIRST,
    _clean,
    _gate,
    _maybe_error,
)
from tao_tui.progress.lightning import _TQDM_END_SEARCH, LightningMixin
from tao_tui.progress.metrics import (
    _BLOCK_PAIR,
    _METRIC_PAIR,
    _map_from_kpi,
    _maybe_metric,
    _metric_name_ok,
    _unquote,
)
from tao_tui.progress.nemo import NemoMixin
from tao_tui.progress.stage_end import (
    _STATUS_INFO,
    _done_omplete,
    _done_ucces,
    _done_xport,
    _status_info_in,
    _time_taken_end,
)
from tao_tui.progress.status_json import StatusJsonMixin
from tao_tui.progress.tf1 import _SAMPLES, _SAMPLES_SEARCH, _TF_STEP_SEARCH, Tf1Mixin

_PRUNE_RATIO = re.compile(r"Pruning ratio \(pruned model / original model\): (\S+)")
_EXC_LINE = re.compile(r"^([A-Za-z_][\w.]*)(?::\s?(.*))?$")


class ProgressParser(
    Tf1Mixin, LightningMixin, DetectnetMixin, DatasetConvertMixin, StatusJsonMixin, ClassificationReportMixin,
    NemoMixin,
):
    """Stateful: one per run. Feed console lines with :meth:`feed_line` and/or status.json lines
    with :meth:`feed_status_line`; call :meth:`flush` at the end of input."""

    def __init__(self, epoch_base: int | None = None) -> None:
        """``epoch_base``: how the run's status.json counts epochs. None: detect (a ``step`` key
        = PyTorch 6.x/7.x, 0-based epoch and ``max_epoch = max_epochs - 1``; "Training loop in
        progress" = PyTorch, 0-based; else TF1, epochs done). 0: PyTorch 0-based (6.x on).
        1: PyTorch 5.0-5.5, whose status logger increments its counter before writing, so
        ``epoch`` is already the count of epochs done and ``max_epoch`` the number of epochs
        (reference/backend-truth.md X8: PYT50 ``core/callbacks/loggers.py:113-116``, PYT55
        ``loggers.py:117,124``). Console lines are not affected."""
        if epoch_base not in (None, 0, 1):
            raise ValueError(f"epoch_base must be None, 0 or 1, not {epoch_base!r}")
        self._epoch_base = epoch_base
        self._mode: str | None = None  # block being collected: val, tb, classmap, objects, ...
        self._mode_lines = 0
        # validation block
        self._val_epoch: tuple[int, int] | None = None
        self._val_cost: float | None = None
        self._val_map: float | None = None
        self._val_ap: dict[str, float] = {}
        self._val_table = 0  # 0 = no header yet, 1 = grid/plain header seen, 2 = rows seen
        self._val_grid = False
        # traceback
        self._tb: list[str] = []
        # dataset_convert blocks
        self._pairs: dict[str, str] = {}
        self._nemo_report: dict[str, tuple[float, ...]] = {}  # NeMo's classification report (nemo.py)
        # keras: "Epoch 3/80" header waiting to see what follows
        self._keras_epoch: tuple[int, int] | None = None
        self._pending_header: tuple[int, int] | None = None
        # de-duplication
        self._last_step: tuple | None = None
        self._last_tf_line = ""
        self._done = False
        self._errors_seen: set[str] = set()
        self._bar_epoch_done = -1
        self._bar_val: dict[str, float] = {}
        self._bar_postfix: tuple = (None, None, None)  # the last bar's postfix, closed, parsed
        self._max_epoch_hint: int | None = None
        # status.json
        self._status_partial = ""
        self._status_pyt = 0
        self._last_kpi: str | None = None
        self._last_cat: str | None = None
        # TF1 AP table: the Keras epoch it belongs to, the validation loss printed after it
        self._ap_epoch: tuple[int, int] | None = None
        self._ap_closed = False
        self._ap_loss: float | None = None
        # scikit-learn classification report rows
        self._report: dict[str, tuple[float, ...]] = {}
        # dataset_convert: objects skipped for inverted boxes, and the label files named
        self._skipped = 0
        self._skipped_files: list[str] = []

    # ---------------------------------------------------------------- console lines

    def feed_line(self, line: str) -> list[ProgressEvent]:
        """Events completed by one console line (any of them may be empty). ``line``: as the
        container printed it, or as the run log stores it (``<RFC3339Nano> <line>``). The events
        carry no time: readers of files stamp them (:func:`stamp`, done by :func:`parse_lines`);
        a live reader knows the clock (``ProgressState(clock=...)``)."""
        events: list[ProgressEvent] = []
        handled = False
        if self._mode is None:
            if not _gate(line):
                return events
            # fast paths for the line shapes that dominate training output; they read the raw
            # line (engine timestamp, logger prefix and ESC[A remnants do not disturb the regex)
            if "\r" not in line:
                if "=" in line and "step = " in line:  # the one-character test is a memchr
                    # TF prints each step line twice (absl + TAO logger): the copy carries the
                    # same match text at the first "epoch = ", which is where the regex would
                    # match (a longer step number would follow with another digit)
                    last = self._last_tf_line
                    pos = line.find("epoch = ")
                    if (
                        last
                        and pos >= 0
                        and line.startswith(last, pos)
                        and not line[pos + len(last) : pos + len(last) + 1].isdecimal()
                    ):
                        return events
                    m = _TF_STEP_SEARCH(line)
                    if m is not None:
                        self._tf_step(m.group(0), m.groups(), events)
                        handled = True
                elif "%" in line and "%|" in line:  # the one-character test is a memchr
                    if "Epoch " in line:
                        handled = self._bar(line, events, 0)
                    else:  # Validation/test/predict bars are not training steps
                        m = _TQDM_END_SEARCH(line)
                        if m is not None and not line[m.end() :].replace("\x1b[A", "").strip():
                            return events
                elif "Samples / sec: " in line:
                    m = _SAMPLES_SEARCH(line)
                    if m is not None:
                        self._samples(line, m, events)
                        handled = True
        if not handled:
            self._handle(_clean(line), events, 0)
        return events

    def feed_lines(self, lines: Iterable[str]) -> list[ProgressEvent]:
        """Events completed by a batch of console lines (same as ``feed_line`` on each)."""
        # feed_line gates each line itself: gating here too cost a second gate on every line
        # that passes it, more than the call saved on the lines that do not
        events: list[ProgressEvent] = []
        feed = self.feed_line
        extend = events.extend
        for line in lines:
            found = feed(line)
            if found:
                extend(found)
        return events

    def flush(self) -> list[ProgressEvent]:
        """End of input: emit what an open block (AP table, traceback, class map) holds."""
        events: list[ProgressEvent] = []
        self._end_mode(events)
        self._emit_skipped(events)
        return events

    def _emit_skipped(self, events: list[ProgressEvent]) -> None:
        if self._skipped:
            events.append(skipped_objects_event(self._skipped, self._skipped_files))
            self._skipped, self._skipped_files = 0, []

    # one cleaned line; may recurse once per glued segment
    def _handle(self, line: str, events: list[ProgressEvent], depth: int) -> None:
        if depth > 8:
            return
        if line[10:11] == "T" and line[4:5] == "-":  # engine timestamp "2026-11-28T02:12:15.83Z "
            sp = line.find(" ", 19, 45)
            if sp > 0 and _ENGINE_TS.match(line):
                line = line[sp + 1 :]
        had_prefix = False
        first = line[:1]
        if first in _PREFIX_FIRST and (
            first in "0123456789[" or line.startswith(_LEVEL_PREFIXES) or line[1:5].isdigit()
        ):
            m = _PREFIX.match(line)
            if m:
                had_prefix = True
                line = line[m.end() :]

        if self._mode is not None:
            if self._in_mode(line, had_prefix, events):
                return
        if not line.strip():
            if had_prefix:
                self._set_mode("cont")  # multi-line log record: look at the next line
            return

        # -- tqdm bars, possibly with another line glued after the closing bracket
        if ("%" in line and "%|" in line) or ("]" in line and ("it/s]" in line or "s/it]" in line)):
            if self._bar(line, events, depth):
                return
        if ("poch" in line or "step = " in line) and self._epoch_lines(line, events):
            return
        if "] - " in line and self._keras_bar(line, events):
            return
        self._other(line, had_prefix, events)

    def _other(self, line: str, had_prefix: bool, events: list[ProgressEvent]) -> None:
        stripped = line.strip()
        if "Samples / sec" in line:
            m = _SAMPLES.search(line)
            if m:
                self._samples(line, m, events)
                return
        if stripped.startswith("Traceback (most recent call last)"):
            self._tb = [stripped]
            self._set_mode("tb")
            return
        if self._nemo_line(stripped, events):  # NeMo: checkpoint line, test results, its report
            return
        if "Validation cost" in line:
            m = _VAL_COST.search(line)
            if m:
                self._start_val(events)
                self._val_cost = _to_float(m.group(1))
                return
        if "Mean average_precision" in line:
            m = _MEAN_AP.search(line)
            if m:
                if self._mode != "val":
                    self._start_val(events)
                self._val_map = _to_float(m.group(1))
                return
        if "class name" in line and "average precision" in line:
            self._start_val(events, keep=True)
            self._val_table = 1
            return
        if "Pruning ratio" in line:
            m = _PRUNE_RATIO.search(line)
            if m:
                ratio = _to_float(m.group(1))
                if ratio is not None:
                    events.append(
                        ProgressEvent(
                            "kpi", kpi={"pruning_ratio": ratio}, message=f"Pruning ratio: {ratio:.4g}"
                        )
                    )
                else:
                    events.append(ProgressEvent("info", message=_clip(stripped)))
                return
        # dataset_convert
        if "Writing partition" in line:
            m = _PARTITION.search(line)
            if m:
                events.append(ProgressEvent("info", step=int(m.group(2)), message=stripped))
                return
        if stripped.startswith("Num images in"):
            m = _NUM_IMAGES.search(line)
            if m:
                self._num_images(m, events)
            else:
                self._set_mode("numimg")
            return
        if stripped.startswith("Class map"):
            self._pairs = {}
            self._set_mode("classmap")
            return
        if stripped.startswith("Wrote the following numbers of objects"):
            self._pairs = {}
            self._set_mode("objects")
            return
        if "Start logging Evaluation Results" in line:
            self._pairs = {}
            self._set_mode("evalblock")
            return
        if stripped.startswith("Start to calculate AP"):  # TF1 yolo/ssd/retinanet/faster_rcnn table
            self._pairs = {}
            self._ap_epoch = self._pending_header or self._keras_epoch
            self._ap_closed = False
            self._ap_loss = None
            self._set_mode("apblock")
            return
        first = stripped[:1]  # the checks below look at the start of the line only
        if first == "V" and stripped.startswith("Validation loss"):  # after an AP table, or alone
            m = _VAL_LOSS.match(stripped)
            if m is not None:
                value = _to_float(m.group(1))
                if value is not None:
                    events.append(
                        ProgressEvent("kpi", kpi={"validation_loss": value}, message=_clip(stripped))
                    )
                return
        if first == "p" and _REPORT_HEADER.match(stripped):  # scikit-learn's report
            self._report = {}
            self._set_mode("report")
            return
        if first == "E" and stripped.startswith("Evaluation ") and ":" in stripped:
            m = _EVAL_METRIC.match(stripped)
            if m is not None:
                ev = eval_metric_event(m)
                if ev is not None:
                    events.append(ev)
                return
        # stage done
        if (
            ("omplete" in line and _done_omplete(line))
            or ("ucces" in line and _done_ucces(line))
            or ("xport" in line and _done_xport(line))
            or (first == "T" and _time_taken_end(stripped))
        ):
            self._stage_done(_clip(stripped), events)
            return
        # errors on ordinary lines (tracebacks are collected as a block, see _in_traceback)
        if _maybe_error(line):
            if "Error in object" in line:  # dataset_convert drops an inverted box
                m = _SKIPPED_OBJECT.search(line)
                if m is not None:
                    self._skipped += 1
                    name = m.group(2)
                    if name not in self._skipped_files and len(self._skipped_files) < 100:
                        self._skipped_files.append(name)
                    return
            rule = match_error(line)
            if rule is not None and (rule.standalone or "rror" in line):
                self._emit_error(rule, stripped, events)
                return
        # metrics ("Accuracy: 72.4", "Precision: 0.78 Recall: 0.30 Hmean: 0.44", "FPS:13.0");
        # indented lines are config dumps (YAML), not results
        if line[:1] not in " \t" and (":" in line or "=" in line) and _maybe_metric(line.lower()):
            kpi = {}
            for name, value in _METRIC_PAIR.findall(line):
                if _metric_name_ok(name):
                    number = _to_float(value)
                    if number is not None:
                        kpi[name] = number
            if kpi:
                events.append(ProgressEvent("kpi", kpi=kpi, map=_map_from_kpi(kpi), message=_clip(stripped)))
                return
        if not _status_info_in(line):  # one guarded test: most lines that get here hold none
            return
        for phrase in _STATUS_INFO:
            if phrase in line:
                if phrase == "Starting Training Loop":
                    self._done = False
                events.append(ProgressEvent("info", message=_clip(stripped)))
                return

    def _set_mode(self, mode: str) -> None:
        self._mode = mode
        self._mode_lines = 0

    def _in_mode(self, line: str, had_prefix: bool, events: list[ProgressEvent]) -> bool:
        """Handle ``line`` inside the open block; False = the block ended, handle it normally."""
        mode = self._mode
        self._mode_lines += 1
        stripped = line.strip()
        if mode == "cont":
            self._mode = None
            return False
        if mode == "tb":
            return self._in_traceback(line, had_prefix, events)
        if self._mode_lines > 500:
            self._end_mode(events)
            return False
        if mode.startswith("nemo"):
            return self._in_nemo(mode, stripped, events)
        if mode == "val":
            return self._in_val(line, stripped, events)
        if mode == "apblock":
            # "car   AP    0.70219" per class, then "      mAP   0.61221", between rules of *,
            # then (training) "Validation loss: 12.5"
            if not stripped or not stripped.strip("*=-"):
                return True
            if self._ap_closed:  # after the mAP row: only the validation loss still belongs here
                m = _VAL_LOSS.match(stripped)
                if m is not None:
                    self._ap_loss = _to_float(m.group(1))
                    self._end_mode(events)
                    return True
                self._end_mode(events)
                return False
            m = _MAP_ROW.match(stripped)
            if m:
                self._pairs[""] = m.group(1)
                self._ap_closed = True
                return True
            m = _AP_ROW.match(stripped)
            if m:
                self._pairs[m.group(1)] = m.group(2)
                return True
            if not self._pairs and "%|" in stripped:  # a progress bar before the rows
                return True
            self._end_mode(events)  # not this table (detectnet_v2 prints its own after the same line)
            return False
        if mode == "report":
            return self._in_report(stripped, events)
        if mode == "numimg":
            m = _NUM_IMAGES.search(line)
            self._mode = None
            if m:
                self._num_images(m, events)
                return True
            return False
        if mode in ("classmap", "objects"):
            if not stripped:
                if self._pairs or mode == "objects":
                    self._end_mode(events)
                return True
            if had_prefix:
                self._end_mode(events)
                return False
            if stripped.startswith("Label in GT"):
                return True
            if stripped.startswith("For the dataset_config"):
                self._end_mode(events)
                return True
            m = (_CLASS_PAIR if mode == "classmap" else _COUNT_PAIR).match(stripped)
            if m:
                self._pairs[_unquote(m.group(1))] = _unquote(m.group(2))
                return True
            self._end_mode(events)
            return False
        if mode == "evalblock":
            m = _BLOCK_PAIR.match(stripped)
            if m and not had_prefix:
                self._pairs[m.group(1).strip()] = m.group(2)
                return True
            if not stripped:
                return True
            self._end_mode(events)
            return False
        self._mode = None  # pragma: no cover - unknown mode
        return False

    def _end_mode(self, events: list[ProgressEvent]) -> None:
        mode, self._mode = self._mode, None
        if mode == "val":
            self._emit_val(events)
        elif mode == "tb":
            self._emit_traceback(events)
        elif mode == "classmap" and self._pairs:
            pairs = dict(self._pairs)
            text = ", ".join(f"{k} -> {v}" for k, v in pairs.items())
            events.append(ProgressEvent("info", class_map=pairs, message=_clip(f"Class map: {text}")))
        elif mode == "objects" and self._pairs:
            counts = {k: float(v) for k, v in self._pairs.items()}
            events.append(ProgressEvent("info", kpi=counts, message="Objects written per class"))
        elif mode == "apblock" and self._pairs:
            values = {k: _to_float(v) for k, v in self._pairs.items()}
            mean = values.pop("", None)
            ap = {k: v for k, v in values.items() if v is not None}
            if mean is None and ap:
                mean = sum(ap.values()) / len(ap)
            epoch = max_epoch = None
            if self._ap_epoch is not None:  # the Keras "Epoch 70/80" this validation ends
                epoch, max_epoch = self._ap_epoch
            loss = self._ap_loss
            message = f"mAP {mean:g}" if mean is not None else "AP per class"
            if loss is not None:
                message += f", validation loss {loss:g}"
            events.append(
                ProgressEvent(
                    "validation",
                    epoch=epoch,
                    max_epoch=max_epoch,
                    map=mean,
                    ap=ap or None,
                    kpi={"validation_loss": loss} if loss is not None else None,
                    message=message,
                )
            )
        elif mode == "report":
            self._emit_report(events)
        elif mode is not None and mode.startswith("nemo"):
            self._end_nemo(mode, events)
        elif mode == "evalblock" and self._pairs:
            kpi = {k: float(v) for k, v in self._pairs.items()}
            epoch = kpi.pop("current_epoch", None)
            lr = kpi.pop("lr", None)
            events.append(
                ProgressEvent(
                    "kpi",
                    epoch=int(epoch) + 1 if epoch is not None else None,
                    learning_rate=lr,
                    kpi=kpi,
                    map=_map_from_kpi(kpi),
                    message="Evaluation results: " + ", ".join(f"{k} {v:g}" for k, v in kpi.items()),
                )
            )
        self._pairs = {}

    def _in_traceback(self, line: str, had_prefix: bool, events: list[ProgressEvent]) -> bool:
        tb = self._tb
        if len(tb) > 400:
            tb.pop(1)
        stripped = line.rstrip()
        if not stripped:
            tb.append("")
            return True
        if stripped[0] in " \t" or stripped.startswith(
            ("Traceback (most recent call last)", "During handling")
        ):
            tb.append(stripped)
            return True
        if stripped.startswith("The above exception"):
            tb.append(stripped)
            return True
        m = _EXC_LINE.match(stripped)
        if m and not had_prefix:
            name = m.group(1)
            if "." in name or name.endswith(
                ("Error", "Exception", "Exit", "Interrupt", "Warning", "Failure")
            ):
                tb.append(stripped)
                self._mode = None
                self._emit_traceback(events)
                return True
        self._mode = None
        self._emit_traceback(events)
        return False

    def _emit_traceback(self, events: list[ProgressEvent]) -> None:
        tb, self._tb = self._tb, []
        if not tb:
            return
        final = tb[-1] if len(tb) > 1 else ""
        if final.startswith(("Traceback", " ", "\t")) or not final:
            final = next(
                (t for t in reversed(tb) if t and t[0] not in " \t" and not t.startswith("Traceback")), ""
            )
        rule = match_error("\n".join(tb), final)
        detail = final or "Python traceback"
        self._emit_error(rule, detail, events)

    def _emit_error(self, rule: ErrorRule | None, detail: str, events: list[ProgressEvent]) -> None:
        key = rule.id if rule is not None else detail
        if key in self._errors_seen:
            return
        self._errors_seen.add(key)
        detail = _clip(detail, 300)
        if rule is None:
            events.append(ProgressEvent("error", message=f"The stage failed: {detail}", fix=_GENERIC_FIX))
        else:
            events.append(ProgressEvent("error", message=f"{rule.message} (TAO: {detail})", fix=rule.fix))

    def _stage_done(self, message: str, events: list[ProgressEvent]) -> None:
        if self._mode is not None:
            self._end_mode(events)
        self._emit_skipped(events)
        if self._done:
            return
        self._done = True
        events.append(ProgressEvent("stage_done", message=message))


# --------------------------------------------------------------------------------------------
# files


def _skip_headers(lines: Iterator[str]) -> Iterator[str]:
    for line in lines:
        if line.startswith(("# source:", "# note:")):
            continue
        yield line
        break
    yield from lines


def _looks_like_status(first: str) -> bool:
    text = first.strip()
    if not text.startswith("{"):
        return False
    try:
        data = json.loads(text)
    except ValueError:
        return text.endswith("}") is False and '"status"' in text
    return isinstance(data, dict) and bool({"status", "date", "verbosity", "epoch"} & data.keys())


def stamp(line: str, events: list[ProgressEvent]) -> list[ProgressEvent]:
    """Give ``events`` (completed by ``line``) the time ``line`` starts with, if it starts with
    the engine's RFC 3339 timestamp (a run log) or a logger's ``YYYY-MM-DD HH:MM:SS`` (a pasted
    TAO log): ``ProgressEvent.time``, unix seconds, for the pace of training. Returns ``events``."""
    if events and line[13:14] == ":":
        key = line[:19]
        t = _SECOND_CACHE.get(key)
        if t is None:
            t = line_time(line)
            if t is None:
                return events
            if len(_SECOND_CACHE) > 8192:
                _SECOND_CACHE.clear()
            _SECOND_CACHE[key] = t
        for ev in events:
            if ev.time is None:
                ev.time = t
    return events


def parse_lines(lines: Iterable[str], status: bool | None = None) -> Iterator[ProgressEvent]:
    """Events from console lines (or status.json lines when ``status``; None = detect); console
    events carry their line's time when the line has one (:func:`stamp`)."""
    it = _skip_headers(iter(lines))
    first: list[str] = []
    for line in it:
        first.append(line)
        if line.strip():
            break
    if status is None:
        status = bool(first) and _looks_like_status(first[-1])
    parser = ProgressParser()
    if status:
        for line in first:
            yield from parser.feed_status_line(line)
        for line in it:
            yield from parser.feed_status_line(line)
    else:
        feed = parser.feed_line
        for line in first:
            yield from stamp(line, feed(line))
        for line in it:
            events = feed(line)  # gated inside
            if events:
                yield from stamp(line, events)
    yield from parser.flush()


def parse_file(path: str | Path) -> Iterator[ProgressEvent]:
    """Events from a console log or a status.json file (detected from the name and first line)."""
    path = Path(path)
    with open(path, encoding="utf-8", errors="replace", newline="\n") as f:
        status = True if path.name == "status.json" else None
        yield from parse_lines(f, status)
