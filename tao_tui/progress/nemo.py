"""NeMo (TAO 3.x/4.x conversational networks) results, on top of the Lightning bars of lightning.py:

* the checkpoint line of NeMo's exp_manager (PyTorch Lightning's ModelCheckpoint):
  ``Epoch 0, global step 99: val_wer reached 0.98500 (best 0.98500), saving model to "..." as top 3``
  and ``Epoch 1, global step 199: val_wer was not in top 3`` -> a ``validation`` event (WER for ASR,
  the monitored metric otherwise);
* Lightning's test results after ``evaluate``: ``DATALOADER:0 TEST RESULTS`` followed by a dict
  ``{'test_loss': tensor(75.43, device='cuda:0'), 'test_wer': tensor(0.64, ...)}`` (Lightning 1.x
  before 1.7), or the table with a ``Test metric | DataLoader 0`` header (Lightning 1.7+) -> ``kpi``;
* NeMo's classification report (text classification, token classification, punctuation and
  capitalization, intent/slot): a ``label precision recall f1 support`` header, one row per label,
  ``micro avg`` / ``macro avg`` / ``weighted avg`` rows, values in % -> ``kpi`` (precision, recall, F1
  per average; accuracy = the micro average's F1, as NeMo's report labels it).

Shapes are Lightning's (pytorch_lightning/callbacks/model_checkpoint.py, trainer's test-results print)
and NeMo's (nemo/collections/nlp/metrics/classification_report.py); no recorded TAO 3.x log was at
hand, so the unit tests use lines in those shapes.
"""

from __future__ import annotations

import re

from tao_tui.progress.events import _NUM, ProgressEvent, _num

# anchors the fast gate needs for the lines that open these blocks (the rest pass while a block is open)
NEMO_ANCHORS = ("TEST RESULTS", "Test metric")

_CKPT = re.compile(
    rf"^Epoch (\d+), global step (\d+): '?([\w/.-]+)'? (?:reached ({_NUM}|nan)|was not in top)"
)
_TEST_HEADER = re.compile(r"^DATALOADER:\d+ TEST RESULTS$")
_DICT_PAIR = re.compile(rf"'([\w/.-]+)':\s*(?:tensor\()?\s*({_NUM}|nan)")
_TABLE_ROW = re.compile(rf"^[│|┃]?\s*([\w/.-]+)\s*[│|┃]\s*({_NUM}|nan)\s*[│|┃]?$")
_REPORT_HEADER = re.compile(r"^label\s+precision\s+recall\s+f1\s+support$")
_REPORT_ROW = re.compile(rf"^(.+?)\s+({_NUM})\s+({_NUM})\s+({_NUM})\s+(\d+)$")
_NEMO_AVERAGES = ("micro avg", "macro avg", "weighted avg")


def checkpoint_event(line: str) -> ProgressEvent | None:
    """The ModelCheckpoint line -> a ``validation`` event (``epoch`` = epochs done, ``kpi`` = the
    monitored metric when it improved); None for other lines."""
    m = _CKPT.match(line)
    if m is None:
        return None
    epoch, metric, value = int(m.group(1)), m.group(3), m.group(4)
    number = _num(value) if value is not None else None
    kpi = {metric: number} if number is not None else None
    text = f"{metric} {number:g} (best so far)" if number is not None else f"{metric} did not improve"
    return ProgressEvent("validation", epoch=epoch + 1, kpi=kpi, message=f"epoch {epoch + 1}: {text}")


def _metrics_message(kpi: dict[str, float]) -> str:
    return "test results: " + ", ".join(f"{k} {v:g}" for k, v in kpi.items())


class NemoMixin:
    """``ProgressParser`` methods for NeMo's result blocks (modes ``nemotest``, ``nemotable``,
    ``nemoreport``); ``_nemo_line`` is tried on ordinary lines."""

    def _nemo_line(self, stripped: str, events: list[ProgressEvent]) -> bool:
        if stripped.startswith("Epoch ") and ", global step " in stripped:
            ev = checkpoint_event(stripped)
            if ev is not None:
                events.append(ev)
                return True
        if "TEST RESULTS" in stripped and _TEST_HEADER.match(stripped):
            self._pairs = {}
            self._set_mode("nemotest")
            return True
        if "Test metric" in stripped:
            self._pairs = {}
            self._set_mode("nemotable")
            return True
        if stripped.startswith("label") and _REPORT_HEADER.match(stripped):
            self._nemo_report = {}
            self._set_mode("nemoreport")
            return True
        return False

    def _in_nemo(self, mode: str, stripped: str, events: list[ProgressEvent]) -> bool:
        """One line inside an open NeMo block; False = the block ended (handle the line normally)."""
        if mode == "nemotest":
            if "'" in stripped and ":" in stripped:
                for name, value in _DICT_PAIR.findall(stripped):
                    self._pairs[name] = value
                if stripped.endswith("}"):
                    self._end_mode(events)
                return True
            if not stripped or not stripped.strip("-="):  # the rules around the block
                if self._pairs:
                    self._end_mode(events)
                return True
            self._end_mode(events)
            return False
        if mode == "nemotable":
            m = _TABLE_ROW.match(stripped)
            if m is not None:
                self._pairs[m.group(1)] = m.group(2)
                return True
            if not stripped or not stripped.strip("━─┏┓┡┩└┘┳┻╇┴┃│|-+= "):  # the table's rules
                if stripped.startswith(("└", "+")) and self._pairs:
                    self._end_mode(events)
                return True
            self._end_mode(events)
            return False
        # nemoreport
        if not stripped or not stripped.strip("-"):
            return True
        m = _REPORT_ROW.match(stripped)
        if m is not None:
            name = m.group(1).strip()
            self._nemo_report[name] = tuple(float(g) for g in m.groups()[1:])
            if name == "weighted avg":  # the report's last row
                self._end_mode(events)
            return True
        self._end_mode(events)
        return False

    def _end_nemo(self, mode: str, events: list[ProgressEvent]) -> None:
        if mode in ("nemotest", "nemotable"):
            pairs, self._pairs = self._pairs, {}
            kpi = {k: v for k, t in pairs.items() if (v := _num(t)) is not None}
            if kpi:
                loss = kpi.get("test_loss")
                events.append(ProgressEvent("kpi", loss=loss, kpi=kpi, message=_metrics_message(kpi)))
            return
        rows, self._nemo_report = self._nemo_report, {}
        if not rows:
            return
        kpi: dict[str, float] = {}
        labels = 0
        for name, (precision, recall, f1, support) in rows.items():
            key = name.replace(" ", "_") if name in _NEMO_AVERAGES else name
            labels += name not in _NEMO_AVERAGES
            kpi.update({f"{key}.precision": precision, f"{key}.recall": recall, f"{key}.f1": f1,
                        f"{key}.support": support})  # fmt: skip
        if "micro avg" in rows:
            kpi["accuracy"] = rows["micro avg"][2]
        parts = [f"{labels} labels"]
        if "accuracy" in kpi:
            parts.append(f"accuracy {kpi['accuracy']:g}%")
        if "macro avg" in rows:
            parts.append(f"macro F1 {rows['macro avg'][2]:g}%")
        events.append(ProgressEvent("kpi", kpi=kpi, message="classification report: " + ", ".join(parts)))


# the number a conversational run is judged by, most specific first (test results over validation)
HEADLINE = (("test_wer", "WER"), ("val_wer", "WER"), ("wer", "WER"), ("accuracy", "accuracy"),
            ("test_f1", "F1"), ("val_f1", "F1"), ("test_acc", "accuracy"), ("val_acc", "accuracy"))  # fmt: skip


def headline_metric(kpi: dict[str, float]) -> str | None:
    """``"WER 0.642"`` / ``"accuracy 92.23"`` / ``"F1 91.9"`` from a run's folded kpi; None when the
    kpi has none of :data:`HEADLINE` (then mAP and loss tell the story)."""
    for key, label in HEADLINE:
        if key in kpi:
            return f"{label} {kpi[key]:.4g}"
    return None
